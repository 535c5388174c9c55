package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/studio"
)

// The checkpoint routes through HTTP: samples come with links that serve
// their bytes, promotion answers a version, and another user sees nothing.
func TestCheckpointRoutes(t *testing.T) {
	ctx := context.Background()
	e := newJobsEnv(t, nil)
	tok, ds := e.validatedUser("a@example.com")
	other, _ := e.validatedUser("b@example.com")
	code, _, b := e.req("POST", "/api/lora/jobs", tok, `{"dataset_id":"`+ds+`","base_model":"flux-dev"}`, "Idempotency-Key", "k1")
	if code != 202 {
		t.Fatalf("create job: %d %s", code, b)
	}
	var created struct {
		JobID     string `json:"job_id"`
		VersionID string `json:"version_id"`
	}
	json.Unmarshal([]byte(b), &created)
	jobs := "/api/lora/jobs/" + created.JobID
	ref, err := e.store.JobRef(ctx, created.JobID)
	if err != nil {
		t.Fatal(err)
	}
	// What the ingester records after checking storage, stored here directly.
	sampleKey := pgstore.KeyPrefix(ref.UserID) + "jobs/" + ref.ID + "/samples/000250-00.png"
	e.putBlob(sampleKey, "image/png", "\x89PNG\r\n\x1a\nnot really, but bytes")
	sha := strings.Repeat("a", 64)
	mid := &pgstore.Checkpoint{Step: 250, ArtifactKey: "k/250", ArtifactSHA256: sha, ArtifactSize: 10,
		Samples: []pgstore.CheckpointSample{{Index: 0, Prompt: "a photo of ohwx person", Key: sampleKey, SHA256: sha, Size: 29}}}
	if _, _, err := e.store.ApplyJobEvent(ctx, pgstore.JobEvent{WebhookID: "w1", JobID: ref.ID, Status: studio.JobRunning, Checkpoint: mid}); err != nil {
		t.Fatal(err)
	}

	code, _, b = e.req("GET", jobs+"/checkpoints", tok, "")
	var list struct {
		Checkpoints []struct {
			Step    int
			Final   bool
			Samples []struct{ Prompt, URL string }
		}
	}
	if err := json.Unmarshal([]byte(b), &list); code != 200 || err != nil || len(list.Checkpoints) != 1 || len(list.Checkpoints[0].Samples) != 1 {
		t.Fatalf("list: %d %s", code, b)
	}
	resp, err := http.Get(list.Checkpoints[0].Samples[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(got), "\x89PNG") {
		t.Fatalf("sample link: %d %q", resp.StatusCode, got)
	}

	if code, _, b := e.req("POST", jobs+"/checkpoints/250/promote", tok, ""); code != 409 || errorCode(t, b) != "job_not_succeeded" {
		t.Errorf("promote while running: %d %s, want 409 job_not_succeeded", code, b)
	}
	if _, _, err := e.store.ApplyJobEvent(ctx, pgstore.JobEvent{WebhookID: "w2", JobID: ref.ID, Status: studio.JobSucceeded,
		ArtifactKey: ref.ArtifactKey, ArtifactSHA256: sha, ArtifactSize: 10}); err != nil {
		t.Fatal(err)
	}
	code, _, b = e.req("POST", jobs+"/checkpoints/250/promote", tok, "")
	var v struct {
		ID     string
		Number int
		Status string
	}
	if json.Unmarshal([]byte(b), &v); code != 200 || v.Number != 2 || v.Status != "ready" || v.ID == created.VersionID {
		t.Fatalf("promote: %d %s, want version 2 ready", code, b)
	}
	for _, tt := range []struct {
		name, method, path, token string
	}{
		{"another user's list", "GET", jobs + "/checkpoints", other},
		{"another user's promote", "POST", jobs + "/checkpoints/250/promote", other},
		{"no such step", "POST", jobs + "/checkpoints/999/promote", tok},
		{"not a job id", "GET", "/api/lora/jobs/nope/checkpoints", tok},
	} {
		if code, _, b := e.req(tt.method, tt.path, tt.token, ""); code != 404 {
			t.Errorf("%s: %d %s, want 404", tt.name, code, b)
		}
	}
}
