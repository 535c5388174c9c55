package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/worker"
)

// TestWorkerConfigTrainers: the trainer is chosen per family from the
// environment, LORASTUDIO_WORKER_TRAINER being the fallback for both.
func TestWorkerConfigTrainers(t *testing.T) {
	base := map[string]string{"LORASTUDIO_WORKER_SECRET": stdwebhook.NewSecret(), "LORASTUDIO_WORKER_WEBHOOK_SECRET": stdwebhook.NewSecret()}
	tests := []struct {
		name       string
		env        map[string]string
		flux, sdxl string // the command each family runs, "" for none
		models     []string
		errHas     string
	}{
		{"fallback for both", map[string]string{"LORASTUDIO_WORKER_TRAINER": "train {config}"}, "train {config}", "train {config}", []string{"flux-dev", "flux-schnell", "sdxl"}, ""},
		{"one per family", map[string]string{"LORASTUDIO_WORKER_TRAINER_FLUX": "python run.py", "LORASTUDIO_WORKER_TRAINER_SDXL": "accelerate launch sdxl_train_network.py --config_file {config}"},
			"python run.py", "accelerate launch sdxl_train_network.py --config_file {config}", []string{"flux-dev", "flux-schnell", "sdxl"}, ""},
		{"flux only", map[string]string{"LORASTUDIO_WORKER_TRAINER_FLUX": "python run.py"}, "python run.py", "", []string{"flux-dev", "flux-schnell"}, ""},
		{"sdxl over the fallback", map[string]string{"LORASTUDIO_WORKER_TRAINER": "python run.py", "LORASTUDIO_WORKER_TRAINER_SDXL": "sdxl {config}"}, "python run.py", "sdxl {config}", []string{"flux-dev", "flux-schnell", "sdxl"}, ""},
		{"none", map[string]string{}, "", "", nil, "LORASTUDIO_WORKER_TRAINER_FLUX"},
		{"a listed model without trainer", map[string]string{"LORASTUDIO_WORKER_TRAINER_FLUX": "python run.py", "LORASTUDIO_WORKER_BASE_MODELS": "flux-dev,sdxl"}, "", "", nil, `"sdxl" has no trainer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"LORASTUDIO_WORKER_DIR": t.TempDir()}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			cfg, err := workerConfig(&cli{getenv: func(k string) string { return env[k] }})
			var w *worker.Worker
			if err == nil {
				w, err = worker.New(cfg)
			}
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("got %v, want an error naming %s", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			pick := func(fam string) string {
				if c, ok := cfg.Trainers[fam]; ok {
					return strings.Join(c, " ")
				}
				return strings.Join(cfg.Trainer, " ")
			}
			if got := pick(worker.FamilyFlux); tt.flux != "" && got != tt.flux {
				t.Errorf("flux runs %q, want %q", got, tt.flux)
			}
			if got := pick(worker.FamilySDXL); tt.sdxl != "" && got != tt.sdxl {
				t.Errorf("sdxl runs %q, want %q", got, tt.sdxl)
			}
			if got := w.BaseModels(); !slices.Equal(got, tt.models) {
				t.Errorf("trains %v, want %v", got, tt.models)
			}
		})
	}
}

// TestWorkerConfigCaptioner: the captioner command and its timeout come
// from the environment; a bad timeout is refused, none leaves the worker
// without captioner.
func TestWorkerConfigCaptioner(t *testing.T) {
	for _, tt := range []struct {
		name, cmd, timeout string
		want               []string
		errHas             string
	}{
		{"none", "", "", nil, ""},
		{"a script with arguments", "python /opt/cap/caption.py --model florence-2", "", []string{"python", "/opt/cap/caption.py", "--model", "florence-2"}, ""},
		{"a timeout", "caption", "90s", []string{"caption"}, ""},
		{"a bad timeout", "caption", "soon", nil, "LORASTUDIO_WORKER_CAPTION_TIMEOUT"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"LORASTUDIO_WORKER_DIR": t.TempDir(), "LORASTUDIO_WORKER_TRAINER": "train",
				"LORASTUDIO_WORKER_SECRET": stdwebhook.NewSecret(), "LORASTUDIO_WORKER_WEBHOOK_SECRET": stdwebhook.NewSecret(),
				"LORASTUDIO_WORKER_CAPTIONER": tt.cmd, "LORASTUDIO_WORKER_CAPTION_TIMEOUT": tt.timeout}
			cfg, err := workerConfig(&cli{getenv: func(k string) string { return env[k] }})
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("got %v, want an error naming %s", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cfg.Captioner, tt.want) {
				t.Errorf("captioner %q, want %q", cfg.Captioner, tt.want)
			}
			if tt.timeout == "90s" && cfg.CaptionTimeout.Seconds() != 90 {
				t.Errorf("caption timeout %s, want 90s", cfg.CaptionTimeout)
			}
		})
	}
}
