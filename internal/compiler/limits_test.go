package compiler_test

import (
	"testing"

	"github.com/promptforge/lorastudio/internal/compiler"
	"github.com/promptforge/lorastudio/internal/studio"
)

// TestWeightBounds: every LoRA pipeline takes the contract's weight range
// (studio.MinLoRAWeight to MaxLoRAWeight), both ends included, and answers
// weight_out_of_range just past either end: the same range activation
// enforces, so an activated weight always compiles.
func TestWeightBounds(t *testing.T) {
	for _, m := range studio.BaseModels() {
		for _, tt := range []struct {
			weight float64
			code   string
		}{
			{studio.MinLoRAWeight, ""},
			{studio.MaxLoRAWeight, ""},
			{studio.MinLoRAWeight - 0.01, studio.EWeightOutOfRange},
			{studio.MaxLoRAWeight + 0.01, studio.EWeightOutOfRange},
		} {
			_, err := compiler.Compile(compiler.Request{Platform: m.ID, Prompt: compiler.Prompt{Text: "x"}, Identity: compiler.Identity{Name: "me", Weight: tt.weight}})
			if got := studio.ErrorCode(err); got != tt.code {
				t.Errorf("%s at weight %g: got %q (%v), want %q", m.ID, tt.weight, got, err, tt.code)
			}
		}
	}
}
