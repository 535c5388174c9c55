package worker_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/internal/safetensors"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/worker"
)

// storeBackend is what the worker talks to, with a real local blob store
// behind presigned URLs: photos to GET, uploads to PUT, webhooks to POST.
type storeBackend struct {
	t      *testing.T
	srv    *httptest.Server
	blobs  *blob.Local
	secret []byte
	photo  []byte
	mu     sync.Mutex
	events []worker.Event
	// done, when set, is asked at each webhook whether the trainer has
	// finished; early records the checkpoint steps reported before that.
	done  func() bool
	early []int
}

func newStoreBackend(t *testing.T) *storeBackend {
	b := &storeBackend{t: t, secret: mustSecret(t), photo: []byte("a photo the fake trainer does not look at")}
	mux := http.NewServeMux()
	b.srv = httptest.NewServer(mux)
	t.Cleanup(b.srv.Close)
	var err error
	if b.blobs, err = blob.NewLocal(t.TempDir(), b.srv.URL+"/blob", bytes.Repeat([]byte("k"), 32), nil); err != nil {
		t.Fatal(err)
	}
	mux.Handle("/blob/", b.blobs.Handler())
	mux.HandleFunc("GET /photo", func(w http.ResponseWriter, r *http.Request) { w.Write(b.photo) })
	mux.HandleFunc("POST /webhook", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if _, err := (stdwebhook.Verifier{Secrets: [][]byte{b.secret}}).Verify(r.Header, body); err != nil {
			w.WriteHeader(401)
			return
		}
		var ev worker.Event
		json.Unmarshal(body, &ev)
		b.mu.Lock()
		if b.done != nil && ev.Checkpoint != nil && !b.done() {
			b.early = append(b.early, ev.Checkpoint.Step)
		}
		b.events = append(b.events, ev)
		b.mu.Unlock()
	})
	return b
}

func mustSecret(t *testing.T) []byte {
	s, err := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (b *storeBackend) put(key, contentType string) worker.Upload {
	r, err := b.blobs.PresignPutMax(context.Background(), key, contentType, 1<<20, time.Hour)
	if err != nil {
		b.t.Fatal(err)
	}
	return worker.Upload{Method: r.Method, URL: r.URL, Headers: r.Headers, MaxSize: 1 << 20}
}

// job is a dispatch whose uploads are presigned under jobs/<key>/.
func (b *storeBackend) job(key, base string, steps, every int, prompts ...string) worker.Dispatch {
	sum := sha256Hex(b.photo)
	d := worker.Dispatch{JobID: "job-" + key, DispatchKey: key, BaseModel: base,
		Params:     worker.Params{Rank: 2, Steps: steps, LearningRate: 1e-4, Resolution: 512, TriggerWord: "ohwx", CaptionTemplate: "a photo of {trigger}"},
		Items:      []worker.Item{{Name: "a.jpg", URL: b.srv.URL + "/photo", SHA256: sum, Size: int64(len(b.photo))}},
		Artifact:   b.put("jobs/"+key+"/final.safetensors", "application/octet-stream"),
		WebhookURL: b.srv.URL + "/webhook"}
	if every == 0 {
		return d
	}
	d.Sampling = &worker.Sampling{Every: every, Prompts: prompts}
	for step := every; ; step = min(step+every, steps) {
		sl := worker.Slot{Step: step}
		if step < steps {
			u := b.put(fmt.Sprintf("jobs/%s/step-%d.safetensors", key, step), "application/octet-stream")
			sl.Artifact = &u
		}
		for i := range prompts {
			sl.Samples = append(sl.Samples, b.put(fmt.Sprintf("jobs/%s/sample-%d-%d.png", key, step, i), "image/png"))
		}
		d.Sampling.Slots = append(d.Sampling.Slots, sl)
		if step == steps {
			return d
		}
	}
}

// object reads a stored object and checks that the store's sha256 of it
// is the checksum a webhook reported.
func (b *storeBackend) object(key, checksum string, size int64) []byte {
	b.t.Helper()
	rc, err := b.blobs.Open(context.Background(), key)
	if err != nil {
		b.t.Fatalf("%s: %v", key, err)
	}
	defer rc.Close()
	data, _ := io.ReadAll(rc)
	if got := "sha256:" + sha256Hex(data); got != checksum || int64(len(data)) != size {
		b.t.Errorf("%s: stored %s (%d bytes), reported %s (%d bytes)", key, got, len(data), checksum, size)
	}
	if info, err := b.blobs.Stat(context.Background(), key); err != nil || (info.SHA256 != "" && "sha256:"+info.SHA256 != checksum) {
		b.t.Errorf("%s: stat %+v %v, reported %s", key, info, err, checksum)
	}
	return data
}

func (b *storeBackend) checkpoints() (running []worker.Checkpoint, final worker.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ev := range b.events {
		switch {
		case ev.Status == "running" && ev.Checkpoint != nil:
			running = append(running, *ev.Checkpoint)
		case ev.Status == "succeeded" || ev.Status == "failed":
			final = ev
		}
	}
	return running, final
}

// dominant is the strongest channel of a PNG's first pixel: the fake
// trainer paints prompt i red, green, blue for i%3 = 0, 1, 2.
func dominant(t *testing.T, data []byte) int {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("a sample is not a PNG: %v", err)
	}
	r, g, bl, _ := img.At(0, 0).RGBA()
	c := []uint32{r, g, bl}
	return slices.Index(c, slices.Max(c))
}

