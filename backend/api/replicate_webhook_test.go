package api_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/safetensors"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/studio"
)

// Replicate's webhooks carry the whole log: a long run's completed one of
// some 5 MiB is accepted and finishes the job, one over 16 MiB is refused
// with 413, and our worker's webhooks keep their 1 MiB cap.
func TestReplicateWebhookBodyCap(t *testing.T) {
	secret, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	e := newJobsEnv(t, func(s *pgstore.Store, b blob.Store) *training.Ingester {
		return &training.Ingester{Store: s, Blobs: b, Verifier: stdwebhook.Verifier{Secrets: [][]byte{secret}}}
	})
	var lora bytes.Buffer
	if err := safetensors.WriteLoRA(&lora, []string{"lora_unet_a"}, 2, 4, nil); err != nil {
		t.Fatal(err)
	}
	weights := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(lora.Bytes()) }))
	defer weights.Close()
	tok, ds := e.validatedUser("long@example.com")
	code, _, b := e.req("POST", "/api/lora/jobs", tok, `{"dataset_id":"`+ds+`","base_model":"flux-dev"}`, "Idempotency-Key", "k1")
	if code != 202 {
		t.Fatalf("create: %d %s", code, b)
	}
	job := jsonField(b, "job_id")
	if _, err := e.store.MarkDispatched(context.Background(), job, "tr_long"); err != nil {
		t.Fatal(err)
	}
	line := `flux_train_replicate:  10%|#         | 100/1000 [00:30<04:30,  3.33it/s]\n`
	completed := func(logBytes int) string {
		return `{"id":"tr_long","status":"succeeded","logs":"` + strings.Repeat(line, logBytes/len(line)) +
			`","output":{"weights":"` + weights.URL + `/trained_model.tar"}}`
	}
	post := func(id, query, body string) (int, string) {
		h := http.Header{}
		stdwebhook.SetHeaders(h, secret, id, time.Now(), []byte(body))
		code, _, b := e.req("POST", "/api/lora/webhook"+query, "", body,
			"webhook-id", h.Get("webhook-id"), "webhook-timestamp", h.Get("webhook-timestamp"), "webhook-signature", h.Get("webhook-signature"))
		return code, b
	}
	replicate := "?provider=replicate&job=" + job
	tests := []struct {
		name, query, body string
		status            int
		want              string // the outcome, or the error code
	}{
		{"a worker's webhook over 1 MiB", "", `{"job_id":"` + job + `","status":"running","logs_url":"` + strings.Repeat("x", 2<<20) + `"}`, 413, studio.ETooLarge},
		{"replicate's over 16 MiB", replicate, completed(17 << 20), 413, studio.ETooLarge},
		{"replicate's completed with a 5 MiB log", replicate, completed(5 << 20), 200, "applied"},
	}
	for i, tt := range tests {
		code, b := post("msg_"+string(rune('a'+i)), tt.query, tt.body)
		got := jsonField(b, "outcome")
		if code != 200 {
			got = errorCode(t, b)
		}
		if code != tt.status || got != tt.want {
			t.Errorf("%s: got %d %s, want %d %s", tt.name, code, b, tt.status, tt.want)
		}
	}
	ref, err := e.store.JobRef(context.Background(), job)
	if err != nil || ref.Status != studio.JobSucceeded {
		t.Errorf("job after the long completed webhook: %+v %v, want succeeded", ref, err)
	}
}

// Replicate's bodies, up to 16 MiB each, have read slots of their own:
// with them all held, another of Replicate's is refused 503 while our
// worker's are still read, so the memory stays bounded.
func TestReplicateWebhookSlots(t *testing.T) {
	secret, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	e := newEnv(t, func(c *api.Config) {
		c.Training.Ingester = &training.Ingester{Verifier: stdwebhook.Verifier{Secrets: [][]byte{secret}}}
		c.Training.WebhookReadTimeout, c.Training.ReplicateWebhookReads = 3*time.Second, 1
	})
	stop := make(chan struct{})
	defer close(stop)
	slowWebhookAt(t, e, stop, "/api/lora/webhook?provider=replicate&job=x")
	hdr := []string{"webhook-id", "msg_1", "webhook-timestamp", "1614265330", "webhook-signature", "v1,AAAA"}
	var code int
	var h http.Header
	var body string
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if code, h, body = e.req("POST", "/api/lora/webhook?provider=replicate", "", `{"id":"tr_1"}`, hdr...); code == 503 {
			break
		}
	}
	if code != 503 || h.Get("Retry-After") == "" {
		t.Fatalf("with Replicate's one slot held: got %d %s, want 503 with Retry-After", code, body)
	}
	if code, _, body = e.req("POST", "/api/lora/webhook", "", `{"job_id":"x"}`, hdr...); code != 401 {
		t.Errorf("a worker's webhook meanwhile: got %d %s, want 401 (read and verified)", code, body)
	}
}
