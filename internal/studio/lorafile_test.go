package studio_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/internal/studio"
)

func TestLoRAFileName(t *testing.T) {
	tests := []struct {
		model string
		n     int
		base  string
		want  string
	}{
		{"Alice", 3, "flux-dev", "alice-v3-flux-dev.safetensors"},
		{"  Zoë's  portrait!! ", 12, "sdxl", "zo-s-portrait-v12-sdxl.safetensors"},
		{"../../etc/passwd", 1, "flux-schnell", "etc-passwd-v1-flux-schnell.safetensors"},
		{"CON", 1, "sdxl", "lora-con-v1-sdxl.safetensors"},
		{"日本語", 2, "sdxl", "lora-v2-sdxl.safetensors"},
		{strings.Repeat("ab-", 40), 1, "sdxl", strings.Repeat("ab-", 13) + "a-v1-sdxl.safetensors"},
	}
	ok := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*\.safetensors$`)
	for _, tt := range tests {
		got := studio.LoRAFileName(tt.model, tt.n, tt.base)
		if got != tt.want {
			t.Errorf("LoRAFileName(%q, %d, %q) = %q, want %q", tt.model, tt.n, tt.base, got, tt.want)
		}
		if !ok.MatchString(got) || len(got) > 80 {
			t.Errorf("%q is not a safe file name", got)
		}
	}
}
