package training_test

import (
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/studio"
)

func ptr[T any](v T) *T { return &v }

// TestOverrideBounds: Resolve takes each bound of the contract's training
// limits (internal/studio/limits.go, which the frontend's settings read
// too) and refuses just past it with param_out_of_bounds.
func TestOverrideBounds(t *testing.T) {
	caption := func(n int) *string { return ptr("{trigger}" + strings.Repeat("a", n-len("{trigger}"))) }
	tests := []struct {
		name string
		o    training.Overrides
		ok   bool
	}{
		{"rank min", training.Overrides{Rank: ptr(studio.MinRank)}, true},
		{"rank max", training.Overrides{Rank: ptr(studio.MaxRank)}, true},
		{"rank below", training.Overrides{Rank: ptr(studio.MinRank - 1)}, false},
		{"rank above", training.Overrides{Rank: ptr(studio.MaxRank + 1)}, false},
		{"steps min", training.Overrides{Steps: ptr(studio.MinSteps)}, true},
		{"steps max", training.Overrides{Steps: ptr(studio.MaxSteps)}, true},
		{"steps below", training.Overrides{Steps: ptr(studio.MinSteps - 1)}, false},
		{"steps above", training.Overrides{Steps: ptr(studio.MaxSteps + 1)}, false},
		{"lr min", training.Overrides{LearningRate: ptr(studio.MinLearningRate)}, true},
		{"lr max", training.Overrides{LearningRate: ptr(studio.MaxLearningRate)}, true},
		{"lr below", training.Overrides{LearningRate: ptr(studio.MinLearningRate * 0.99)}, false},
		{"lr above", training.Overrides{LearningRate: ptr(studio.MaxLearningRate * 1.01)}, false},
		{"resolution 512", training.Overrides{Resolution: ptr(512)}, true},
		{"resolution 1024", training.Overrides{Resolution: ptr(1024)}, true},
		{"resolution 640", training.Overrides{Resolution: ptr(640)}, false},
		{"caption at max", training.Overrides{CaptionTemplate: caption(studio.MaxCaptionTemplate)}, true},
		{"caption over", training.Overrides{CaptionTemplate: caption(studio.MaxCaptionTemplate + 1)}, false},
		{"trigger 2", training.Overrides{TriggerWord: ptr("ab")}, true},
		{"trigger 33", training.Overrides{TriggerWord: ptr(strings.Repeat("a", 33))}, false},
	}
	for _, r := range studio.TrainingResolutions() {
		tests = append(tests, struct {
			name string
			o    training.Overrides
			ok   bool
		}{"listed resolution", training.Overrides{Resolution: ptr(r)}, true})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := training.Resolve(studio.FluxDev, tt.o)
			want := studio.EParamOutOfBounds
			if tt.ok {
				want = ""
			}
			if got := studio.ErrorCode(err); got != want {
				t.Errorf("got %q (%v), want %q", got, err, want)
			}
		})
	}
}
