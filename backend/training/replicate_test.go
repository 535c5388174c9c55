package training_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/safetensors"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/worker"
)

// fakeReplicate implements the part of Replicate's HTTP API we use, as its
// documentation describes it: bearer token, the model with its latest
// version, trainings created on a version (201 with the training object),
// cancel, and trained weights as a tar holding the .safetensors.
type fakeReplicate struct {
	mu        sync.Mutex
	token     string
	throttle  int // answer this many creates with 429 Retry-After: 1
	lose      int // create this many trainings, then drop the connection instead of answering
	creates   []map[string]any
	cancelled []string
	weights   []byte
	// trainings, when set, answers GET /v1/trainings/{id}: the object's
	// JSON, or 404 for an id it lacks; polls counts those GETs.
	trainings map[string]string
	polls     map[string]int
}

func (f *fakeReplicate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == "/weights/trained_model.tar" {
		w.Write(f.weights) // replicate.delivery needs no token
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		w.WriteHeader(401)
		io.WriteString(w, `{"detail":"Invalid token."}`)
		return
	}
	switch {
	case r.Method == "GET" && r.URL.Path == "/v1/models/ostris/flux-dev-lora-trainer":
		io.WriteString(w, `{"owner":"ostris","name":"flux-dev-lora-trainer","latest_version":{"id":"v42"}}`)
	case r.Method == "POST" && r.URL.Path == "/v1/models/ostris/flux-dev-lora-trainer/versions/v42/trainings":
		if f.throttle > 0 {
			f.throttle--
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			io.WriteString(w, `{"detail":"Request was throttled."}`)
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body["destination"] == nil {
			w.WriteHeader(422)
			io.WriteString(w, `{"detail":"destination is required"}`)
			return
		}
		f.creates = append(f.creates, body)
		if f.lose > 0 {
			f.lose--
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close() // created, but the answer is lost
			return
		}
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"id":"tr_%d","status":"starting","urls":{"get":"https://api.replicate.com/v1/trainings/tr_%d","cancel":"x"}}`, len(f.creates), len(f.creates))
	case r.Method == "GET" && r.URL.Path == "/v1/trainings":
		// Newest first, as documented; the training objects echo their input.
		type training struct {
			ID     string         `json:"id"`
			Status string         `json:"status"`
			Input  map[string]any `json:"input"`
		}
		page := struct {
			Next    *string    `json:"next"`
			Results []training `json:"results"`
		}{Results: []training{}}
		for i := len(f.creates) - 1; i >= 0; i-- {
			status := "processing"
			if slices.Contains(f.cancelled, fmt.Sprintf("tr_%d", i+1)) {
				status = "canceled"
			}
			page.Results = append(page.Results, training{ID: fmt.Sprintf("tr_%d", i+1), Status: status, Input: f.creates[i]["input"].(map[string]any)})
		}
		json.NewEncoder(w).Encode(page)
	case r.Method == "GET" && f.trainings != nil && strings.HasPrefix(r.URL.Path, "/v1/trainings/"):
		id := strings.TrimPrefix(r.URL.Path, "/v1/trainings/")
		if f.polls == nil {
			f.polls = map[string]int{}
		}
		f.polls[id]++
		if obj, ok := f.trainings[id]; ok {
			io.WriteString(w, obj)
			return
		}
		w.WriteHeader(404)
		io.WriteString(w, `{"detail":"Not found."}`)
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/v1/trainings/tr_"):
		json.NewEncoder(w).Encode(map[string]any{"id": strings.TrimPrefix(r.URL.Path, "/v1/trainings/"), "status": "processing",
			"logs": "flux_train_replicate:  10%| 100/1000\nflux_train_replicate:  20%| 200/1000\n"})
	case r.Method == "POST" && strings.HasPrefix(r.URL.Path, "/v1/trainings/") && strings.HasSuffix(r.URL.Path, "/cancel"):
		f.cancelled = append(f.cancelled, strings.Split(r.URL.Path, "/")[3])
		io.WriteString(w, `{"status":"canceled"}`)
	default:
		w.WriteHeader(404)
		io.WriteString(w, `{"detail":"Not found."}`)
	}
}

func TestReplicateDispatch(t *testing.T) {
	ctx := context.Background()
	fake := &fakeReplicate{token: "r8_test", throttle: 1}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	r := &training.Replicate{BaseURL: srv.URL, Token: "r8_test", Destination: "me/my-lora"}
	models, err := r.BaseModels(ctx)
	if err != nil || len(models) != 1 || models[0] != studio.FluxDev {
		t.Fatalf("BaseModels: got %v %v, want [flux-dev]", models, err)
	}
	d := worker.Dispatch{JobID: "j1", DispatchKey: "dk_1", BaseModel: studio.FluxDev, Params: training.Presets[studio.FluxDev],
		WebhookURL: "https://backend.example/api/lora/webhook", ImagesZip: "https://backend.example/blob/x.zip"}
	_, err = r.Dispatch(ctx, d)
	var re *training.RetryableError
	if !errors.As(err, &re) || re.Status != 429 || re.RetryAfter != time.Second {
		t.Fatalf("throttled create: got %v, want a RetryableError 429 with Retry-After 1s", err)
	}
	id, err := r.Dispatch(ctx, d)
	if err != nil || id != "tr_1" {
		t.Fatalf("create: got %q %v, want tr_1", id, err)
	}
	body := fake.creates[0]
	input := body["input"].(map[string]any)
	hook, _ := url.Parse(body["webhook"].(string))
	for _, c := range []struct{ name, got, want string }{
		{"destination", body["destination"].(string), "me/my-lora"},
		{"input_images", input["input_images"].(string), d.ImagesZip},
		{"trigger_word", input["trigger_word"].(string), "ohwx"},
		{"webhook provider", hook.Query().Get("provider"), "replicate"},
		{"webhook job", hook.Query().Get("job"), "j1"},
		{"events", fmt.Sprint(body["webhook_events_filter"]), "[start logs completed]"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	// Another job's dispatch whose answer is lost after Replicate created
	// the training: the retry, with a freshly signed zip URL, adopts that
	// training instead of starting a second one.
	fake.mu.Lock()
	fake.lose = 1
	fake.mu.Unlock()
	d2 := d
	d2.JobID, d2.ImagesZip = "j2", "https://backend.example/blob/users/u/jobs/j2/images.zip?sig=first"
	if _, err := r.Dispatch(ctx, d2); !errors.As(err, &re) {
		t.Fatalf("lost answer: got %v, want a RetryableError", err)
	}
	d2.ImagesZip = "https://backend.example/blob/users/u/jobs/j2/images.zip?sig=second"
	if id, err := r.Dispatch(ctx, d2); err != nil || id != "tr_2" {
		t.Fatalf("retry after a lost answer: got %q %v, want the training already started, tr_2", id, err)
	}
	if n := len(fake.creates); n != 2 {
		t.Errorf("trainings created: %d, want 2 (one per job)", n)
	}
	// A canceled training is not adopted: the retry starts a new one.
	r.Cancel(ctx, pgstore.JobRef{ProviderJobID: "tr_2"})
	if id, err := r.Dispatch(ctx, d2); err != nil || id != "tr_3" {
		t.Errorf("dispatch after its training was canceled: got %q %v, want a new one", id, err)
	}
	// The log tail is the training object's logs, cut to whole lines.
	for _, tc := range []struct {
		max  int
		want string
	}{
		{1 << 10, "flux_train_replicate:  10%| 100/1000\nflux_train_replicate:  20%| 200/1000\n"},
		{50, "flux_train_replicate:  20%| 200/1000\n"},
	} {
		if got, err := r.LogTail(ctx, pgstore.JobRef{ProviderJobID: "tr_3"}, tc.max); err != nil || got != tc.want {
			t.Errorf("LogTail(max %d): got %q, %v; want %q", tc.max, got, err, tc.want)
		}
	}
	bad := &training.Replicate{BaseURL: srv.URL, Token: "wrong", Destination: "me/x", Version: "v42"}
	var rej *training.RejectedError
	if _, err := bad.Dispatch(ctx, d); !errors.As(err, &rej) || rej.Message != "Invalid token." {
		t.Errorf("bad token: got %v, want a RejectedError with Replicate's detail", err)
	}
}

// TestReplicateWebhooks plays Replicate's start, logs and completed
// webhooks, signed with its secret, against a job: the weights tar is
// downloaded, its safetensors checked and copied into our storage.
func TestReplicateWebhooks(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	lora := tinyLoRA(t)
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	tw.WriteHeader(&tar.Header{Name: "output/flux_train_replicate/config.yaml", Mode: 0o644, Size: 3})
	tw.Write([]byte("x: "))
	tw.WriteHeader(&tar.Header{Name: "output/flux_train_replicate/lora.safetensors", Mode: 0o644, Size: int64(len(lora))})
	tw.Write(lora)
	tw.Close()
	fake := &fakeReplicate{token: "r8_test", weights: tb.Bytes()}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	rep := &training.Replicate{BaseURL: srv.URL, Token: "r8_test", Destination: "me/x"}
	secret, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	in := &training.Ingester{Store: f.store, Blobs: f.blobs, Verifier: stdwebhook.Verifier{Secrets: [][]byte{secret}}, Replicate: rep}
	job := f.seedJob(t, "r@example.com", "replicate", "tr_9")
	q := url.Values{"provider": {"replicate"}, "job": {job.ID}}
	steps := []struct {
		id, body string
		status   string
		progress float64
	}{
		{"r1", `{"id":"tr_9","status":"starting","logs":"","urls":{"get":"g","web":"https://replicate.com/p/tr_9"}}`, "running", 0},
		// Real training objects have no web URL; ai-toolkit's latent
		// caching bar ends at its own total after the training bar began.
		{"r2", `{"id":"tr_9","status":"processing","input":{"steps":1000},"logs":"flux_train_replicate:  25%|##| 250/1000 [01:00<03:00]\nCaching latents to disk: 100%|##| 20/20 [00:05<00:00]","urls":{"get":"https://api.replicate.com/v1/trainings/tr_9"}}`, "running", 0.25},
		{"r3", `{"id":"tr_9","status":"succeeded","output":{"version":"me/x:abc","weights":"` + srv.URL + `/weights/trained_model.tar"},"urls":{"web":"https://replicate.com/p/tr_9"}}`, "succeeded", 1},
	}
	for _, s := range steps {
		res, err := in.Ingest(ctx, signed(secret, s.id, time.Now(), s.body), q, []byte(s.body))
		if err != nil || res.Outcome != "applied" {
			t.Fatalf("%s: got %+v %v, want applied", s.id, res, err)
		}
		j, _ := f.store.Job(ctx, job.UserID, job.ID)
		if j.Status != s.status || float32(j.Progress) != float32(s.progress) || j.LogsURL != "https://replicate.com/p/tr_9" {
			t.Errorf("%s: job %+v, want %s at %v with the training's page as logs", s.id, j, s.status, s.progress)
		}
	}
	// The stored file is Replicate's safetensors with the ModelSpec keys
	// written into its header; the version's sha256 and size are of it.
	v, _ := f.store.Version(ctx, job.UserID, job.VersionID)
	rc, err := f.blobs.Open(ctx, job.ArtifactKey)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := io.ReadAll(rc)
	rc.Close()
	if v.Status != studio.VersionReady || v.ArtifactSHA256 != shaHex(stored) || v.ArtifactSize != int64(len(stored)) {
		t.Errorf("version %+v: want ready with the stored safetensors' sha256 and size (not the tar's)", v)
	}
	if info, err := f.blobs.Stat(ctx, job.ArtifactKey); err != nil || info.SHA256 != v.ArtifactSHA256 {
		t.Errorf("stored artifact: %+v %v", info, err)
	}
	if !bytes.HasSuffix(stored, lora[len(lora)-dataLen(lora):]) || dataLen(stored) != dataLen(lora) {
		t.Error("the stored file's tensor bytes differ from Replicate's")
	}
	meta, err := safetensors.Check(bytes.NewReader(stored), int64(len(stored)))
	if err != nil {
		t.Fatalf("stored artifact: %v", err)
	}
	for k, want := range map[string]string{"modelspec.architecture": "flux-1-dev/lora", "modelspec.sai_model_spec": "1.0.0",
		"modelspec.trigger_phrase": "ohwx person", "lorastudio.version_id": v.ID, "lorastudio.dataset_hash": v.DatasetHash} {
		if meta.Metadata[k] != want {
			t.Errorf("stored artifact's %s: got %q, want %q", k, meta.Metadata[k], want)
		}
	}
	if !strings.HasSuffix(meta.Metadata["modelspec.title"], " v1") {
		t.Errorf("title %q, want the model's name and v1", meta.Metadata["modelspec.title"])
	}
	if err := rep.Cancel(ctx, job); err != nil || len(fake.cancelled) != 1 || fake.cancelled[0] != "tr_9" {
		t.Errorf("cancel: %v %v, want one cancel of tr_9", err, fake.cancelled)
	}
}

// dataLen returns the number of tensor bytes after a safetensors header.
func dataLen(f []byte) int {
	return len(f) - 8 - int(binary.LittleEndian.Uint64(f[:8]))
}

func TestResolvePresets(t *testing.T) {
	i := func(v int) *int { return &v }
	f := func(v float64) *float64 { return &v }
	s := func(v string) *string { return &v }
	tests := []struct {
		name  string
		base  string
		o     training.Overrides
		code  string
		steps int
	}{
		{"flux preset", "flux-dev", training.Overrides{}, "", 1000},
		{"sdxl preset", "sdxl", training.Overrides{}, "", 1500},
		{"steps in bounds", "flux-dev", training.Overrides{Steps: i(6000)}, "", 6000},
		{"steps over", "flux-dev", training.Overrides{Steps: i(6001)}, "param_out_of_bounds", 0},
		{"rank under", "sdxl", training.Overrides{Rank: i(2)}, "param_out_of_bounds", 0},
		{"lr over", "sdxl", training.Overrides{LearningRate: f(0.01)}, "param_out_of_bounds", 0},
		{"resolution 640", "flux-dev", training.Overrides{Resolution: i(640)}, "param_out_of_bounds", 0},
		{"trigger with a space", "flux-dev", training.Overrides{TriggerWord: s("a b")}, "param_out_of_bounds", 0},
		{"caption without trigger", "flux-dev", training.Overrides{CaptionTemplate: s("a photo")}, "param_out_of_bounds", 0},
		{"platform is not trainable", "sora-2", training.Overrides{}, "unknown_base_model", 0},
	}
	for _, tt := range tests {
		p, err := training.Resolve(tt.base, tt.o)
		if got := studio.ErrorCode(err); got != tt.code || (err == nil && p.Steps != tt.steps) {
			t.Errorf("%s: got %q steps %d, want %q steps %d", tt.name, got, p.Steps, tt.code, tt.steps)
		}
	}
}

func TestBackoffHasJitterAndBounds(t *testing.T) {
	b := training.Backoff{Base: time.Second, Max: 8 * time.Second}
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 10: 8 * time.Second} {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := b.Delay(n)
			if d < want/2 || d > want {
				t.Fatalf("Delay(%d) = %v, want in [%v, %v]", n, d, want/2, want)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("Delay(%d): %d distinct values in 50, want jitter", n, len(seen))
		}
	}
}

// TestReplicateTrainingEvent: progress follows the training bar only, and
// the logs URL is the training's page, never the token-only API URL.
func TestReplicateTrainingEvent(t *testing.T) {
	api := map[string]string{"get": "https://api.replicate.com/v1/trainings/tr_1", "cancel": "https://api.replicate.com/v1/trainings/tr_1/cancel"}
	tests := []struct {
		name     string
		steps    int
		logs     string
		urls     map[string]string
		progress float64
		logsURL  string
	}{
		{"latent caching before training", 1000, "Caching latents: 100%|##| 20/20 [00:05<00:00]", api, 0, "https://replicate.com/p/tr_1"},
		{"latent caching then training", 1000, "Caching latents: 100%| 20/20\nflux_train_replicate: 40%| 400/1000 [02:00<03:00]", api, 0.4, "https://replicate.com/p/tr_1"},
		{"a sampling bar after the training bar", 1000, "flux_train_replicate: 50%| 500/1000\nGenerating Images: 100%| 3/3", api, 0.5, "https://replicate.com/p/tr_1"},
		{"steps unknown: the last bar", 0, "flux_train_replicate: 50%| 500/1000", map[string]string{"web": "https://replicate.com/p/tr_1"}, 0.5, "https://replicate.com/p/tr_1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := training.ReplicateTraining{ID: "tr_1", Status: "processing", Logs: tt.logs, URLs: tt.urls}
			tr.Input.Steps = tt.steps
			_, p, logsURL, _ := tr.Event()
			if p != tt.progress || logsURL != tt.logsURL {
				t.Errorf("got progress %v, logs %q; want %v, %q", p, logsURL, tt.progress, tt.logsURL)
			}
		})
	}
}
