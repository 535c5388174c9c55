package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/internal/freeport"
	"github.com/promptforge/lorastudio/internal/pgtest"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/worker"
)

// recorder keeps every webhook the worker sends, to replay them.
type recorder struct {
	mu   sync.Mutex
	msgs []recorded
}

type recorded struct {
	header http.Header
	body   []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/api/lora/webhook") {
		b, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(b))
		r.mu.Lock()
		r.msgs = append(r.msgs, recorded{req.Header.Clone(), b})
		r.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

// last returns the last recorded webhook whose body has status.
func (r *recorder) last(status string) (recorded, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.msgs) - 1; i >= 0; i-- {
		if strings.Contains(string(r.msgs[i].body), `"status":"`+status+`"`) {
			return r.msgs[i], true
		}
	}
	return recorded{}, false
}

func freePort(t *testing.T) string {
	t.Helper()
	addr, err := freeport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

func postWebhook(t *testing.T, url string, h http.Header, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type jobView struct {
	ID        string  `json:"id"`
	VersionID string  `json:"version_id"`
	Status    string  `json:"status"`
	Progress  float64 `json:"progress"`
	LogsURL   string  `json:"logs_url"`
	Error     string  `json:"error"`
}

func waitJob(t *testing.T, c *client, id string, want ...string) jobView {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var j jobView
	for time.Now().Before(deadline) {
		if code, _ := c.try("GET", "/api/lora/jobs/"+id, nil, &j); code == 200 {
			for _, w := range want {
				if j.Status == w {
					return j
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job %s: status %q after 60 s, want %v (error %q)", id, j.Status, want, j.Error)
	return j
}

// TestTrainingEndToEnd is the training issue's acceptance test: the real
// serve (twice: it is restarted between dispatch and completion), the real
// Postgres and River, the local signed store, and the reference worker
// running the test-double trainer script. The worker answers 503 twice
// before accepting; webhooks are duplicated and replayed; consent
// withdrawal cancels a running job and a late upload and webhook restore
// nothing. Every job is trained exactly once.
func TestTrainingEndToEnd(t *testing.T) {
	dispatchSecret, webhookSecret := stdwebhook.NewSecret(), stdwebhook.NewSecret()
	dsec, _ := stdwebhook.ParseSecret(dispatchSecret)
	wsec, _ := stdwebhook.ParseSecret(webhookSecret)
	runs := filepath.Join(t.TempDir(), "runs")
	trainer, _ := filepath.Abs(filepath.Join("..", "..", "internal", "worker", "testdata", "fake-trainer.sh"))

	// The reference worker, behind a front that fails its first two dispatches.
	rec := &recorder{}
	w, err := worker.New(worker.Config{
		DispatchSecrets: [][]byte{dsec}, WebhookSecret: wsec, Trainer: []string{trainer},
		Env:     []string{"FAKE_TRAINER_RUNS=" + runs, "FAKE_TRAINER_MS_PER_KSTEP=1000"},
		WorkDir: t.TempDir(), BaseModels: []string{"flux-dev", "flux-schnell"},
		HTTP: &http.Client{Transport: rec, Timeout: time.Minute}, WebhookBackoff: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	var dispatches, refused, cancels atomic.Int32
	var dispatchMu sync.Mutex
	dispatchBodies := map[string][]byte{}
	wh := w.Handler()
	ws := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "POST" && r.URL.Path == "/jobs":
			if dispatches.Add(1) <= 2 {
				refused.Add(1)
				rw.Header().Set("Retry-After", "1")
				http.Error(rw, `{"error":{"message":"warming up"}}`, http.StatusServiceUnavailable)
				return
			}
			b, _ := io.ReadAll(r.Body)
			var d worker.Dispatch
			json.Unmarshal(b, &d)
			dispatchMu.Lock()
			dispatchBodies[d.JobID] = b
			dispatchMu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(b))
		case strings.HasSuffix(r.URL.Path, "/cancel"):
			cancels.Add(1)
		}
		wh.ServeHTTP(rw, r)
	}))
	defer ws.Close()

	addr := freePort(t)
	base := "http://" + addr
	env := map[string]string{
		"DATABASE_URL":                pgtest.NewDatabase(t),
		"LORASTUDIO_BLOB_DIR":         t.TempDir(),
		"LORASTUDIO_PUBLIC_URL":       base,
		"LORASTUDIO_WORKER_URL":       ws.URL,
		"LORASTUDIO_DISPATCH_SECRET":  dispatchSecret,
		"LORASTUDIO_WEBHOOK_SECRETS":  stdwebhook.NewSecret() + " " + webhookSecret, // rotation: two accepted
		"LORASTUDIO_DISPATCH_BACKOFF": "200ms",
		"LORASTUDIO_QUEUE_POLL":       "50ms",
	}
	c0, _, errb := testCLI(env)
	if code := run(context.Background(), c0, []string{"migrate"}); code != exitOK {
		t.Fatalf("migrate: %s", errb)
	}
	var logs []*syncBuffer
	start := func() (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		c, _, l := testCLI(env)
		logs = append(logs, l)
		done := make(chan int, 1)
		go func() { done <- run(ctx, c, []string{"serve", "--addr", addr}) }()
		waitForListen(t, l, done)
		return func() { cancel(); <-done }
	}
	stop := start()
	defer func() {
		stop()
		if t.Failed() {
			for i, l := range logs {
				t.Logf("server log %d:\n%s", i, l)
			}
		}
	}()

	// A validated dataset through the real upload flow: the 24 webcam frames
	// pass validation at min_resolution 256.
	alice, datasetID := validatedDataset(t, base, "alice@example.com", "me")

	jobReq := func(key string, body any) (int, http.Header, string) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+"/api/lora/jobs", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+alice.token)
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(raw)
	}
	body1 := map[string]any{"dataset_id": datasetID, "base_model": "flux-dev", "params": map[string]any{"steps": 1000, "trigger_word": "alicex"}}
	var created struct {
		JobID     string `json:"job_id"`
		VersionID string `json:"version_id"`
		Status    string `json:"status"`
	}
	code, _, raw := jobReq("job-one", body1)
	if code != 202 || json.Unmarshal([]byte(raw), &created) != nil || created.Status != "queued" {
		t.Fatalf("create job: got %d %s, want 202 queued", code, raw)
	}
	if code, hdr, raw2 := jobReq("job-one", body1); code != 202 || raw2 != raw || hdr.Get("Idempotent-Replayed") != "true" {
		t.Errorf("same key, same body: got %d %s (replayed %q), want the stored 202 %s", code, raw2, hdr.Get("Idempotent-Replayed"), raw)
	}
	if code, _, raw := jobReq("job-one", map[string]any{"dataset_id": datasetID, "base_model": "flux-schnell"}); code != 422 || !strings.Contains(raw, "idempotency_key_reused") {
		t.Errorf("same key, other body: got %d %s, want 422 idempotency_key_reused", code, raw)
	}

	// Dispatch: two 503s with Retry-After, then accepted; then the backend
	// goes down while the worker trains, and comes back.
	for j := waitJob(t, alice, created.JobID, "running"); j.Progress < 0.25; j = waitJob(t, alice, created.JobID, "running") {
		time.Sleep(20 * time.Millisecond) // training has started: the photos are on the worker
	}
	if refused.Load() != 2 {
		t.Errorf("the worker refused %d dispatches, want 2 before accepting", refused.Load())
	}
	stop()
	time.Sleep(2500 * time.Millisecond) // the trainer runs 4 s; its webhooks fail meanwhile and are retried
	stop = start()
	j1 := waitJob(t, alice, created.JobID, "succeeded", "failed")
	if j1.Status != "succeeded" || j1.Progress != 1 {
		t.Fatalf("job after restart: %+v, want succeeded with progress 1", j1)
	}
	var versions struct {
		Versions []struct {
			ID             string `json:"id"`
			Status         string `json:"status"`
			ArtifactSHA256 string `json:"artifact_sha256"`
		} `json:"versions"`
	}
	alice.do("GET", "/api/lora/versions", nil, 200, &versions)
	if len(versions.Versions) != 1 || versions.Versions[0].Status != "ready" || len(versions.Versions[0].ArtifactSHA256) != 64 {
		t.Fatalf("versions: got %+v, want one ready version with its artifact's sha256", versions)
	}

	// Duplicate: the worker's own succeeded message, sent again, changes nothing.
	hook := base + "/api/lora/webhook"
	succ, ok := rec.last("succeeded")
	if !ok {
		t.Fatal("the worker sent no succeeded webhook")
	}
	if code, raw := postWebhook(t, hook, succ.header, succ.body); code != 200 || !strings.Contains(raw, `"duplicate"`) {
		t.Errorf("duplicate webhook: got %d %s, want 200 duplicate", code, raw)
	}
	// Replayed later with a fresh id but out of order (running after
	// succeeded): recorded and ignored.
	late := []byte(fmt.Sprintf(`{"job_id":%q,"dispatch_key":"x","status":"running","progress":0.2}`, created.JobID))
	h := http.Header{}
	stdwebhook.SetHeaders(h, wsec, "msg_late_1", time.Now(), late)
	if code, raw := postWebhook(t, hook, h, late); code != 200 || !strings.Contains(raw, `"ignored"`) {
		t.Errorf("late webhook: got %d %s, want 200 ignored", code, raw)
	}
	// A replay of a captured message after the tolerance is refused.
	stale := http.Header{}
	stdwebhook.SetHeaders(stale, wsec, "msg_stale", time.Now().Add(-6*time.Minute), late)
	if code, raw := postWebhook(t, hook, stale, late); code != 401 {
		t.Errorf("stale webhook: got %d %s, want 401", code, raw)
	}
	if j := waitJob(t, alice, created.JobID, "succeeded"); j.Progress != 1 {
		t.Errorf("progress after a late event: got %v, want 1", j.Progress)
	}

	// A second version, activated, then a rollback to the first.
	code, _, raw = jobReq("job-two", map[string]any{"dataset_id": datasetID, "base_model": "flux-schnell", "params": map[string]any{"steps": 100}})
	var created2 struct {
		JobID     string `json:"job_id"`
		VersionID string `json:"version_id"`
	}
	if code != 202 || json.Unmarshal([]byte(raw), &created2) != nil {
		t.Fatalf("second job: %d %s", code, raw)
	}
	waitJob(t, alice, created2.JobID, "succeeded")
	var ident struct {
		VersionID string  `json:"lora_version_id"`
		Weight    float64 `json:"weight"`
		Platform  string  `json:"target_platform"`
	}
	alice.do("POST", "/api/lora/activate", map[string]any{"version_id": created2.VersionID, "target_platform": "sora-2"}, 200, &ident)
	if ident.VersionID != created2.VersionID || ident.Weight != 1.0 {
		t.Errorf("activate v2: got %+v, want v2 at the Flux default weight 1", ident)
	}
	alice.do("POST", "/api/lora/activate", map[string]any{"version_id": created.VersionID, "weight": 0.7, "target_platform": "flux-dev"}, 200, nil)
	alice.do("GET", "/api/lora/identity", nil, 200, &ident)
	if ident.VersionID != created.VersionID || ident.Weight != 0.7 || ident.Platform != "flux-dev" {
		t.Errorf("identity after rollback: got %+v, want v1 at 0.7 on flux-dev", ident)
	}
	// The weight's bounds are the contract's (studio.MinLoRAWeight and
	// MaxLoRAWeight): each end is taken, just past it is weight_out_of_range.
	for _, tt := range []struct {
		weight float64
		code   int
	}{{studio.MinLoRAWeight, 200}, {studio.MaxLoRAWeight, 200}, {studio.MinLoRAWeight - 0.01, 400}, {studio.MaxLoRAWeight + 0.01, 400}, {3, 400}} {
		code, raw := alice.try("POST", "/api/lora/activate", map[string]any{"version_id": created.VersionID, "weight": tt.weight, "target_platform": "flux-dev"}, nil)
		if code != tt.code || code == 400 && !strings.Contains(raw, `"`+studio.EWeightOutOfRange+`"`) {
			t.Errorf("weight %g: got %d %s, want %d", tt.weight, code, raw, tt.code)
		}
	}
	alice.do("POST", "/api/lora/activate", map[string]any{"version_id": created.VersionID, "weight": 0.7, "target_platform": "flux-dev"}, 200, nil)
	var models struct {
		Models []struct {
			Versions []struct{ Status string } `json:"versions"`
		} `json:"models"`
	}
	alice.do("GET", "/api/lora/models", nil, 200, &models)
	if len(models.Models) != 1 || len(models.Models[0].Versions) != 2 || models.Models[0].Versions[0].Status != "ready" {
		t.Errorf("models: got %+v, want one model with two ready versions", models)
	}

	// Bob sees none of it.
	bob := &client{t: t, base: base}
	var tok struct{ Token string }
	bob.do("POST", "/api/auth/register", map[string]string{"email": "bob@example.com", "password": "another long passphrase"}, 201, &tok)
	bob.token = tok.Token
	var text struct{ Version, SHA256 string }
	bob.do("GET", "/api/lora/consent", nil, 200, &text)
	// Refusals, as bob (the jobs rate limit is per user: 5 at once).
	bob.do("POST", "/api/lora/consents", map[string]any{"version": text.Version, "sha256": text.SHA256, "attest_self": true}, 201, nil)
	bobJob := func(key string, body any) (int, string) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+"/api/lora/jobs", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+bob.token)
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	for _, tc := range []struct {
		name, key string
		body      any
		status    int
		code      string
	}{
		{"no key", "", body1, 400, "idempotency_key_required"},
		{"key too long", strings.Repeat("k", 256), body1, 400, "idempotency_key_invalid"},
		{"base model the worker does not train", "k-sdxl", map[string]any{"dataset_id": datasetID, "base_model": "sdxl"}, 400, "base_model_unsupported"},
		{"steps out of bounds", "k-steps", map[string]any{"dataset_id": datasetID, "base_model": "flux-dev", "params": map[string]any{"steps": 50000}}, 400, "param_out_of_bounds"},
		{"alice's dataset", "k-alice", body1, 404, "not_found"},
	} {
		if code, raw := bobJob(tc.key, tc.body); code != tc.status || !strings.Contains(raw, `"`+tc.code+`"`) {
			t.Errorf("%s: got %d %s, want %d %s", tc.name, code, raw, tc.status, tc.code)
		}
	}
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/lora/jobs/" + created.JobID, nil},
		{"POST", "/api/lora/activate", map[string]any{"version_id": created.VersionID, "target_platform": "sora-2"}},
		{"GET", "/api/lora/identity", nil},
	} {
		if code, raw := bob.try(r.method, r.path, r.body, nil); code != 404 {
			t.Errorf("bob %s %s: got %d %s, want 404", r.method, r.path, code, raw)
		}
	}
	var bobVersions struct{ Versions []any }
	bob.do("GET", "/api/lora/versions", nil, 200, &bobVersions)
	if len(bobVersions.Versions) != 0 {
		t.Errorf("bob lists %d versions, want 0", len(bobVersions.Versions))
	}

	// Alice cancels a long job while it runs: the worker stops it, the
	// version fails, and nothing the worker sends afterwards revives it.
	code, _, raw = jobReq("job-canceled", map[string]any{"dataset_id": datasetID, "base_model": "flux-dev", "params": map[string]any{"steps": 6000}})
	var createdC struct {
		JobID     string `json:"job_id"`
		VersionID string `json:"version_id"`
	}
	if code != 202 || json.Unmarshal([]byte(raw), &createdC) != nil {
		t.Fatalf("job to cancel: %d %s", code, raw)
	}
	for j := waitJob(t, alice, createdC.JobID, "running"); j.Progress < 0.25; j = waitJob(t, alice, createdC.JobID, "running") {
		time.Sleep(20 * time.Millisecond)
	}
	// Its log, from the worker through the backend, while it trains.
	var tail struct {
		Log       string `json:"log"`
		Available bool   `json:"available"`
	}
	// Progress can reach 25% from a checkpoint's counter line a moment
	// before the trainer prints its 25% bar: read the log until it has it.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		alice.do("GET", "/api/lora/jobs/"+createdC.JobID+"/logs", nil, 200, &tail)
		if strings.Contains(tail.Log, "lora: 25%| 1500/6000") || time.Now().After(deadline) {
			break
		}
	}
	if !tail.Available || !strings.Contains(tail.Log, "fake trainer: 24 photos") || !strings.Contains(tail.Log, "lora: 25%| 1500/6000") {
		t.Errorf("training log while running: %+v", tail)
	}
	var canceled jobView
	alice.do("POST", "/api/lora/jobs/"+createdC.JobID+"/cancel", nil, 200, &canceled)
	if canceled.Status != "canceled" || cancels.Load() != 1 {
		t.Errorf("cancel: job %s, the worker told %d times; want canceled and 1", canceled.Status, cancels.Load())
	}
	alice.do("POST", "/api/lora/jobs/"+createdC.JobID+"/cancel", nil, 200, &canceled) // again: the same answer
	if code, raw := alice.try("POST", "/api/lora/jobs/"+created.JobID+"/cancel", nil, nil); code != 409 || !strings.Contains(raw, "job_finished") {
		t.Errorf("canceling a finished job: %d %s, want 409 job_finished", code, raw)
	}
	stopped := make(chan struct{})
	go func() { w.Wait(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(15 * time.Second):
		t.Fatal("the canceled job still runs 15 s after its cancel")
	}
	if j := waitJob(t, alice, createdC.JobID, "canceled"); j.Status != "canceled" {
		t.Errorf("after the worker stopped: %s", j.Status)
	}
	var vs struct {
		Versions []struct{ ID, Status string } `json:"versions"`
	}
	alice.do("GET", "/api/lora/versions", nil, 200, &vs)
	vstatus := "missing"
	for _, v := range vs.Versions {
		if v.ID == createdC.VersionID {
			vstatus = v.Status
		}
	}
	if vstatus != "failed" {
		t.Errorf("the canceled job's version is %s, want failed", vstatus)
	}

	// A long job is running when alice withdraws consent.
	code, _, raw = jobReq("job-three", map[string]any{"dataset_id": datasetID, "base_model": "flux-dev", "params": map[string]any{"steps": 6000}})
	var created3 struct {
		JobID string `json:"job_id"`
	}
	if code != 202 || json.Unmarshal([]byte(raw), &created3) != nil {
		t.Fatalf("third job: %d %s", code, raw)
	}
	for j := waitJob(t, alice, created3.JobID, "running"); j.Progress < 0.25; j = waitJob(t, alice, created3.JobID, "running") {
		time.Sleep(20 * time.Millisecond) // the trainer runs (1.5 s per quarter of 6000 steps)
	}
	var erased struct {
		Jobs int `json:"jobs_canceled"`
	}
	alice.do("POST", "/api/lora/consents/withdraw", nil, 200, &erased)
	if erased.Jobs != 1 || cancels.Load() != 2 {
		t.Errorf("withdrawal canceled %d jobs and told the worker %d times in all, want 1 and 2 (with the earlier cancel)", erased.Jobs, cancels.Load())
	}
	waited := make(chan struct{})
	go func() { w.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(15 * time.Second):
		t.Error("the canceled job still runs 15 s after withdrawal")
	}
	// A late upload through job 1's still valid presigned URL, then a late
	// signed succeeded webhook: the bytes are deleted, nothing comes back.
	var d1 worker.Dispatch
	dispatchMu.Lock()
	json.Unmarshal(dispatchBodies[created.JobID], &d1)
	dispatchMu.Unlock()
	// A genuine LoRA, as a late trainer would upload (the worker deleted
	// its own output when the job ended).
	art, err := os.ReadFile(tinyLoRA(t, t.TempDir(), "late", "ohwx"))
	if err != nil {
		t.Fatal(err)
	}
	put(t, d1.Artifact.Method, d1.Artifact.URL, d1.Artifact.Headers, art)
	sum := sha256.Sum256(art)
	lateOK := []byte(fmt.Sprintf(`{"job_id":%q,"dispatch_key":%q,"status":"succeeded","progress":1,"checksum":"sha256:%x","size":%d}`, created.JobID, d1.DispatchKey, sum, len(art)))
	h = http.Header{}
	stdwebhook.SetHeaders(h, wsec, "msg_after_erasure", time.Now(), lateOK)
	if code, raw := postWebhook(t, hook, h, lateOK); code != 200 || !strings.Contains(raw, `"erased"`) {
		t.Errorf("webhook after erasure: got %d %s, want 200 erased", code, raw)
	}
	var left []string
	filepath.WalkDir(env["LORASTUDIO_BLOB_DIR"], func(p string, de os.DirEntry, err error) error {
		if err == nil && !de.IsDir() && strings.Contains(p, "users") {
			left = append(left, p)
		}
		return nil
	})
	if len(left) != 0 {
		t.Errorf("files left in storage after withdrawal and a late upload: %v", left)
	}
	alice.do("GET", "/api/lora/jobs/"+created.JobID, nil, 404, nil)

	// Nothing trained twice: one trainer run per job, whatever the retries.
	b, _ := os.ReadFile(runs)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l] {
			t.Errorf("trained twice: %s", l)
		}
		seen[l] = true
	}
	if len(lines) != 4 {
		t.Errorf("the trainer ran %d times (%q), want 4 (one per job)", len(lines), lines)
	}
}
