package app_test

import (
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/internal/compiler"
	"github.com/promptforge/lorastudio/internal/studio"
)

func TestCompileThroughTheApp(t *testing.T) {
	a, _ := newApp(t, t.TempDir())
	pipelines := len(studio.BaseModels()) // one per trainable base model
	if n := len(a.Compile.Profiles()); n != pipelines+6 {
		t.Fatalf("got %d profiles, want %d pipelines and 6 platforms", n, pipelines)
	}
	tests := []struct {
		platform string
		wantLoRA bool
		errCode  string
	}{
		{"flux-dev", true, ""},
		{"sdxl", true, ""},
		{"wan-2.2", true, ""},
		{"veo-3.1", false, ""},
		{"grok-3", false, ""},
		{"sora-2-pro-max", false, ""},
		{"midjourney", false, "unknown_platform"},
	}
	for _, tt := range tests {
		t.Run(tt.platform, func(t *testing.T) {
			res, err := a.Compile.Compile(compiler.Request{
				Platform: tt.platform,
				Prompt:   compiler.Prompt{Text: "walks along a harbour at dusk"},
				Identity: compiler.Identity{Name: "alice", Trigger: "ohwx", Weight: 0.8, Describe: "short curly brown hair"},
			})
			if tt.errCode != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.errCode+": ") {
					t.Fatalf("got %v, want %s", err, tt.errCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			hasBlock := strings.Contains(res.Prompt, "<lora:alice:")
			if hasBlock != tt.wantLoRA || strings.Contains(res.Prompt, "ohwx") != tt.wantLoRA {
				t.Errorf("prompt %q: LoRA block or trigger present = %v, want %v", res.Prompt, hasBlock, tt.wantLoRA)
			}
		})
	}
}
