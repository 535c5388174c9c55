package worker_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/internal/worker"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the configs written now")

// sampling plans checkpoints every `every` steps up to steps, with
// presigned URLs under base.
func sampling(base string, every, steps int, prompts ...string) *worker.Sampling {
	s := &worker.Sampling{Every: every, Prompts: prompts}
	put := func(name string, max int64) worker.Upload {
		return worker.Upload{Method: "PUT", URL: base + "/" + name, Headers: map[string]string{"Content-Type": "image/png"}, MaxSize: max}
	}
	for step := every; ; step = min(step+every, steps) {
		sl := worker.Slot{Step: step}
		if step < steps {
			u := put(fmt.Sprintf("ckpt-%d", step), 1<<20)
			u.Headers = map[string]string{"Content-Type": "application/octet-stream"}
			sl.Artifact = &u
		}
		for i := range prompts {
			sl.Samples = append(sl.Samples, put(fmt.Sprintf("sample-%d-%d", step, i), 1<<20))
		}
		s.Slots = append(s.Slots, sl)
		if step == steps {
			return s
		}
	}
}

// TestWriteConfigGolden pins each trainer's configuration: sampling,
// checkpoints and (sd-scripts) buckets, as read in the trainers' sources.
func TestWriteConfigGolden(t *testing.T) {
	params := worker.Params{Rank: 16, Steps: 1000, LearningRate: 1e-4, Resolution: 1024, TriggerWord: "ohwx", CaptionTemplate: "a photo of {trigger}"}
	prompts := []string{"a portrait of ohwx person, studio light", "ohwx person hiking,\nmountains -- at dusk", "# ohwx person at a cafe"}
	tests := []struct {
		name     string
		base     string
		sampling *worker.Sampling
		files    []string
	}{
		{"ai-toolkit-flux-dev-sampling", "flux-dev", sampling("http://s", 250, 1000, prompts...), []string{"config.yaml"}},
		{"ai-toolkit-flux-schnell-sampling", "flux-schnell", sampling("http://s", 400, 1000, prompts[:1]...), []string{"config.yaml"}},
		{"ai-toolkit-flux-dev-plain", "flux-dev", nil, []string{"config.yaml"}},
		{"ai-toolkit-flux-2-dev-sampling", "flux-2-dev", sampling("http://s", 250, 1000, prompts...), []string{"config.yaml"}},
		{"ai-toolkit-flux-2-klein-9b-sampling", "flux-2-klein-9b", sampling("http://s", 500, 1000, prompts[:1]...), []string{"config.yaml"}},
		{"ai-toolkit-flux-2-klein-4b-plain", "flux-2-klein-4b", nil, []string{"config.yaml"}},
		{"ai-toolkit-qwen-image-sampling", "qwen-image", sampling("http://s", 250, 1000, prompts...), []string{"config.yaml"}},
		{"ai-toolkit-z-image-plain", "z-image", nil, []string{"config.yaml"}},
		{"ai-toolkit-z-image-turbo-sampling", "z-image-turbo", sampling("http://s", 500, 1000, prompts[:1]...), []string{"config.yaml"}},
		{"ai-toolkit-wan-2.2-sampling", "wan-2.2", sampling("http://s", 250, 1000, prompts[:2]...), []string{"config.yaml"}},
		{"ai-toolkit-wan-2.2-plain", "wan-2.2", nil, []string{"config.yaml"}},
		{"sd-scripts-sdxl-sampling", "sdxl", sampling("http://s", 250, 1000, prompts...), []string{"config.toml", "dataset.toml", "prompts.txt"}},
		{"sd-scripts-sdxl-plain", "sdxl", nil, []string{"config.toml", "dataset.toml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			d := worker.Dispatch{BaseModel: tt.base, Params: params, Sampling: tt.sampling}
			path, err := worker.WriteConfig(dir, filepath.Join(dir, "images"), filepath.Join(dir, "output"), d)
			if err != nil {
				t.Fatal(err)
			}
			if got := filepath.Base(path); got != tt.files[0] {
				t.Errorf("config file %s, want %s", got, tt.files[0])
			}
			var b strings.Builder
			for _, f := range tt.files {
				text, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(&b, "==> %s <==\n%s", f, strings.ReplaceAll(string(text), dir, "/JOB"))
			}
			if extra, _ := filepath.Glob(filepath.Join(dir, "*")); len(extra) != len(tt.files) {
				t.Errorf("wrote %v, want only %v", extra, tt.files)
			}
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if b.String() != string(want) {
				t.Errorf("config differs from %s (rerun with -update if intended):\n%s", golden, b.String())
			}
		})
	}
}