// TestCheckpointsAndSamples runs each trainer's layout through the fake
// trainer: every checkpoint's LoRA and samples reach their presigned slots
// in a real local store while the trainer runs, and the webhooks report
// them with checksums that match what is stored.
func TestCheckpointsAndSamples(t *testing.T) {
	fake, _ := filepath.Abs(filepath.Join("testdata", "fake-trainer.sh"))
	prompts := []string{"ohwx person in a studio", "ohwx person on a hike"}
	tests := []struct {
		name         string
		base         string
		steps, every int
		env          []string
		missing      map[int][]int // step -> sample indexes not written
	}{
		{"ai-toolkit flux png", "flux-dev", 100, 25, nil, nil},
		{"sd-scripts sdxl", "sdxl", 100, 25, nil, nil},
		{"ai-toolkit writes jpeg", "flux-schnell", 100, 50, []string{"FAKE_TRAINER_SAMPLE_FORMAT=jpg"}, nil},
		{"a sample not written", "flux-dev", 100, 25, []string{"FAKE_TRAINER_SKIP_SAMPLE=50:1"}, map[int][]int{50: {1}}},
		// sd-scripts samples the last step only when it is a sample step.
		{"sd-scripts last step off the interval", "sdxl", 90, 40, nil, map[int][]int{90: {0, 1}}},
	}
	for n, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := newStoreBackend(t)
			dsec := mustSecret(t)
			w, err := worker.New(worker.Config{DispatchSecrets: [][]byte{dsec}, WebhookSecret: be.secret,
				Trainers: map[string][]string{worker.FamilyFlux: {fake, "ai-toolkit", "{config}"}, worker.FamilySDXL: {fake, "sd-scripts", "{config}"}},
				// 0.8 s per 100-step job: time for a checkpoint to be seen and
				// uploaded before the trainer ends, even under -race on a busy box.
				Env:     append([]string{"FAKE_TRAINER_MS_PER_KSTEP=8000"}, tt.env...),
				WorkDir: t.TempDir(), WebhookBackoff: 10 * time.Millisecond, PollEvery: 5 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			ws := httptest.NewServer(w.Handler())
			defer ws.Close()
			key := fmt.Sprintf("dk_ckpt%05d", n)
			d := be.job(key, tt.base, tt.steps, tt.every, prompts...)
			final := filepath.Join(w.WorkDirOf(key), "output", "lora.safetensors") // sd-scripts
			if tt.base != "sdxl" {
				final = filepath.Join(w.WorkDirOf(key), "output", "lora", "lora.safetensors")
			}
			be.done = func() bool { _, err := os.Stat(final); return err == nil }
			if code, body := post(t, ws.URL+"/jobs", dsec, d); code != 202 {
				t.Fatalf("dispatch: %d %s", code, body)
			}
			w.Wait()
			running, last := be.checkpoints()
			if last.Status != "succeeded" {
				t.Fatalf("final webhook %+v", last)
			}
			var steps []int
			for _, cp := range running {
				steps = append(steps, cp.Step)
			}
			var want []int
			for _, sl := range d.Sampling.Slots[:len(d.Sampling.Slots)-1] {
				want = append(want, sl.Step)
			}
			if !slices.Equal(steps, want) {
				t.Fatalf("running webhooks reported checkpoints %v, want %v", steps, want)
			}
			if len(be.early) == 0 || be.early[0] != want[0] {
				t.Errorf("checkpoints reported while the trainer ran: %v; the first should be", be.early)
			}
			all := append(running, *last.Checkpoint)
			for _, cp := range all {
				if cp.Step < tt.steps {
					lora := be.object(fmt.Sprintf("jobs/%s/step-%d.safetensors", key, cp.Step), cp.Checksum, cp.Size)
					info, err := safetensors.Check(bytes.NewReader(lora), int64(len(lora)))
					if err != nil || info.Metadata["step"] != fmt.Sprint(cp.Step) {
						t.Errorf("checkpoint %d: %v, metadata %v: not the trainer's file of this step", cp.Step, err, info.Metadata)
					}
					// Any checkpoint may become a version: it carries the keys too.
					if info.Metadata[worker.KeyStep] != fmt.Sprint(cp.Step) || info.Metadata[worker.KeyArchitecture] == "" {
						t.Errorf("checkpoint %d: metadata %v, want the ModelSpec keys and its step", cp.Step, info.Metadata)
					}
				} else if cp.Checksum != "" || cp.Size != 0 {
					t.Errorf("the final checkpoint names a LoRA (%s): the artifact is the event's", cp.Checksum)
				}
				var got []int
				for _, s := range cp.Samples {
					got = append(got, s.Index)
					data := be.object(fmt.Sprintf("jobs/%s/sample-%d-%d.png", key, cp.Step, s.Index), s.Checksum, s.Size)
					if c := dominant(t, data); c != s.Index%3 {
						t.Errorf("sample %d of step %d has colour %d: another prompt's image", s.Index, cp.Step, c)
					}
				}
				var wantIdx []int
				for i := range prompts {
					if !slices.Contains(tt.missing[cp.Step], i) {
						wantIdx = append(wantIdx, i)
					}
				}
				if !slices.Equal(got, wantIdx) {
					t.Errorf("step %d reported samples %v, want %v", cp.Step, got, wantIdx)
				}
			}
			art := be.object("jobs/"+key+"/final.safetensors", last.Checksum, last.Size)
			if info, err := safetensors.Check(bytes.NewReader(art), int64(len(art))); err != nil || info.Metadata["step"] != fmt.Sprint(tt.steps) {
				t.Errorf("artifact: %v %v, want the final file", err, info.Metadata)
			}
		})
	}
}

// post sends a signed dispatch.
func post(t *testing.T, url string, secret []byte, d worker.Dispatch) (int, string) {
	t.Helper()
	body, _ := json.Marshal(d)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	stdwebhook.SetHeaders(req.Header, secret, "msg_"+d.DispatchKey, time.Now(), body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
