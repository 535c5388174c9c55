package compiler_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/internal/compiler"
	"github.com/promptforge/lorastudio/internal/studio"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file:\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

var identity = compiler.Identity{
	Name: "alice_v3", Version: "3", Trigger: "ohwx", Weight: 0.85,
	Describe: "a woman in her thirties with short curly brown hair and green eyes",
}

var structured = compiler.Prompt{
	Subject:  "wearing a red wool coat",
	Action:   "walks along a rainy harbour, then turns to the camera and smiles",
	Scene:    "a fishing harbour at dusk, wet cobblestones, moored boats",
	Style:    "cinematic, 35mm film look, natural colours",
	Camera:   "slow dolly-in from a medium shot to a close-up at eye level",
	Lighting: "soft blue-hour light with warm lamp glow",
	Dialogue: "It's good to be home.",
	Audio:    "gulls, rain on the water, distant foghorn",
	Negative: "blurry, extra fingers, text, watermark",
}

func TestProfiles(t *testing.T) {
	ps := compiler.Profiles()
	want := []string{"flux-dev", "flux-schnell", "sdxl", "flux-2-dev", "flux-2-klein-9b", "flux-2-klein-4b", "qwen-image", "z-image", "z-image-turbo", "wan-2.2", "sora-2-pro-max", "sora-2", "sora-2-pro", "veo-3.1-fast", "veo-3.1", "grok-3"}
	if len(ps) != len(want) {
		t.Fatalf("got %d profiles, want %d", len(ps), len(want))
	}
	for i, p := range ps {
		t.Run(p.ID, func(t *testing.T) {
			if p.ID != want[i] {
				t.Errorf("profile %d: got %q, want %q", i, p.ID, want[i])
			}
			if p.SupportsLoRAInjection != studio.IsTrainable(p.ID) {
				t.Errorf("supports_lora_injection %v, but trainable %v", p.SupportsLoRAInjection, studio.IsTrainable(p.ID))
			}
			if _, err := time.Parse(time.DateOnly, p.Checked); err != nil {
				t.Errorf("checked %q is not a date: %v", p.Checked, err)
			}
			for _, s := range p.Sources {
				if u, err := url.Parse(s); err != nil || u.Scheme != "https" || u.Host == "" {
					t.Errorf("source %q is not an https URL", s)
				}
			}
			if p.SupportsLoRAInjection {
				// The pipeline's weight starts where the base model's does.
				if m, err := studio.LookupBaseModel(p.ID); err != nil || m.DefaultWeight != p.LoRA.WeightDefault {
					t.Errorf("lora weight_default %v, base model default_weight %v (%v)", p.LoRA.WeightDefault, m.DefaultWeight, err)
				}
			} else {
				if p.References.Max < 1 || p.API == nil {
					t.Errorf("a target platform needs references and an API block, got %+v %v", p.References, p.API)
				}
			}
		})
	}
	// Callers get copies: editing one must not change the registry.
	ps[0].Sizes[0] = "1x1"
	if p, _ := compiler.Lookup(ps[0].ID); p.Sizes[0] == "1x1" {
		t.Error("Profiles returned the registry's own slices")
	}
}

// TestCompileGolden compiles the same request for every profile: the LoRA
// block is present exactly for the LoRA pipelines (one per trainable base
// model), and absent, with no trigger word, for the six target platforms.
func TestCompileGolden(t *testing.T) {
	wantRefs := map[string]int{"sora-2": 1, "sora-2-pro": 1, "sora-2-pro-max": 1, "veo-3.1": 3, "veo-3.1-fast": 3, "grok-3": 7}
	for _, p := range compiler.Profiles() {
		t.Run(p.ID, func(t *testing.T) {
			res, err := compiler.Compile(compiler.Request{
				Platform: p.ID, Prompt: structured, Identity: identity,
				Options: compiler.Options{References: -1},
			})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			enc := json.NewEncoder(&out)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(res); err != nil {
				t.Fatal(err)
			}
			golden(t, p.ID+".golden.json", out.Bytes())

			hasBlock := strings.Contains(res.Prompt, "<lora:")
			hasTrigger := regexp.MustCompile(`(?i)\bohwx\b`).MatchString(res.Prompt + string(res.Workflow))
			if p.SupportsLoRAInjection {
				if !strings.HasSuffix(res.Prompt, " <lora:alice_v3:0.85>") || strings.Count(res.Prompt, "<lora:") != 1 {
					t.Errorf("got prompt %q, want one <lora:alice_v3:0.85> block at its end", res.Prompt)
				}
				if !strings.HasPrefix(res.Prompt, "ohwx, wearing a red wool coat") {
					t.Errorf("got prompt %q, want the trigger word opening the subject", res.Prompt)
				}
				checkWorkflow(t, res.Workflow, 0.85)
				if res.References.Count != 0 {
					t.Errorf("got %d references for a LoRA pipeline, want 0", res.References.Count)
				}
				return
			}
			if hasBlock || hasTrigger || res.LoRABlock != "" || res.Workflow != nil {
				t.Errorf("target platform got a LoRA block or the trigger word: %q", res.Prompt)
			}
			if !strings.Contains(res.Prompt, identity.Describe) {
				t.Errorf("got prompt %q, want the identity described in words", res.Prompt)
			}
			if res.References.Count != wantRefs[p.ID] {
				t.Errorf("got %d references, want %d", res.References.Count, wantRefs[p.ID])
			}
		})
	}
}

