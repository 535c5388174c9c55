package studio_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/internal/studio"
)

func TestLoRAFileName(t *testing.T) {
	tests := []struct {
		model     string
		number    int
		baseModel string
		want      string
	}{
		{"alice", 3, "flux-dev", "alice-v3-flux-dev.safetensors"},
		{"Alice Smith", 1, "sdxl", "alice-smith-v1-sdxl.safetensors"},
		{"Zoë Ünal", 2, "flux-schnell", "zoe-unal-v2-flux-schnell.safetensors"},
		{"  ..bob__the//builder.. ", 12, "flux-dev", "bob-the-builder-v12-flux-dev.safetensors"},
		{"CON", 1, "sdxl", "con-lora-v1-sdxl.safetensors"},
		{"lpt9", 1, "sdxl", "lpt9-lora-v1-sdxl.safetensors"},
		{"李小龙", 1, "sdxl", "lora-v1-sdxl.safetensors"},
		{"", 1, "flux-dev", "lora-v1-flux-dev.safetensors"},
		{"a/../../etc/passwd", 1, "flux-dev", "a-etc-passwd-v1-flux-dev.safetensors"},
		{strings.Repeat("ab-", 40), 7, "flux-dev", strings.Repeat("ab-", 15) + "ab-v7-flux-dev.safetensors"},
	}
	safe := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*\.safetensors$`)
	for _, tt := range tests {
		got := studio.LoRAFileName(tt.model, tt.number, tt.baseModel)
		if got != tt.want {
			t.Errorf("LoRAFileName(%q, %d, %q) = %q, want %q", tt.model, tt.number, tt.baseModel, got, tt.want)
		}
		if !safe.MatchString(got) || len(got) > 100 {
			t.Errorf("%q is not a portable file name", got)
		}
	}
}

func TestBaseModelsHaveModelSpec(t *testing.T) {
	want := map[string]string{"flux-dev": "flux-1-dev/lora", "flux-schnell": "flux-1-schnell/lora", "sdxl": "stable-diffusion-xl-v1-base/lora",
		"flux-2-dev": "Flux.2-dev/lora", "flux-2-klein-9b": "Flux.2-klein-9b/lora", "flux-2-klein-4b": "Flux.2-klein-4b/lora",
		"qwen-image": "Qwen-Image/lora", "z-image": "Z-Image/lora", "z-image-turbo": "Z-Image-Turbo/lora", "wan-2.2": "wan2.2-t2v-a14b/lora"}
	for _, m := range studio.BaseModels() {
		if m.Architecture != want[m.ID] || !strings.HasPrefix(m.Implementation, "https://github.com/") {
			t.Errorf("%s: architecture %q implementation %q, want %q and a reference implementation", m.ID, m.Architecture, m.Implementation, want[m.ID])
		}
	}
}
