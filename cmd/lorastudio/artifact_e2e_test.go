package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/internal/pgtest"
	"github.com/promptforge/lorastudio/internal/safetensors"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/worker"
	syncclient "github.com/promptforge/lorastudio/sync/client"
)

// artifactEnv runs the real serve (Postgres, River, the local signed
// store) and the reference worker with the test-double trainer, and
// returns the backend's address.
func artifactEnv(t *testing.T) (base string) {
	t.Helper()
	dispatchSecret, webhookSecret := stdwebhook.NewSecret(), stdwebhook.NewSecret()
	dsec, _ := stdwebhook.ParseSecret(dispatchSecret)
	wsec, _ := stdwebhook.ParseSecret(webhookSecret)
	trainer, _ := filepath.Abs(filepath.Join("..", "..", "internal", "worker", "testdata", "fake-trainer.sh"))
	w, err := worker.New(worker.Config{
		DispatchSecrets: [][]byte{dsec}, WebhookSecret: wsec, Trainer: []string{trainer},
		Env:     []string{"FAKE_TRAINER_MS_PER_KSTEP=1000"},
		WorkDir: t.TempDir(), BaseModels: []string{"flux-dev"}, WebhookBackoff: 100 * time.Millisecond,
		// The cleanup waits for the worker after the server has stopped: a
		// job canceled at the end still reports, and with the default hour
		// of retries the test hung until its 10-minute timeout.
		WebhookGiveUp: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	ws := httptest.NewServer(w.Handler())
	t.Cleanup(ws.Close)
	addr := freePort(t)
	base = "http://" + addr
	env := map[string]string{
		"DATABASE_URL":                pgtest.NewDatabase(t),
		"LORASTUDIO_BLOB_DIR":         t.TempDir(),
		"LORASTUDIO_PUBLIC_URL":       base,
		"LORASTUDIO_WORKER_URL":       ws.URL,
		"LORASTUDIO_DISPATCH_SECRET":  dispatchSecret,
		"LORASTUDIO_WEBHOOK_SECRETS":  webhookSecret,
		"LORASTUDIO_DISPATCH_BACKOFF": "200ms",
		"LORASTUDIO_QUEUE_POLL":       "50ms",
	}
	c0, _, errb := testCLI(env)
	if code := run(context.Background(), c0, []string{"migrate"}); code != exitOK {
		t.Fatalf("migrate: %s", errb)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c, _, logs := testCLI(env)
	done := make(chan int, 1)
	go func() { done <- run(ctx, c, []string{"serve", "--addr", addr}) }()
	waitForListen(t, logs, done)
	t.Cleanup(func() {
		cancel()
		<-done
		w.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	return base
}

// validatedDataset signs a user up, consents and uploads the webcam frames
// of internal/dataset/testdata/person as model modelName, validated.
func validatedDataset(t *testing.T, base, email, modelName string) (*client, string) {
	t.Helper()
	c := &client{t: t, base: base}
	var tok struct{ Token string }
	c.do("POST", "/api/auth/register", map[string]string{"email": email, "password": "a long passphrase"}, 201, &tok)
	c.token = tok.Token
	var text struct{ Version, SHA256 string }
	c.do("GET", "/api/lora/consent", nil, 200, &text)
	c.do("POST", "/api/lora/consents", map[string]any{"version": text.Version, "sha256": text.SHA256, "attest_self": true}, 201, nil)
	dir := filepath.Join("..", "..", "internal", "dataset", "testdata", "person")
	entries, _ := os.ReadDir(dir)
	var decl []map[string]any
	var datas [][]byte
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		sum := sha256.Sum256(b)
		datas = append(datas, b)
		decl = append(decl, map[string]any{"name": e.Name(), "size": len(b), "content_type": "image/jpeg", "sha256": hex.EncodeToString(sum[:])})
	}
	var initOut struct {
		DatasetID string   `json:"dataset_id"`
		Uploads   []upload `json:"uploads"`
	}
	c.do("POST", "/api/lora/datasets/init", map[string]any{"model_name": modelName, "files": decl}, 200, &initOut)
	var commit []map[string]any
	for i, u := range initOut.Uploads {
		put(t, u.Method, u.URL, u.Headers, datas[i])
		commit = append(commit, map[string]any{"key": u.Key})
	}
	c.do("POST", "/api/lora/datasets/commit", map[string]any{"dataset_id": initOut.DatasetID, "files": commit}, 200, nil)
	var val struct{ Status string }
	c.do("POST", "/api/lora/datasets/validate", map[string]any{"dataset_id": initOut.DatasetID, "min_resolution": 256}, 200, &val)
	if val.Status != "validated" {
		t.Fatalf("dataset status %s, want validated", val.Status)
	}
	return c, initOut.DatasetID
}

func startJob(t *testing.T, c *client, key string, body any) (jobID, versionID string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", c.base+"/api/lora/jobs", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		JobID     string `json:"job_id"`
		VersionID string `json:"version_id"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 202 || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("create job: %d %s", resp.StatusCode, raw)
	}
	return out.JobID, out.VersionID
}

// get downloads url with the given Range header ("" for none).
func get(t *testing.T, url, rng string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestArtifactEndToEnd is issue 11's acceptance test: a LoRA trained on
// the reference worker comes back through GET /api/lora/versions/{id}/artifact
// (called with the sync client), downloaded over real HTTP through the
// presigned URL, whole and resumed with Range, and it carries the ModelSpec
// keys; another user, an unknown id, a version still training and a
// withdrawn user's version get nothing.
func TestArtifactEndToEnd(t *testing.T) {
	ctx := context.Background()
	base := artifactEnv(t)
	alice, datasetID := validatedDataset(t, base, "alice@example.com", "Alice Smith")
	job1, v1 := startJob(t, alice, "art-1", map[string]any{"dataset_id": datasetID, "base_model": "flux-dev", "params": map[string]any{"steps": 100, "trigger_word": "alicex"}})
	if j := waitJob(t, alice, job1, "succeeded", "failed"); j.Status != "succeeded" {
		t.Fatalf("job: %+v, want succeeded", j)
	}

	sc, err := syncclient.New(base, nil)
	if err != nil {
		t.Fatal(err)
	}
	sc.SetToken(alice.token)
	before := time.Now()
	art, err := sc.Artifact(ctx, v1)
	if err != nil {
		t.Fatalf("artifact: %v", err)
	}
	if art.Filename != "alice-smith-v1-flux-dev.safetensors" {
		t.Errorf("filename %q, want alice-smith-v1-flux-dev.safetensors", art.Filename)
	}
	if art.ExpiresAt.Before(before) || art.ExpiresAt.After(before.Add(16*time.Minute)) {
		t.Errorf("expires_at %v, want within 15 minutes of %v", art.ExpiresAt, before)
	}

	// The whole file, over real HTTP, is what the route says.
	resp, body := get(t, art.URL, "")
	sum := sha256.Sum256(body)
	if resp.StatusCode != 200 || resp.ContentLength != art.Size || int64(len(body)) != art.Size || hex.EncodeToString(sum[:]) != art.SHA256 {
		t.Fatalf("download: %d, Content-Length %d, %d bytes, sha256 %x; want 200 with %d bytes of sha256 %s",
			resp.StatusCode, resp.ContentLength, len(body), sum, art.Size, art.SHA256)
	}
	if resp.Header.Get("Accept-Ranges") != "bytes" {
		t.Errorf("Accept-Ranges %q, want bytes", resp.Header.Get("Accept-Ranges"))
	}
	var versions struct {
		Versions []studio.Version `json:"versions"`
	}
	alice.do("GET", "/api/lora/versions", nil, 200, &versions)
	if len(versions.Versions) != 1 || versions.Versions[0].ArtifactSHA256 != art.SHA256 {
		t.Fatalf("versions %+v, want one with the artifact's sha256", versions.Versions)
	}
	info, err := safetensors.Check(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("the downloaded file: %v", err)
	}
	for k, want := range map[string]string{
		"modelspec.sai_model_spec": "1.0.0",
		"modelspec.architecture":   "flux-1-dev/lora",
		"modelspec.implementation": "https://github.com/black-forest-labs/flux",
		"modelspec.title":          "Alice Smith v1",
		"modelspec.trigger_phrase": "alicex person",
		"modelspec.resolution":     "1024x1024",
		"lorastudio.version_id":    v1,
		"lorastudio.dataset_hash":  versions.Versions[0].DatasetHash,
	} {
		if info.Metadata[k] != want {
			t.Errorf("%s: got %q, want %q", k, info.Metadata[k], want)
		}
	}
	if d, err := time.Parse(time.RFC3339, info.Metadata["modelspec.date"]); err != nil || d.Before(before.Add(-time.Minute)) {
		t.Errorf("modelspec.date %q, want an ISO 8601 time of this training", info.Metadata["modelspec.date"])
	}

	// A broken download resumes: the first 100 bytes, then the rest.
	head, part1 := get(t, art.URL, "bytes=0-99")
	tail, part2 := get(t, art.URL, "bytes=100-")
	if head.StatusCode != 206 || tail.StatusCode != 206 || !bytes.Equal(append(part1, part2...), body) {
		t.Errorf("ranged download: %d (%d bytes) then %d (%d bytes), want 206s that add up to the file", head.StatusCode, len(part1), tail.StatusCode, len(part2))
	}
	if want := fmt.Sprintf("bytes 100-%d/%d", art.Size-1, art.Size); tail.Header.Get("Content-Range") != want || tail.ContentLength != art.Size-100 {
		t.Errorf("resume: Content-Range %q Content-Length %d, want %q and %d", tail.Header.Get("Content-Range"), tail.ContentLength, want, art.Size-100)
	}
	// A URL that is not the one signed is refused.
	if r, _ := get(t, strings.Replace(art.URL, "expires=", "expires=9", 1), ""); r.StatusCode != 403 {
		t.Errorf("tampered url: %d, want 403", r.StatusCode)
	}

	// A version still training: 409 version_not_ready.
	job2, v2 := startJob(t, alice, "art-2", map[string]any{"dataset_id": datasetID, "base_model": "flux-dev", "params": map[string]any{"steps": 6000}})
	waitJob(t, alice, job2, "running")
	if _, err := sc.Artifact(ctx, v2); syncclient.Status(err) != 409 || studio.ErrorCode(err) != "version_not_ready" {
		t.Errorf("artifact of a version in training: %v (status %d), want 409 version_not_ready", err, syncclient.Status(err))
	}
	alice.do("POST", "/api/lora/jobs/"+job2+"/cancel", nil, 200, nil)

	// Bob, an unknown id, a malformed id: 404, the same answer.
	bob := &client{t: t, base: base}
	var tok struct{ Token string }
	bob.do("POST", "/api/auth/register", map[string]string{"email": "bob@example.com", "password": "another long passphrase"}, 201, &tok)
	bsc, _ := syncclient.New(base, nil)
	bsc.SetToken(tok.Token)
	for name, id := range map[string]string{"alice's version": v1, "unknown": "5f0c1a52-1111-4222-8333-444455556666", "malformed": "not-a-uuid"} {
		if _, err := bsc.Artifact(ctx, id); syncclient.Status(err) != 404 || studio.ErrorCode(err) != studio.ENotFound {
			t.Errorf("bob asks for %s: %v (status %d), want 404 not_found", name, err, syncclient.Status(err))
		}
	}

	// After withdrawal nothing is handed out, and the URL given before
	// finds nothing.
	alice.do("POST", "/api/lora/consents/withdraw", nil, 200, nil)
	if _, err := sc.Artifact(ctx, v1); syncclient.Status(err) != 404 {
		t.Errorf("artifact after withdrawal: %v, want 404", err)
	}
	if r, _ := get(t, art.URL, ""); r.StatusCode != 404 {
		t.Errorf("the old url after withdrawal: %d, want 404", r.StatusCode)
	}
}
