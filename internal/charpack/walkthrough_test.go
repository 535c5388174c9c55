package charpack_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/internal/charpack"
)

// TestInstructionsMatchThePack holds instructions.md to what the pack
// really holds, as a walkthrough found it did not.
func TestInstructionsMatchThePack(t *testing.T) {
	cands := dataset(t, 4, 400, 500)
	read := func(t *testing.T, in charpack.Input) (*charpack.Pack, string, map[string]any) {
		t.Helper()
		data := write(t, in)
		pack, err := charpack.Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		var params map[string]any
		if err := json.Unmarshal(pack.File("params.json").Data, &params); err != nil {
			t.Fatal(err)
		}
		return pack, string(pack.File("instructions.md").Data), params
	}
	paramsLine := func(instr string) string {
		for _, l := range strings.Split(instr, "\n") {
			if strings.HasPrefix(l, "- `params.json`") {
				return l
			}
		}
		return ""
	}

	t.Run("params.json promises only what it holds", func(t *testing.T) {
		for _, id := range []string{"grok-3", "veo-3.1", "sora-2"} {
			in := input(cands, id)
			in.Request.Prompt.Negative = ""
			_, instr, params := read(t, in)
			line := paramsLine(instr)
			for key, word := range map[string]string{"seed": "seed", "negative_prompt": "negative prompt", "size": "size"} {
				if _, has := params[key]; strings.Contains(line, word) != has {
					t.Errorf("%s: %q, but params.json has %s: %v", id, line, key, has)
				}
			}
			if strings.Contains(instr, "seed from `params.json`") || strings.Contains(instr, "negative prompt and seed from") {
				t.Errorf("%s: the steps send the user to a seed params.json does not hold", id)
			}
		}
		seed := int64(42)
		in := input(cands, "veo-3.1")
		in.Request.Options.Seed = &seed
		_, instr, _ := read(t, in)
		if !strings.Contains(paramsLine(instr), "negative prompt, seed") || !strings.Contains(instr, "the negative prompt and the seed from `params.json`") {
			t.Errorf("a Veo pack with a seed and a negative prompt does not say so:\n%s", instr)
		}
	})

	t.Run("no blank size in Grok's limits", func(t *testing.T) {
		_, instr, _ := read(t, input(cands, "grok-3"))
		if strings.Contains(instr, "This pack: -") || !strings.Contains(instr, "- This pack: 16:9 720p, 8 s, audio yes.") {
			t.Errorf("Grok's limits line:\n%s", instr)
		}
	})

	t.Run("Veo 3.1 Fast hedges its references", func(t *testing.T) {
		_, fast, _ := read(t, input(cands, "veo-3.1-fast"))
		steps := fast[strings.Index(fast, "## In the app"):strings.Index(fast, "## By API")]
		if !strings.Contains(steps, "1. Not confirmed:") || !strings.Contains(steps, "Veo 3.1 Fast takes them") {
			t.Errorf("Veo 3.1 Fast's steps rely on references without saying they are unconfirmed:\n%s", steps)
		}
		_, full, _ := read(t, input(cands, "veo-3.1"))
		if strings.Contains(full, "Veo 3.1 Fast takes them") {
			t.Error("Veo 3.1's steps carry Fast's caveat")
		}
	})
}