func checkWorkflow(t *testing.T, raw json.RawMessage, weight float64) {
	t.Helper()
	var wf map[string]struct {
		ClassType string         `json:"class_type"`
		Inputs    map[string]any `json:"inputs"`
	}
	if err := json.Unmarshal(raw, &wf); err != nil {
		t.Fatalf("workflow is not JSON: %v", err)
	}
	loaders := 0
	for id, n := range wf {
		switch n.ClassType {
		case "LoraLoader":
			loaders++
			if n.Inputs["strength_model"] != weight || n.Inputs["strength_clip"] != weight || n.Inputs["lora_name"] != "alice_v3.safetensors" {
				t.Errorf("LoraLoader inputs %v, want alice_v3.safetensors at %v", n.Inputs, weight)
			}
		case "LoraLoaderModelOnly": // a LoRA trained on the diffusion model only
			loaders++
			if n.Inputs["strength_model"] != weight || n.Inputs["lora_name"] != "alice_v3.safetensors" || len(n.Inputs) != 3 {
				t.Errorf("LoraLoaderModelOnly inputs %v, want model and alice_v3.safetensors at %v", n.Inputs, weight)
			}
		}
		// Every link must point at a node that exists.
		for k, v := range n.Inputs {
			if l, ok := v.([]any); ok {
				if _, ok := wf[l[0].(string)]; !ok {
					t.Errorf("node %s input %s links to missing node %v", id, k, l[0])
				}
			}
		}
		if n.ClassType == "CLIPTextEncode" && strings.Contains(n.Inputs["text"].(string), "<lora:") {
			t.Errorf("ComfyUI text %q carries an A1111 block it cannot parse", n.Inputs["text"])
		}
	}
	if loaders != 1 {
		t.Errorf("got %d LoraLoader nodes, want 1", loaders)
	}
}

