package training_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/studio"
)

func signed(secret []byte, id string, at time.Time, body string) http.Header {
	h := http.Header{}
	stdwebhook.SetHeaders(h, secret, id, at, []byte(body))
	return h
}

// TestIngestSelfHosted runs one job's webhooks in order and out of it and
// checks each outcome and the job and version after it.
func TestIngestSelfHosted(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	secret, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	in := &training.Ingester{Store: f.store, Blobs: f.blobs, Verifier: stdwebhook.Verifier{Secrets: [][]byte{secret}}}
	good := f.seedJob(t, "a@example.com", "self-hosted", "")
	bad := f.seedJob(t, "b@example.com", "self-hosted", "")
	lora := tinyLoRA(t)
	f.putArtifact(t, good.ArtifactKey, lora)
	f.putArtifact(t, bad.ArtifactKey, []byte("this is not a safetensors file at all"))
	ev := func(job pgstore.JobRef, status, extra string) string {
		return fmt.Sprintf(`{"job_id":%q,"dispatch_key":%q,"status":%q%s}`, job.ID, job.DispatchKey, status, extra)
	}
	now := time.Now()
	okDone := ev(good, "succeeded", fmt.Sprintf(`,"progress":1,"checksum":"sha256:%s","size":%d,"logs_url":"http://w/logs"`, shaHex(lora), len(lora)))
	tests := []struct {
		name    string
		id      string
		h       http.Header
		body    string
		outcome string
		err     error
		status  string // the job's, after
	}{
		{"running", "m1", nil, ev(good, "running", `,"progress":0.5`), pgstore.OutcomeApplied, nil, "running"},
		{"progress going back is kept forward", "m2", nil, ev(good, "running", `,"progress":0.2`), pgstore.OutcomeApplied, nil, "running"},
		{"same id again", "m1", nil, ev(good, "running", `,"progress":0.5`), pgstore.OutcomeDuplicate, nil, "running"},
		{"bad signature", "m3", signed([]byte("another secret of 16+ bytes"), "m3", now, ev(good, "failed", "")), ev(good, "failed", ""), "", training.ErrUnauthenticated, "running"},
		{"stale timestamp", "m4", signed(secret, "m4", now.Add(-6*time.Minute), ev(good, "failed", "")), ev(good, "failed", ""), "", training.ErrUnauthenticated, "running"},
		{"unknown field", "m5", nil, ev(good, "running", `,"admin":true`), "", training.ErrMalformed, "running"},
		{"succeeded with a checked artifact", "m6", nil, okDone, pgstore.OutcomeApplied, nil, "succeeded"},
		{"failed after succeeded", "m7", nil, ev(good, "failed", `,"error":"late"`), pgstore.OutcomeIgnored, nil, "succeeded"},
		{"succeeded resent under a new id", "m8", nil, okDone, pgstore.OutcomeIgnored, nil, "succeeded"},
		{"not a safetensors file", "m9", nil, ev(bad, "succeeded", `,"checksum":"sha256:`+shaHex([]byte("this is not a safetensors file at all"))+`","size":37`), pgstore.OutcomeApplied, nil, "failed"},
		{"unknown job", "m10", nil, `{"job_id":"00000000-0000-0000-0000-000000000000","status":"running"}`, pgstore.OutcomeUnknown, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.h
			if h == nil {
				h = signed(secret, tt.id, time.Now(), tt.body)
			}
			res, err := in.Ingest(ctx, h, url.Values{}, []byte(tt.body))
			if tt.err != nil {
				if err == nil || !errorsIs(err, tt.err) {
					t.Fatalf("got %v, want %v", err, tt.err)
				}
			} else if err != nil || res.Outcome != tt.outcome {
				t.Fatalf("got %+v %v, want outcome %s", res, err, tt.outcome)
			}
			if tt.status == "" {
				return
			}
			job := good
			if tt.name == "not a safetensors file" {
				job = bad
			}
			ref, _ := f.store.JobRef(ctx, job.ID)
			if ref.Status != tt.status {
				t.Errorf("job status: got %s, want %s", ref.Status, tt.status)
			}
		})
	}
	j, _ := f.store.Job(ctx, good.UserID, good.ID)
	v, _ := f.store.Version(ctx, good.UserID, good.VersionID)
	if j.Progress != 1 || j.LogsURL != "http://w/logs" || v.Status != studio.VersionReady || v.ArtifactSHA256 != shaHex(lora) {
		t.Errorf("good job %+v version %+v: want progress 1, logs url, ready with the artifact's sha256", j, v)
	}
	jb, _ := f.store.Job(ctx, bad.UserID, bad.ID)
	vb, _ := f.store.Version(ctx, bad.UserID, bad.VersionID)
	if vb.Status != studio.VersionFailed || jb.Error == "" {
		t.Errorf("bad job %+v version %+v: want failed with a reason", jb, vb)
	}
	if _, err := f.blobs.Stat(ctx, bad.ArtifactKey); studio.ErrorCode(err) != studio.ENotFound {
		t.Errorf("a rejected artifact is still stored: %v", err)
	}
}
