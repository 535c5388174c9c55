package training_test

import (
	"testing"

	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/studio"
)

// TestPresetsFromData: every trainable base model has a preset, read from
// its data file, and Resolve starts from it.
func TestPresetsFromData(t *testing.T) {
	for _, m := range studio.BaseModels() {
		t.Run(m.ID, func(t *testing.T) {
			p, err := training.Resolve(m.ID, training.Overrides{})
			if err != nil {
				t.Fatal(err)
			}
			if p.Rank != m.Preset.Rank || p.Steps != m.Preset.Steps || p.LearningRate != m.Preset.LearningRate || p.Resolution != m.Resolution {
				t.Errorf("got %+v, want the data's preset %+v at %d px", p, m.Preset, m.Resolution)
			}
			if p != training.Presets[m.ID] {
				t.Errorf("Resolve %+v differs from Presets %+v", p, training.Presets[m.ID])
			}
		})
	}
	// The values the new models start from (ai-toolkit's examples
	// and new-job defaults).
	tests := []struct {
		id          string
		rank, steps int
		lr          float64
	}{
		{"flux-dev", 16, 1000, 4e-4},
		{"sdxl", 32, 1500, 1e-4},
		{"qwen-image", 16, 2000, 1e-4},
		{"wan-2.2", 32, 2000, 1e-4},
		{"flux-2-dev", 32, 3000, 1e-4},
	}
	for _, tt := range tests {
		p := training.Presets[tt.id]
		if p.Rank != tt.rank || p.Steps != tt.steps || p.LearningRate != tt.lr {
			t.Errorf("%s: got rank %d steps %d lr %g, want %d %d %g", tt.id, p.Rank, p.Steps, p.LearningRate, tt.rank, tt.steps, tt.lr)
		}
	}
	if _, err := training.Resolve("sora-2", training.Overrides{}); studio.ErrorCode(err) != "unknown_base_model" {
		t.Errorf("a target platform resolved: %v", err)
	}
}