func TestCompileErrors(t *testing.T) {
	long := strings.Repeat("a very long description of a harbour ", 120)
	tests := []struct {
		name string
		req  compiler.Request
		code string
	}{
		{"unknown platform", compiler.Request{Platform: "midjourney", Prompt: compiler.Prompt{Text: "x"}}, "unknown_platform"},
		{"empty prompt", compiler.Request{Platform: "veo-3.1", Prompt: compiler.Prompt{Text: "  \n"}}, "empty_prompt"},
		{"negative only", compiler.Request{Platform: "sdxl", Prompt: compiler.Prompt{Negative: "blurry"}}, "empty_prompt"},
		{"text and fields", compiler.Request{Platform: "veo-3.1", Prompt: compiler.Prompt{Text: "x", Subject: "y"}}, "invalid_prompt"},
		{"weight too high", compiler.Request{Platform: "flux-dev", Prompt: compiler.Prompt{Text: "x"}, Identity: compiler.Identity{Name: "a", Weight: 1.6}}, "weight_out_of_range"},
		{"weight too low", compiler.Request{Platform: "sdxl", Prompt: compiler.Prompt{Text: "x"}, Identity: compiler.Identity{Name: "a", Weight: 0.05}}, "weight_out_of_range"},
		{"weight negative", compiler.Request{Platform: "sdxl", Prompt: compiler.Prompt{Text: "x"}, Identity: compiler.Identity{Name: "a", Weight: -1}}, "weight_out_of_range"},
		{"weight NaN", compiler.Request{Platform: "flux-schnell", Prompt: compiler.Prompt{Text: "x"}, Identity: compiler.Identity{Name: "a", Weight: math.NaN()}}, "weight_out_of_range"},
		{"name breaks the block", compiler.Request{Platform: "flux-dev", Prompt: compiler.Prompt{Text: "x"}, Identity: compiler.Identity{Name: "a:1>"}}, "invalid_identity"},
		{"trigger without name", compiler.Request{Platform: "flux-dev", Prompt: compiler.Prompt{Text: "x"}, Identity: compiler.Identity{Trigger: "ohwx"}}, "invalid_identity"},
		{"too long", compiler.Request{Platform: "veo-3.1", Prompt: compiler.Prompt{Text: long}}, "prompt_too_long"},
		{"too long with block", compiler.Request{Platform: "flux-schnell", Prompt: compiler.Prompt{Text: long[:990]}, Identity: compiler.Identity{Name: "alice"}}, "prompt_too_long"},
		{"veo 4 s with references", compiler.Request{Platform: "veo-3.1", Prompt: compiler.Prompt{Text: "x"}, Options: compiler.Options{DurationS: 4, References: 2}}, "invalid_duration"},
		{"veo 1080p at 6 s", compiler.Request{Platform: "veo-3.1", Prompt: compiler.Prompt{Text: "x"}, Options: compiler.Options{DurationS: 6, Resolution: "1080p"}}, "invalid_duration"},
		{"grok 15 s with references", compiler.Request{Platform: "grok-3", Prompt: compiler.Prompt{Text: "x"}, Options: compiler.Options{DurationS: 15, References: 1}}, "invalid_duration"},
		{"sora-2 at 1080p", compiler.Request{Platform: "sora-2", Prompt: compiler.Prompt{Text: "x"}, Options: compiler.Options{Size: "1920x1080"}}, "invalid_size"},
		{"pro max at 8 s", compiler.Request{Platform: "sora-2-pro-max", Prompt: compiler.Prompt{Text: "x"}, Options: compiler.Options{DurationS: 8}}, "invalid_duration"},
		{"eight references for grok", compiler.Request{Platform: "grok-3", Prompt: compiler.Prompt{Text: "x"}, Options: compiler.Options{References: 8}}, "too_many_references"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := compiler.Compile(tt.req)
			if got := studio.ErrorCode(err); got != tt.code {
				t.Fatalf("got code %q (err %v, prompt %q), want %q", got, err, res.Prompt, tt.code)
			}
			if studio.ErrorMessage(err) == "" {
				t.Error("error has no message for the user")
			}
		})
	}
}

