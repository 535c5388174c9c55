package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/promptforge/lorastudio/app"
	"github.com/promptforge/lorastudio/internal/studio"
)

// fakeRuntime records events instead of sending them to a webview.
type fakeRuntime struct {
	mu     sync.Mutex
	events []string
	dir    string // what the folder dialog answers
}

func (f *fakeRuntime) Emit(_ context.Context, name string, _ ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, name)
}
func (f *fakeRuntime) SaveFile(context.Context, string, string) (string, error) { return "", nil }
func (f *fakeRuntime) OpenFiles(context.Context, string) ([]string, error)      { return nil, nil }
func (f *fakeRuntime) OnFileDrop(context.Context, func([]string))               {}
func (f *fakeRuntime) Raise(context.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, "raise")
}
func (f *fakeRuntime) OpenURL(_ context.Context, url string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, "open "+url)
}

// OpenDirectory answers as a user picking f.dir would ("" as canceling).
func (f *fakeRuntime) OpenDirectory(context.Context, string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dir, nil
}

func newApp(t *testing.T, dir string) (*app.App, *fakeRuntime) {
	t.Helper()
	return newAppWith(t, dir, nil)
}

// newAppWith is newApp with mod applied to the config.
func newAppWith(t *testing.T, dir string, mod func(*app.Config)) (*app.App, *fakeRuntime) {
	t.Helper()
	rt := &fakeRuntime{}
	cfg := app.Config{
		Getenv:  func(k string) string { return map[string]string{"LORASTUDIO_DATA_DIR": dir}[k] },
		Runtime: rt,
		Version: "test",
	}
	if mod != nil {
		mod(&cfg)
	}
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Shutdown(a)(context.Background()) })
	return a, rt
}

func TestSelectionPersistsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	a, rt := newApp(t, dir)
	sel, err := a.GetSelection()
	if err != nil || sel != app.DefaultSelection {
		t.Fatalf("fresh selection: got %+v, %v; want the default", sel, err)
	}
	want := app.Selection{TargetPlatform: "sora-2-pro-max", BaseModel: "sdxl"}
	if _, err := a.SetSelection(want); err != nil {
		t.Fatal(err)
	}
	if len(rt.events) != 1 || rt.events[0] != "selection:changed" {
		t.Errorf("events: got %v, want [selection:changed]", rt.events)
	}
	app.Shutdown(a)(context.Background())

	b, _ := newApp(t, dir)
	if got, err := b.GetSelection(); err != nil || got != want {
		t.Errorf("after restart: got %+v, %v; want %+v", got, err, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "lorastudio.db")); err != nil {
		t.Errorf("database not in the data dir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "logs", "desktop.log")); err != nil {
		t.Errorf("log not in the data dir: %v", err)
	}
}

func TestSetSelectionRefusesMixups(t *testing.T) {
	a, rt := newApp(t, t.TempDir())
	tests := []struct {
		name string
		sel  app.Selection
		code string
	}{
		{"base model as platform", app.Selection{TargetPlatform: "flux-dev", BaseModel: "sdxl"}, "unknown_platform"},
		{"platform as base model", app.Selection{TargetPlatform: "veo-3.1", BaseModel: "sora-2"}, "unknown_base_model"},
		{"empty", app.Selection{}, "unknown_platform"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.SetSelection(tt.sel)
			if err == nil || !strings.HasPrefix(err.Error(), tt.code+": ") {
				t.Errorf("got %v, want an error with code %s", err, tt.code)
			}
		})
	}
	if got, _ := a.GetSelection(); got != app.DefaultSelection {
		t.Errorf("a refused selection was saved: %+v", got)
	}
	if len(rt.events) != 0 {
		t.Errorf("events after refusals: %v", rt.events)
	}
}

func TestListsSayTheTruth(t *testing.T) {
	a, _ := newApp(t, t.TempDir())
	trainable := map[string]bool{}
	models := a.Training.BaseModels()
	if models.Source != app.ModelsLocal {
		t.Errorf("signed out, the base models come from %q, want local", models.Source)
	}
	for _, m := range models.Models {
		trainable[m.ID] = true
		// The picker shows the VRAM class and the licence note beside each
		// model; FLUX.1 dev and FLUX.2 dev say they are non-commercial.
		if m.VRAMClass == "" || m.License.Note == "" {
			t.Errorf("%s: no VRAM class or licence note for the picker", m.ID)
		}
		if (m.ID == "flux-dev" || m.ID == "flux-2-dev") && !m.NonCommercial() {
			t.Errorf("%s is not marked non-commercial", m.ID)
		}
	}
	for _, p := range a.TargetPlatforms() {
		if trainable[p.ID] {
			t.Errorf("target platform %s offered as trainable", p.ID)
		}
	}
	if len(a.TargetPlatforms()) != 6 || len(models.Models) != len(studio.BaseModels()) {
		t.Errorf("got %d platforms and %d base models, want 6 and %d", len(a.TargetPlatforms()), len(models.Models), len(studio.BaseModels()))
	}
}
