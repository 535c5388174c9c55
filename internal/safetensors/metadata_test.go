package safetensors_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/internal/safetensors"
)

func lora(t *testing.T, meta map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := safetensors.WriteLoRA(&b, []string{"lora_unet_a", "lora_unet_b"}, 4, 8, meta); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// split returns a file's header (padding included) and its data bytes.
func split(t *testing.T, f []byte) (header, data []byte) {
	t.Helper()
	n := binary.LittleEndian.Uint64(f[:8])
	return f[8 : 8+n], f[8+n:]
}

func rewrite(t *testing.T, f []byte, meta map[string]string) []byte {
	t.Helper()
	var out bytes.Buffer
	n, err := safetensors.Rewrite(&out, bytes.NewReader(f), int64(len(f)), meta)
	if err != nil {
		t.Fatalf("rewrite: %v", err)
	}
	if n != int64(out.Len()) {
		t.Errorf("rewrite reported %d bytes, wrote %d", n, out.Len())
	}
	return out.Bytes()
}

func TestRewriteKeepsDataAndMergesMetadata(t *testing.T) {
	orig := lora(t, map[string]string{"ss_network_dim": "4", "modelspec.title": "the trainer's"})
	meta := map[string]string{"modelspec.title": "alice v3 & <co>", "modelspec.architecture": "flux-1-dev/lora"}
	got := rewrite(t, orig, meta)

	_, origData := split(t, orig)
	hdr, data := split(t, got)
	if !bytes.Equal(data, origData) {
		t.Fatal("the tensor data bytes changed")
	}
	if len(hdr)%8 != 0 {
		t.Errorf("header has %d bytes, want a multiple of 8", len(hdr))
	}
	info, err := safetensors.Check(bytes.NewReader(got), int64(len(got)))
	if err != nil {
		t.Fatalf("the rewritten file is not valid: %v", err)
	}
	want := map[string]string{"ss_network_dim": "4", "modelspec.title": "alice v3 & <co>", "modelspec.architecture": "flux-1-dev/lora"}
	if len(info.Metadata) != len(want) {
		t.Errorf("metadata: got %v, want %v", info.Metadata, want)
	}
	for k, v := range want {
		if info.Metadata[k] != v {
			t.Errorf("metadata %s: got %q, want %q", k, info.Metadata[k], v)
		}
	}
	// The tensors' own entries are the same JSON.
	var a, b map[string]json.RawMessage
	oh, _ := split(t, orig)
	json.Unmarshal(bytes.TrimRight(oh, " "), &a)
	json.Unmarshal(bytes.TrimRight(hdr, " "), &b)
	for k, v := range a {
		if k != "__metadata__" && string(b[k]) != string(v) {
			t.Errorf("tensor %s: got %s, want %s", k, b[k], v)
		}
	}
}

// Every padding length 0..7 comes out aligned and readable: the title's
// length walks the header through all of them.
func TestRewritePadding(t *testing.T) {
	orig := lora(t, nil)
	pads := map[int]bool{}
	for i := range 16 {
		got := rewrite(t, orig, map[string]string{"modelspec.title": strings.Repeat("x", i)})
		hdr, _ := split(t, got)
		if len(hdr)%8 != 0 {
			t.Fatalf("title of %d: header of %d bytes, want a multiple of 8", i, len(hdr))
		}
		trimmed := bytes.TrimRight(hdr, " ")
		pads[len(hdr)-len(trimmed)] = true
		if _, err := safetensors.Check(bytes.NewReader(got), int64(len(got))); err != nil {
			t.Fatalf("title of %d: %v", i, err)
		}
	}
	if len(pads) != 8 {
		t.Errorf("saw padding lengths %v, want all of 0..7", pads)
	}
}

func TestRewriteIsIdempotent(t *testing.T) {
	meta := map[string]string{"modelspec.sai_model_spec": "1.0.0", "lorastudio.version_id": "v1"}
	once := rewrite(t, lora(t, map[string]string{"format": "pt"}), meta)
	twice := rewrite(t, once, meta)
	if !bytes.Equal(once, twice) {
		t.Errorf("rewriting again with the same metadata changed the file:\n%q\n%q", once[:80], twice[:80])
	}
}

func TestRewriteRefusesMalformed(t *testing.T) {
	tensor := `"x.lora_up.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}`
	tests := []struct {
		name string
		f    []byte
		want string
	}{
		{"too short", []byte{1, 2}, "shorter"},
		{"header past the end", file(`{}`, 0)[:9], "out of range"},
		{"not JSON", file(`{"a":`, 0), "not a JSON object"},
		{"an array", file(`[1,2]   `, 0), "not a JSON object"},
		{"junk after the object", file(`{`+tensor+`}xx`, 8), "not a JSON object"},
		{"duplicate key", file(`{`+tensor+`,`+tensor+`}`, 8), "twice"},
		{"metadata not strings", file(`{"__metadata__":{"a":1},`+tensor+`}`, 8), "strings to strings"},
		{"offsets past data", file(`{`+tensor+`}`, 4), "do not fit"},
		{"trailing bytes", file(`{`+tensor+`}`, 12), "cover 8 of 12"},
		{"no tensors", file(`{"__metadata__":{}}`, 0), "no tensors"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := safetensors.Rewrite(&out, bytes.NewReader(tt.f), int64(len(tt.f)), map[string]string{"k": "v"})
			var fe *safetensors.FormatError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a FormatError containing %q", err, tt.want)
			}
			if out.Len() != 0 {
				t.Errorf("wrote %d bytes of a refused file, want none", out.Len())
			}
		})
	}
}

func TestRewriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "lora.safetensors")
	orig := lora(t, nil)
	if err := os.WriteFile(p, orig, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := safetensors.RewriteFile(p, map[string]string{"modelspec.title": "t"}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	if want := rewrite(t, orig, map[string]string{"modelspec.title": "t"}); !bytes.Equal(got, want) {
		t.Error("the file in place differs from Rewrite's output")
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640 kept", fi.Mode().Perm())
	}

	bad := filepath.Join(dir, "bad.safetensors")
	os.WriteFile(bad, []byte("not a safetensors file at all"), 0o600)
	if err := safetensors.RewriteFile(bad, map[string]string{"k": "v"}); err == nil {
		t.Fatal("a malformed file was rewritten")
	}
	if b, _ := os.ReadFile(bad); string(b) != "not a safetensors file at all" {
		t.Errorf("a refused file changed: %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%d files in the folder, want 2 (no temporary file left)", len(entries))
	}
}