func TestCompileAccepts(t *testing.T) {
	tests := []struct {
		name  string
		req   compiler.Request
		check func(t *testing.T, r compiler.Result)
	}{
		{"veo 4 s without references", compiler.Request{Platform: "veo-3.1", Prompt: compiler.Prompt{Text: "a harbour"}, Options: compiler.Options{DurationS: 4}},
			func(t *testing.T, r compiler.Result) {
				if r.Params.DurationS != 4 || r.References.Count != 0 || strings.Contains(r.Prompt, "reference") {
					t.Errorf("got %d s, %d refs, %q; want 4 s and no reference binding", r.Params.DurationS, r.References.Count, r.Prompt)
				}
			}},
		{"veo portrait 1080p", compiler.Request{Platform: "veo-3.1-fast", Prompt: compiler.Prompt{Text: "x"}, Options: compiler.Options{AspectRatio: "9:16", Resolution: "1080p", References: -1}},
			func(t *testing.T, r compiler.Result) {
				if r.Params.Size != "1080x1920" || r.Params.DurationS != 8 {
					t.Errorf("got %s %d s, want 1080x1920 8 s", r.Params.Size, r.Params.DurationS)
				}
			}},
		{"pro max defaults", compiler.Request{Platform: "sora-2-pro-max", Prompt: compiler.Prompt{Text: "x"}},
			func(t *testing.T, r compiler.Result) {
				if r.Params.Model != "sora-2-pro" || r.Params.Size != "1920x1080" || r.Params.DurationS != 20 {
					t.Errorf("got %+v, want sora-2-pro at 1920x1080 for 20 s", r.Params)
				}
			}},
		{"grok default with references", compiler.Request{Platform: "grok-3", Prompt: compiler.Prompt{Text: "x"}, Options: compiler.Options{References: 2}},
			func(t *testing.T, r compiler.Result) {
				if !strings.HasPrefix(r.Prompt, "The person from <IMAGE_1> and <IMAGE_2>.") || r.Params.DurationS != 8 {
					t.Errorf("got %q %d s", r.Prompt, r.Params.DurationS)
				}
			}},
		{"weight formatted with two decimals", compiler.Request{Platform: "sdxl", Prompt: compiler.Prompt{Text: "portrait"}, Identity: compiler.Identity{Name: "me", Trigger: "zxq", Weight: 1}},
			func(t *testing.T, r compiler.Result) {
				if r.Prompt != "zxq, portrait <lora:me:1.00>" {
					t.Errorf("got %q", r.Prompt)
				}
			}},
		{"weight rounded once", compiler.Request{Platform: "flux-dev", Prompt: compiler.Prompt{Text: "portrait"}, Identity: compiler.Identity{Name: "me", Weight: 0.333}},
			func(t *testing.T, r compiler.Result) {
				if r.LoRABlock != "<lora:me:0.33>" || r.Params.LoRAWeight != 0.33 || !strings.Contains(string(r.Workflow), `"strength_model": 0.33`) {
					t.Errorf("got block %q weight %v", r.LoRABlock, r.Params.LoRAWeight)
				}
			}},
		{"default weight", compiler.Request{Platform: "sdxl", Prompt: compiler.Prompt{Text: "portrait"}, Identity: compiler.Identity{Name: "me"}},
			func(t *testing.T, r compiler.Result) {
				if r.LoRABlock != "<lora:me:0.80>" || len(r.Warnings) == 0 {
					t.Errorf("got %q, warnings %v; want sdxl's default 0.80 and a no-trigger warning", r.LoRABlock, r.Warnings)
				}
			}},
		{"no identity on a pipeline", compiler.Request{Platform: "flux-dev", Prompt: compiler.Prompt{Text: "a harbour"}},
			func(t *testing.T, r compiler.Result) {
				if r.Prompt != "a harbour" || r.Workflow != nil {
					t.Errorf("got %q and a workflow %v; want the text alone", r.Prompt, r.Workflow != nil)
				}
			}},
		{"flux drops the negative, loudly", compiler.Request{Platform: "flux-dev", Prompt: compiler.Prompt{Text: "x", Negative: "blurry"}},
			func(t *testing.T, r compiler.Result) {
				if r.Params.NegativePrompt != "" || !anyContains(r.Warnings, "negative") {
					t.Errorf("got negative %q, warnings %v", r.Params.NegativePrompt, r.Warnings)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := compiler.Compile(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, r)
		})
	}
}

// TestTargetsNeverLeak feeds a LoRA block and the trigger word through
// every field: no target platform may receive either.
func TestTargetsNeverLeak(t *testing.T) {
	dirty := compiler.Prompt{Text: "OHWX <lora:alice:0.9> walking, ohwx smiling, photo of ohwx"}
	id := compiler.Identity{Name: "alice", Trigger: "ohwx", Describe: "ohwx, short curly hair"}
	for _, p := range compiler.Profiles() {
		if p.SupportsLoRAInjection {
			continue
		}
		t.Run(p.ID, func(t *testing.T) {
			r, err := compiler.Compile(compiler.Request{Platform: p.ID, Prompt: dirty, Identity: id, Options: compiler.Options{References: -1}})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(strings.ToLower(r.Prompt), "ohwx") || strings.Contains(r.Prompt, "<lora") {
				t.Errorf("got %q", r.Prompt)
			}
			if !anyContains(r.Warnings, "trigger word") || !anyContains(r.Warnings, "<lora:…>") {
				t.Errorf("removals were silent: %v", r.Warnings)
			}
			if low := strings.ToLower(r.Prompt); !strings.Contains(low, "short curly hair") || !strings.Contains(low, "walking, smiling, photo of") {
				t.Errorf("removal took more than the trigger: %q", r.Prompt)
			}
		})
	}
}

func anyContains(ss []string, sub string) bool {
	for _, s := range ss {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// Every file name the backend gives a version compiles as a LoRA name,
// however long the model name and the version number.
func TestLoRAFileNameStemsCompile(t *testing.T) {
	for _, base := range []string{"flux-dev", "flux-schnell", "sdxl"} {
		stem := strings.TrimSuffix(studio.LoRAFileName(strings.Repeat("Alexandra ", 12), 123456, base), ".safetensors")
		res, err := compiler.Compile(compiler.Request{Platform: base, Prompt: compiler.Prompt{Text: "a portrait"}, Identity: compiler.Identity{Name: stem}})
		if err != nil || !strings.Contains(res.LoRABlock, stem) {
			t.Errorf("%s: %q: %v %q", base, stem, err, res.LoRABlock)
		}
	}
}
