package worker

import (
	"path/filepath"
	"testing"
)

// TestLayoutSuffix: where ai-toolkit writes each model's LoRA. Wan 2.2
// A14B saves one file per trained expert, named with the expert's suffix
// (wan22_14b_model.py save_lora), so the worker must look for that name.
func TestLayoutSuffix(t *testing.T) {
	tests := []struct{ base, final, ckpt string }{
		{"flux-dev", "lora.safetensors", "lora_000000250.safetensors"},
		{"flux-2-dev", "lora.safetensors", "lora_000000250.safetensors"},
		{"qwen-image", "lora.safetensors", "lora_000000250.safetensors"},
		{"wan-2.2", "lora_low_noise.safetensors", "lora_000000250_low_noise.safetensors"},
		{"sdxl", "lora.safetensors", "lora-step00000250.safetensors"},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			l := layoutOf(tt.base, "/out")
			if got := filepath.Base(l.final); got != tt.final {
				t.Errorf("final %s, want %s", got, tt.final)
			}
			if got := filepath.Base(l.checkpoint(250)); got != tt.ckpt {
				t.Errorf("checkpoint %s, want %s", got, tt.ckpt)
			}
		})
	}
}
