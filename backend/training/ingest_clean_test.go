package training_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
)

// A provider's text is stored cleaned whatever it holds, so a webhook never
// fails on content (Postgres refuses NUL: the failed event was a 500 on
// every retry and the job stayed running); a logs URL that is not http(s)
// is dropped; and the answer reports the job's recorded status, not the
// event's claim.
func TestIngestCleansProviderText(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	secret, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	in := &training.Ingester{Store: f.store, Blobs: f.blobs, Verifier: stdwebhook.Verifier{Secrets: [][]byte{secret}}}
	worker := func(j pgstore.JobRef, status, extra string) string {
		return fmt.Sprintf(`{"job_id":%q,"dispatch_key":%q,"status":%q%s}`, j.ID, j.DispatchKey, status, extra)
	}
	notLoRA := []byte("this is not a safetensors file at all")
	tests := []struct {
		name     string
		provider string // "self-hosted" or "replicate" (its training id is tr_<n>)
		before   func(pgstore.JobRef)
		body     func(pgstore.JobRef) string
		outcome  string
		status   string // in the answer and in the job
		errHas   string // the job's error contains it
		logsURL  string // the job's logs URL
	}{
		{name: "trainer error with NUL and escapes", provider: "self-hosted",
			body: func(j pgstore.JobRef) string {
				return worker(j, "failed", `,"error":"the trainer failed (exit status 1): CUDA out of memory\u0000 at step 3 | \u001b[31mboom\u001b[0m\u202e"`)
			},
			outcome: "applied", status: "failed", errHas: "CUDA out of memory  at step 3 |  [31mboom [0m"},
		{name: "javascript logs_url dropped", provider: "self-hosted",
			body: func(j pgstore.JobRef) string {
				return worker(j, "running", `,"progress":0.3,"logs_url":"javascript:alert(document.cookie)"`)
			},
			outcome: "applied", status: "running"},
		{name: "data logs_url dropped", provider: "self-hosted",
			body: func(j pgstore.JobRef) string {
				return worker(j, "running", `,"logs_url":"data:text/html,<script>x</script>"`)
			},
			outcome: "applied", status: "running"},
		{name: "https logs_url kept", provider: "self-hosted",
			body:    func(j pgstore.JobRef) string { return worker(j, "running", `,"logs_url":"https://gpu.example/logs/1"`) },
			outcome: "applied", status: "running", logsURL: "https://gpu.example/logs/1"},
		{name: "huge error capped", provider: "self-hosted",
			body: func(j pgstore.JobRef) string {
				return worker(j, "failed", `,"error":"`+strings.Repeat("é", 50_000)+`"`)
			},
			outcome: "applied", status: "failed", errHas: "éé…"},
		{name: "replicate error with NUL and javascript page", provider: "replicate",
			body: func(j pgstore.JobRef) string {
				return `{"id":"` + j.ProviderJobID + `","status":"failed","error":"OOM\u0000 on the GPU","urls":{"web":"javascript:alert(1)"}}`
			},
			outcome: "applied", status: "failed", errHas: "OOM  on the GPU"},
		{name: "success claimed, artifact rejected", provider: "self-hosted",
			before: func(j pgstore.JobRef) { f.putArtifact(t, j.ArtifactKey, notLoRA) },
			body: func(j pgstore.JobRef) string {
				return worker(j, "succeeded", fmt.Sprintf(`,"checksum":"sha256:%s","size":%d`, shaHex(notLoRA), len(notLoRA)))
			},
			outcome: "applied", status: "failed", errHas: "artifact rejected"},
		{name: "success claimed after a cancel", provider: "self-hosted",
			before: func(j pgstore.JobRef) {
				if _, _, err := f.store.CancelJob(ctx, j.UserID, j.ID, "canceled by the user"); err != nil {
					t.Fatal(err)
				}
			},
			body: func(j pgstore.JobRef) string {
				return worker(j, "succeeded", `,"checksum":"sha256:`+strings.Repeat("0", 64)+`","size":10`)
			},
			outcome: "ignored", status: "canceled", errHas: "canceled by the user"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := f.seedJob(t, fmt.Sprintf("u%d@example.com", i), tt.provider, fmt.Sprintf("tr_%d", i))
			if tt.before != nil {
				tt.before(j)
			}
			q := url.Values{}
			if tt.provider == "replicate" {
				q = url.Values{"provider": {"replicate"}, "job": {j.ID}}
			}
			body := tt.body(j)
			res, err := in.Ingest(ctx, signed(secret, fmt.Sprintf("clean_%d", i), time.Now(), body), q, []byte(body))
			if err != nil || res.Outcome != tt.outcome || res.Status != tt.status {
				t.Fatalf("got %+v %v, want %s with the job %s", res, err, tt.outcome, tt.status)
			}
			got, err := f.store.Job(ctx, j.UserID, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.status || !strings.Contains(got.Error, tt.errHas) || got.LogsURL != tt.logsURL {
				t.Errorf("job: status %s error %q logs_url %q, want %s with %q and logs_url %q", got.Status, got.Error, got.LogsURL, tt.status, tt.errHas, tt.logsURL)
			}
			if len(got.Error) > training.MaxEventError || strings.ContainsAny(got.Error, "\x00\x1b\u202e") {
				t.Errorf("job error not cleaned: %d bytes %q", len(got.Error), got.Error)
			}
		})
	}
}
