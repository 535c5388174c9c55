package studio_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/promptforge/lorastudio/internal/studio"
)

// validFile is testdata/basemodel-valid.json, the shape every
// basemodels/*.json file has.
func validFile(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "basemodel-valid.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func load(t *testing.T, files map[string]map[string]any) ([]studio.BaseModel, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, m := range files {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		fsys["basemodels/"+name] = &fstest.MapFile{Data: b}
	}
	return studio.LoadBaseModels(fsys)
}

// TestLoadBaseModelsStrict: each broken file is refused with a reason; the
// valid one loads.
func TestLoadBaseModelsStrict(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		edit    func(m map[string]any)
		wantErr string
	}{
		{"valid", "test-model.json", func(map[string]any) {}, ""},
		{"unknown key", "test-model.json", func(m map[string]any) { m["vram"] = "24gb" }, "unknown field"},
		{"id is not the file name", "other.json", func(map[string]any) {}, "does not match its file name"},
		{"bad kind", "test-model.json", func(m map[string]any) { m["kind"] = "audio" }, "is not image or video"},
		{"bad resolution", "test-model.json", func(m map[string]any) { m["resolution"] = 1000 }, "multiple of 64"},
		{"bad vram class", "test-model.json", func(m map[string]any) { m["vram_class"] = "20gb" }, "vram_class"},
		{"unknown trainer", "test-model.json", func(m map[string]any) { m["trainers"] = []string{"kohya_ss"} }, "trainer \"kohya_ss\""},
		{"trainer without its block", "test-model.json", func(m map[string]any) { m["trainers"] = []string{"ai-toolkit", "sd-scripts"} }, "sd_scripts block"},
		{"preset out of bounds", "test-model.json", func(m map[string]any) { m["preset"].(map[string]any)["rank"] = 512 }, "preset"},
		{"no sources", "test-model.json", func(m map[string]any) { m["sources"] = []string{} }, "sources"},
		{"http source", "test-model.json", func(m map[string]any) { m["sources"] = []string{"http://example.com"} }, "not an https URL"},
		{"no checked date", "test-model.json", func(m map[string]any) { m["checked"] = "yesterday" }, "not a date"},
		{"unconfirmed licence not listed", "test-model.json", func(m map[string]any) {
			m["license"].(map[string]any)["commercial_use"] = nil
		}, "not listed as unconfirmed"},
		{"non-commercial without saying so", "test-model.json", func(m map[string]any) {
			m["license"].(map[string]any)["commercial_use"] = false
		}, "must say non-commercial"},
		{"unknown fact field", "test-model.json", func(m map[string]any) { m["unconfirmed"] = []string{"colour"} }, "not one of"},
		{"fact both third-party and unconfirmed", "test-model.json", func(m map[string]any) {
			m["unconfirmed"] = []string{"license"}
			m["third_party_only"] = []string{"license"}
		}, "both"},
		{"both arch and is_flux", "test-model.json", func(m map[string]any) { m["ai_toolkit"].(map[string]any)["is_flux"] = true }, "exactly one of arch and is_flux"},
		{"video without frames", "test-model.json", func(m map[string]any) { m["kind"] = "video" }, "frames and fps"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validFile(t)
			tt.edit(m)
			ms, err := load(t, map[string]map[string]any{tt.file: m})
			if tt.wantErr == "" {
				if err != nil || len(ms) != 1 || ms[0].ID != "test-model" || ms[0].AIToolkit.Arch != "qwen_image" || ms[0].Preset.Rank != 16 {
					t.Fatalf("got %+v, %v; want the test model", ms, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadBaseModelsOrder(t *testing.T) {
	a, b := validFile(t), validFile(t)
	b["id"], b["order"] = "another", 5
	ms, err := load(t, map[string]map[string]any{"test-model.json": a, "another.json": b})
	if err != nil {
		t.Fatal(err)
	}
	if ms[0].ID != "another" || ms[1].ID != "test-model" {
		t.Errorf("got %s, %s; want another (order 5) first", ms[0].ID, ms[1].ID)
	}
	b["order"] = a["order"]
	if _, err := load(t, map[string]map[string]any{"test-model.json": a, "another.json": b}); err == nil || !strings.Contains(err.Error(), "order") {
		t.Errorf("got %v, want a duplicate order refused", err)
	}
}

// TestBaseModelFacts: what the issue asks of each model is in its data.
func TestBaseModelFacts(t *testing.T) {
	nonCommercial := map[string]bool{"flux-dev": true, "flux-2-dev": true, "flux-2-klein-9b": true}
	video := map[string]bool{"wan-2.2": true}
	for _, m := range studio.BaseModels() {
		t.Run(m.ID, func(t *testing.T) {
			if m.NonCommercial() != nonCommercial[m.ID] {
				t.Errorf("non-commercial %v, want %v", m.NonCommercial(), nonCommercial[m.ID])
			}
			if nonCommercial[m.ID] && !strings.Contains(strings.ToLower(m.License.Note), "non-commercial") {
				t.Errorf("licence note %q does not say non-commercial", m.License.Note)
			}
			if (m.Kind == studio.KindVideo) != video[m.ID] {
				t.Errorf("kind %q", m.Kind)
			}
			if m.Checked == "" || len(m.Sources) == 0 || m.VRAMClass == "" || m.Preset.Steps == 0 || m.RecommendedImages.Min == 0 {
				t.Errorf("missing facts: %+v", m)
			}
			if (m.AIToolkit != nil) == (m.SDScripts != nil) {
				t.Errorf("needs exactly one trainer spec")
			}
			if m.License.CommercialUse == nil && !strings.Contains(strings.ToLower(m.License.Note), "unconfirmed") {
				t.Errorf("an unconfirmed licence's note %q must say so", m.License.Note)
			}
		})
	}
}

// TestBaseModelsAreCopies: a caller cannot edit the registry.
func TestBaseModelsAreCopies(t *testing.T) {
	m, err := studio.LookupBaseModel("wan-2.2")
	if err != nil {
		t.Fatal(err)
	}
	m.Sources[0] = "changed"
	m.AIToolkit.ModelKwargs["train_high_noise"] = true
	*m.License.CommercialUse = false
	again, _ := studio.LookupBaseModel("wan-2.2")
	if again.Sources[0] == "changed" || again.AIToolkit.ModelKwargs["train_high_noise"] != false || !*again.License.CommercialUse {
		t.Errorf("the registry changed through a returned copy: %+v", again)
	}
}
