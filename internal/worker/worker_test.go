package worker_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/internal/safetensors"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/worker"
)

// backend fakes what the worker talks to: photos to GET, the artifact PUT,
// the webhook (verified with the worker's secret).
type backend struct {
	mu       sync.Mutex
	photo    []byte
	artifact []byte
	events   []worker.Event
	secret   []byte
}

func (b *backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/photo"):
		w.Write(b.photo)
	case r.Method == "PUT" && r.URL.Path == "/artifact":
		b.artifact, _ = io.ReadAll(r.Body)
	case r.Method == "POST" && r.URL.Path == "/webhook":
		body, _ := io.ReadAll(r.Body)
		if _, err := (stdwebhook.Verifier{Secrets: [][]byte{b.secret}}).Verify(r.Header, body); err != nil {
			w.WriteHeader(401)
			return
		}
		var ev worker.Event
		json.Unmarshal(body, &ev)
		b.events = append(b.events, ev)
	default:
		w.WriteHeader(404)
	}
}

func (b *backend) last() worker.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.events) == 0 {
		return worker.Event{}
	}
	return b.events[len(b.events)-1]
}

func TestWorker(t *testing.T) {
	dsec, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	wsec, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	trainer, _ := filepath.Abs(filepath.Join("testdata", "fake-trainer.sh"))
	photo := []byte("not really a jpeg, the fake trainer does not look")
	sum := sha256.Sum256(photo)
	be := &backend{photo: photo, secret: wsec}
	bs := httptest.NewServer(be)
	defer bs.Close()
	runs := filepath.Join(t.TempDir(), "runs")
	seen := t.TempDir() // what the trainer was given, copied by the test double
	dir := t.TempDir()
	w, err := worker.New(worker.Config{DispatchSecrets: [][]byte{dsec}, WebhookSecret: wsec, Trainer: []string{trainer, "{config}"},
		Env: []string{"FAKE_TRAINER_RUNS=" + runs, "FAKE_TRAINER_DATASET_COPY=" + seen}, WorkDir: dir, WebhookBackoff: 10 * time.Millisecond, PublicURL: "http://gpu-box:8090"})
	if err != nil {
		t.Fatal(err)
	}
	ws := httptest.NewServer(w.Handler())
	defer ws.Close()
	dispatch := func(d worker.Dispatch, secret []byte, at time.Time) (int, string) {
		body, _ := json.Marshal(d)
		req, _ := http.NewRequest("POST", ws.URL+"/jobs", bytes.NewReader(body))
		stdwebhook.SetHeaders(req.Header, secret, "msg_"+d.DispatchKey, at, body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	job := func(key, base string, shaHex string) worker.Dispatch {
		return worker.Dispatch{JobID: "job-" + key, DispatchKey: key, BaseModel: base,
			Params:     worker.Params{Rank: 4, Steps: 100, LearningRate: 1e-4, Resolution: 512, TriggerWord: "ohwx", CaptionTemplate: "a photo of {trigger}"},
			Items:      []worker.Item{{Name: "a.jpg", URL: bs.URL + "/photo", SHA256: shaHex, Size: int64(len(photo))}},
			Artifact:   worker.Upload{Method: "PUT", URL: bs.URL + "/artifact", Headers: map[string]string{"Content-Type": "application/octet-stream"}, MaxSize: 1 << 20},
			WebhookURL: bs.URL + "/webhook"}
	}
	good := hex.EncodeToString(sum[:])
	tests := []struct {
		name   string
		d      worker.Dispatch
		secret []byte
		at     time.Time
		status int
		final  string // the last webhook's status, after Wait
		errHas string
	}{
		{"unsigned", job("dk_unsigned1", "sdxl", good), wsec, time.Now(), 401, "", ""},
		{"stale", job("dk_stale0001", "sdxl", good), dsec, time.Now().Add(-10 * time.Minute), 401, "", ""},
		{"unknown base model", job("dk_unknown01", "sd15", good), dsec, time.Now(), 422, "", ""},
		{"sdxl trains", job("dk_sdxl00001", "sdxl", good), dsec, time.Now(), 202, "succeeded", ""},
		{"same key again", job("dk_sdxl00001", "sdxl", good), dsec, time.Now(), 202, "succeeded", ""},
		{"flux trains", job("dk_flux00001", "flux-dev", good), dsec, time.Now(), 202, "succeeded", ""},
		{"photo with another sha256", job("dk_badsha001", "flux-dev", strings.Repeat("0", 64)), dsec, time.Now(), 202, "failed", "sha256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := dispatch(tt.d, tt.secret, tt.at)
			if code != tt.status {
				t.Fatalf("got %d %s, want %d", code, body, tt.status)
			}
			w.Wait()
			if tt.final == "" {
				return
			}
			ev := be.last()
			if ev.Status != tt.final || ev.DispatchKey != tt.d.DispatchKey || !strings.Contains(ev.Error, tt.errHas) {
				t.Fatalf("last webhook %+v, want %s for %s", ev, tt.final, tt.d.DispatchKey)
			}
			if tt.final == "succeeded" {
				got := sha256.Sum256(be.artifact)
				if ev.Checksum != "sha256:"+hex.EncodeToString(got[:]) || ev.Size != int64(len(be.artifact)) {
					t.Errorf("checksum %s size %d do not describe the %d uploaded bytes", ev.Checksum, ev.Size, len(be.artifact))
				}
				if _, err := safetensors.Check(bytes.NewReader(be.artifact), int64(len(be.artifact))); err != nil {
					t.Errorf("uploaded artifact: %v", err)
				}
				if ev.LogsURL != "http://gpu-box:8090/jobs/"+tt.d.DispatchKey+"/logs" {
					t.Errorf("logs url %q", ev.LogsURL)
				}
			}
		})
	}
	b, _ := os.ReadFile(runs)
	if got := strings.Count(string(b), "\n"); got != 2 {
		t.Errorf("the trainer ran %d times, want 2 (sdxl once despite the repeated dispatch, flux once)", got)
	}
	toml, _ := os.ReadFile(filepath.Join(dir, "dk_sdxl00001", "config.toml"))
	yaml, _ := os.ReadFile(filepath.Join(dir, "dk_flux00001", "config.yaml"))
	caption, _ := os.ReadFile(filepath.Join(seen, "dk_flux00001", "001.txt"))
	for _, c := range []struct{ name, text, want string }{
		{"sd-scripts network", string(toml), `network_module = "networks.lora"`},
		{"sd-scripts steps", string(toml), "max_train_steps = 100"},
		{"sd-scripts model", string(toml), "stable-diffusion-xl-base-1.0"},
		{"ai-toolkit trigger", string(yaml), `trigger_word: "ohwx"`},
		{"ai-toolkit rank", string(yaml), "linear: 4"},
		{"ai-toolkit flux", string(yaml), "is_flux: true"},
		{"caption", string(caption), "a photo of ohwx"},
	} {
		if !strings.Contains(c.text, c.want) {
			t.Errorf("%s: %q not in\n%s", c.name, c.want, c.text)
		}
	}
	resp, err := http.Get(ws.URL + "/jobs/dk_flux00001/logs")
	if err == nil {
		logs, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(logs), "100/100") {
			t.Errorf("logs: %s", logs)
		}
	}
	// Once a job has ended, the worker keeps nothing of the user's: the
	// photos, captions and what was trained from them are gone; the
	// folder (the dispatch's dedup record), config and log stay.
	for _, key := range []string{"dk_flux00001", "dk_sdxl00001"} {
		for _, gone := range []string{"images", "output"} {
			if _, err := os.Stat(filepath.Join(dir, key, gone)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s/%s is still on the worker after the job (err %v)", key, gone, err)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, key, "train.log")); err != nil {
			t.Errorf("%s: the log is gone: %v", key, err)
		}
	}
}

// A worker that starts deletes what jobs cut off by a crash left behind:
// they never resume here.
func TestWorkerForgetsInterruptedJobs(t *testing.T) {
	dsec, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	wsec, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	dir := t.TempDir()
	job := filepath.Join(dir, "dk_crashed0001")
	for _, f := range []string{"images/001.jpg", "images/001.txt", "output/lora/lora_000000050.safetensors", "train.log", "config.yaml", "../.captions/run-1/images/001.jpg"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(job, f)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(job, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := worker.New(worker.Config{DispatchSecrets: [][]byte{dsec}, WebhookSecret: wsec, Trainer: []string{"true"}, WorkDir: dir}); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]bool{"images": false, "output": false, "train.log": true, "config.yaml": true, "../.captions": false} {
		if _, err := os.Stat(filepath.Join(job, f)); (err == nil) != want {
			t.Errorf("%s after a restart: exists %v, want %v", f, err == nil, want)
		}
	}
}
