package worker_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/internal/worker"
)

// TestTrainerPerFamily: each family's jobs go to its own trainer (the fake
// refuses the other trainer's config as ai-toolkit and sd-scripts do), and
// a worker advertises and accepts only the base models it has a trainer for.
func TestTrainerPerFamily(t *testing.T) {
	fake, _ := filepath.Abs(filepath.Join("testdata", "fake-trainer.sh"))
	aiToolkit := []string{fake, "ai-toolkit", "{config}"}
	sdScripts := []string{fake, "sd-scripts", "{config}"}
	tests := []struct {
		name       string
		fallback   []string
		trainers   map[string][]string
		models     []string // LORASTUDIO_WORKER_BASE_MODELS; empty: the defaults
		advertised []string
		results    map[string]string // base model -> final status, or "422"
	}{
		{"both families", nil, map[string][]string{worker.FamilyFlux: aiToolkit, worker.FamilySDXL: sdScripts}, nil,
			[]string{"flux-dev", "flux-schnell", "sdxl"}, map[string]string{"flux-dev": "succeeded", "sdxl": "succeeded"}},
		{"fallback for flux, sdxl its own", aiToolkit, map[string][]string{worker.FamilySDXL: sdScripts}, nil,
			[]string{"flux-dev", "flux-schnell", "sdxl"}, map[string]string{"flux-schnell": "succeeded", "sdxl": "succeeded"}},
		{"flux only", nil, map[string][]string{worker.FamilyFlux: aiToolkit}, nil,
			[]string{"flux-dev", "flux-schnell"}, map[string]string{"flux-dev": "succeeded", "sdxl": "422"}},
		{"sdxl only", nil, map[string][]string{worker.FamilySDXL: sdScripts}, nil,
			[]string{"sdxl"}, map[string]string{"flux-dev": "422", "sdxl": "succeeded"}},
		// One command for all: what the worker did before, and why SDXL failed.
		{"one ai-toolkit command for all", aiToolkit, nil, nil,
			[]string{"flux-dev", "flux-schnell", "sdxl"}, map[string]string{"flux-dev": "succeeded", "sdxl": "failed"}},
		// The late-2026 models need a recent ai-toolkit: listed, they go to
		// its command (Wan 2.2's LoRA is the low-noise expert's file).
		{"new models listed", nil, map[string][]string{worker.FamilyFlux: aiToolkit},
			[]string{"flux-2-dev", "qwen-image", "z-image", "wan-2.2"}, []string{"flux-2-dev", "qwen-image", "z-image", "wan-2.2"},
			map[string]string{"wan-2.2": "succeeded", "qwen-image": "succeeded", "flux-dev": "422"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := newStoreBackend(t)
			dsec := mustSecret(t)
			w, err := worker.New(worker.Config{DispatchSecrets: [][]byte{dsec}, WebhookSecret: be.secret,
				Trainer: tt.fallback, Trainers: tt.trainers, BaseModels: tt.models, WorkDir: t.TempDir(), WebhookBackoff: 10 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			ws := httptest.NewServer(w.Handler())
			defer ws.Close()
			resp, err := http.Get(ws.URL + "/base-models")
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				BaseModels []string `json:"base_models"`
			}
			json.NewDecoder(resp.Body).Decode(&got)
			resp.Body.Close()
			if !slices.Equal(got.BaseModels, tt.advertised) {
				t.Errorf("advertised %v, want %v", got.BaseModels, tt.advertised)
			}
			for base, want := range tt.results {
				key := "dk_fam_" + strings.NewReplacer("-", "_", ".", "_").Replace(base)
				code, body := post(t, ws.URL+"/jobs", dsec, be.job(key, base, 8, 4, "ohwx person"))
				if want == "422" {
					if code != 422 {
						t.Errorf("%s: dispatch answered %d %s, want 422", base, code, body)
					}
					continue
				}
				if code != 202 {
					t.Errorf("%s: dispatch answered %d %s", base, code, body)
				}
				w.Wait()
				_, last := be.checkpoints()
				if last.Status != want || last.DispatchKey != key {
					t.Errorf("%s: last webhook %s %q, want %s", base, last.Status, last.Error, want)
				}
			}
		})
	}
}

func TestNewRefusesAModelWithoutTrainer(t *testing.T) {
	s := mustSecret(t)
	for _, c := range []worker.Config{
		{BaseModels: []string{"sdxl"}, Trainers: map[string][]string{worker.FamilyFlux: {"ai-toolkit"}}},
		{BaseModels: []string{"sd15"}, Trainer: []string{"train"}},
		{BaseModels: []string{"wan-2.2"}, Trainers: map[string][]string{worker.FamilySDXL: {"sd-scripts"}}},
		{},
	} {
		c.DispatchSecrets, c.WebhookSecret, c.WorkDir = [][]byte{s}, s, t.TempDir()
		if _, err := worker.New(c); err == nil {
			t.Errorf("New(%v, %v, %v) accepted a base model it cannot train", c.BaseModels, c.Trainer, c.Trainers)
		}
	}
}
