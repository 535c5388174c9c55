package safetensors_test

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/internal/safetensors"
)

func file(header string, data int) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(make([]byte, data))
	return b.Bytes()
}

func TestCheck(t *testing.T) {
	var good bytes.Buffer
	if err := safetensors.WriteLoRA(&good, []string{"lora_unet_a", "lora_unet_b"}, 4, 8, map[string]string{"ss_network_dim": "4"}); err != nil {
		t.Fatal(err)
	}
	peft := file(`{"transformer.x.lora_A.weight":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},"transformer.x.lora_B.weight":{"dtype":"F16","shape":[2,2],"data_offsets":[8,16]}}`, 16)
	tests := []struct {
		name string
		b    []byte
		want string // substring of the error; "" for valid
	}{
		{"tiny kohya LoRA", good.Bytes(), ""},
		{"peft names", peft, ""},
		{"too short", []byte{1, 2, 3}, "shorter"},
		{"header length past the end", file(`{}`, 0)[:9], "out of range"},
		{"not JSON", file(`{"a":`, 0), "not a JSON object"},
		{"not a LoRA", file(`{"model.diffusion.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 8), "look like a LoRA"},
		{"offsets past data", file(`{"x.lora_up.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 4), "do not fit"},
		{"shape and offsets disagree", file(`{"x.lora_up.weight":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8), "do not fit"},
		{"trailing bytes", file(`{"x.lora_up.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 12), "cover 8 of 12"},
		{"unknown dtype", file(`{"x.lora_up.weight":{"dtype":"F7","shape":[2],"data_offsets":[0,8]}}`, 8), "unknown dtype"},
		{"no tensors", file(`{"__metadata__":{"a":"b"}}`, 0), "no tensors"},
		{"a jpeg", append([]byte{0xff, 0xd8, 0xff, 0xe0}, make([]byte, 100)...), "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := safetensors.Check(bytes.NewReader(tt.b), int64(len(tt.b)))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got %v, want valid", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if tt.want == "" && info.LoRAKeys != info.Tensors {
				t.Errorf("got %d LoRA keys of %d tensors, want all", info.LoRAKeys, info.Tensors)
			}
		})
	}
}
