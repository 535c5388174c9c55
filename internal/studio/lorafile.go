package studio

import (
	"strconv"
	"strings"
)

// maxLoRASlug bounds the model-name part of a LoRA file name, so the whole
// name stays well under every file system's limit and a LoRA block's.
const maxLoRASlug = 40

// windowsReserved are device names Windows will not take as a file name.
var windowsReserved = map[string]bool{
	"con": true, "prn": true, "aux": true, "nul": true,
	"com1": true, "com2": true, "com3": true, "com4": true, "com5": true, "com6": true, "com7": true, "com8": true, "com9": true,
	"lpt1": true, "lpt2": true, "lpt3": true, "lpt4": true, "lpt5": true, "lpt6": true, "lpt7": true, "lpt8": true, "lpt9": true,
}

// LoRAFileName is the file name a trained version is saved under, the same
// everywhere (download, Character Pack, ComfyUI workflow, <lora:…> block):
// "alice-v3-flux-dev.safetensors". The model name becomes a slug of a-z,
// 0-9 and dashes, at most 40 characters, "lora" when nothing is left.
func LoRAFileName(modelName string, number int, baseModel string) string {
	return loRASlug(modelName, maxLoRASlug) + "-v" + strconv.Itoa(number) + "-" + loRASlug(baseModel, maxLoRASlug) + ".safetensors"
}

func loRASlug(s string, max int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	out := b.String()
	if len(out) > max {
		out = strings.TrimRight(out[:max], "-")
	}
	if out == "" || windowsReserved[out] {
		out = "lora-" + out
		out = strings.TrimRight(out, "-")
	}
	return out
}
