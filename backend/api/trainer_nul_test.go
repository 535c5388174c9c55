package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/worker"
)

// webhookStatuses is a transport that records the status of every webhook
// the worker sends.
type webhookStatuses struct {
	mu    sync.Mutex
	codes []int
}

func (w *webhookStatuses) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && strings.HasSuffix(req.URL.Path, "/api/lora/webhook") {
		w.mu.Lock()
		w.codes = append(w.codes, resp.StatusCode)
		w.mu.Unlock()
	}
	return resp, err
}

// A trainer that prints a NUL before failing: the real worker runs the
// test-double trainer and reports through the real webhook route into
// Postgres. The job ends failed with readable text and every webhook is
// answered 200; before, the failed one was a 500 on every retry and the
// job stayed running.
func TestTrainerFailingWithNUL(t *testing.T) {
	dsec, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	wsec, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	e := newJobsEnv(t, func(s *pgstore.Store, b blob.Store) *training.Ingester {
		return &training.Ingester{Store: s, Blobs: b, Verifier: stdwebhook.Verifier{Secrets: [][]byte{wsec}}}
	})
	tok, datasetID := e.validatedUser("nul@example.com")
	code, _, body := e.req("POST", "/api/lora/jobs", tok, `{"dataset_id":"`+datasetID+`","base_model":"flux-dev","params":{"steps":100}}`, "Idempotency-Key", "nul-job")
	var created struct {
		JobID string `json:"job_id"`
	}
	if code != 202 || json.Unmarshal([]byte(body), &created) != nil {
		t.Fatalf("create job: %d %s", code, body)
	}
	ctx := context.Background()
	if _, err := e.store.MarkDispatched(ctx, created.JobID, "w-1"); err != nil { // no River here: the test dispatches
		t.Fatal(err)
	}

	photo := []byte("the fake trainer does not decode photos")
	sum := sha256.Sum256(photo)
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(photo) }))
	defer files.Close()
	trainer, _ := filepath.Abs(filepath.Join("..", "..", "internal", "worker", "testdata", "fake-trainer.sh"))
	rec := &webhookStatuses{}
	w, err := worker.New(worker.Config{DispatchSecrets: [][]byte{dsec}, WebhookSecret: wsec, Trainer: []string{trainer, "{config}"},
		Env:     []string{`FAKE_TRAINER_FAIL=CUDA out of memory\0 at step 3`},
		WorkDir: t.TempDir(), HTTP: &http.Client{Transport: rec, Timeout: 10 * time.Second},
		WebhookBackoff: 50 * time.Millisecond, WebhookGiveUp: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ws := httptest.NewServer(w.Handler())
	defer ws.Close()
	d := worker.Dispatch{JobID: created.JobID, DispatchKey: "dk_nul000001", BaseModel: "flux-dev",
		Params:     worker.Params{Rank: 4, Steps: 100, LearningRate: 1e-4, Resolution: 512, TriggerWord: "ohwx", CaptionTemplate: "a photo of {trigger}"},
		Items:      []worker.Item{{Name: "a.jpg", URL: files.URL + "/a.jpg", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(photo))}},
		Artifact:   worker.Upload{Method: "PUT", URL: files.URL + "/artifact", MaxSize: 1 << 20},
		WebhookURL: e.srv.URL + "/api/lora/webhook"}
	raw, _ := json.Marshal(d)
	req, _ := http.NewRequest("POST", ws.URL+"/jobs", bytes.NewReader(raw))
	stdwebhook.SetHeaders(req.Header, dsec, "msg_dispatch_nul", time.Now(), raw)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("dispatch: %d", resp.StatusCode)
	}
	w.Wait()

	rec.mu.Lock()
	codes := rec.codes
	rec.mu.Unlock()
	if len(codes) == 0 {
		t.Fatal("the worker sent no webhook")
	}
	for _, c := range codes {
		if c != 200 {
			t.Errorf("webhook answers %v, want only 200s", codes)
			break
		}
	}
	code, _, body = e.req("GET", "/api/lora/jobs/"+created.JobID, tok, "")
	var j struct{ Status, Error string }
	if code != 200 || json.Unmarshal([]byte(body), &j) != nil {
		t.Fatalf("get job: %d %s", code, body)
	}
	if j.Status != "failed" || !strings.Contains(j.Error, "CUDA out of memory  at step 3") || strings.ContainsRune(j.Error, 0) {
		t.Errorf("job %+v, want failed with the trainer's message, readable", j)
	}
}
