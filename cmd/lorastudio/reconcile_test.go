package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/pgtest"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/studio"
)

// serve with the replicate provider reconciles: a job whose webhooks never
// came is polled at Replicate when the server starts, and fails with
// Replicate's error.
func TestServeReconcilesReplicate(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var polls atomic.Int32
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "GET" && r.URL.Path == "/v1/trainings/tr_1" && r.Header.Get("Authorization") == "Bearer r8_test" {
			polls.Add(1)
			io.WriteString(w, `{"id":"tr_1","status":"failed","error":"CUDA out of memory"}`)
			return
		}
		w.WriteHeader(404)
	}))
	defer fake.Close()
	env := map[string]string{"DATABASE_URL": pgtest.NewDatabase(t), "LORASTUDIO_BLOB_DIR": t.TempDir(),
		"LORASTUDIO_PROVIDER": "replicate", "REPLICATE_API_TOKEN": "r8_test", "LORASTUDIO_REPLICATE_DESTINATION": "me/x",
		"LORASTUDIO_REPLICATE_URL": fake.URL, "LORASTUDIO_DISPATCH_SECRET": stdwebhook.NewSecret(), "LORASTUDIO_WEBHOOK_SECRETS": stdwebhook.NewSecret()}
	c, _, errb := testCLI(env)
	if code := run(ctx, c, []string{"migrate"}); code != exitOK {
		t.Fatalf("migrate: exit %d, stderr %s", code, errb)
	}
	store, err := pgstore.Open(ctx, env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	u, err := store.CreateUser(ctx, "r@example.com", "x")
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := store.NewDataset(ctx, u.ID, "me", []pgstore.Upload{{Name: "a.jpg", Size: 1, ContentType: "image/jpeg", SHA256: "0000000000000000000000000000000000000000000000000000000000000000"}},
		func(id string, up pgstore.Upload) string {
			return pgstore.KeyPrefix(u.ID) + "datasets/" + id + "/a.jpg"
		}, pgstore.Quota{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.SaveValidation(ctx, u.ID, d.ID, []byte(`{"ok":true}`), 1, true, nil); err != nil {
		t.Fatal(err)
	}
	params, _ := json.Marshal(training.Presets[studio.FluxDev])
	_, j, err := store.CreateJob(ctx, pgstore.NewJob{UserID: u.ID, DatasetID: d.ID, BaseModel: studio.FluxDev, Params: params, Provider: "replicate",
		DispatchKey: func(id string) string { return training.DispatchKey([]byte("k"), id) },
		ArtifactKey: func(id string) string { return training.ArtifactKey(u.ID, id) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.MarkDispatched(ctx, j.ID, "tr_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Pool().Exec(ctx, `UPDATE lora_jobs SET updated_at = now() - interval '1 hour' WHERE id = $1`, j.ID); err != nil {
		t.Fatal(err)
	}

	c, _, errb = testCLI(env)
	done := make(chan int, 1)
	go func() { done <- run(ctx, c, []string{"serve", "--addr", "127.0.0.1:0"}) }()
	waitForListen(t, errb, done)
	var got studio.Job
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if got, err = store.Job(ctx, u.ID, j.ID); err == nil && got.Status == studio.JobFailed {
			break
		}
	}
	if got.Status != studio.JobFailed || got.Error != "CUDA out of memory" || polls.Load() != 1 {
		t.Errorf("job %+v after %d polls, want failed with Replicate's error after 1", got, polls.Load())
	}
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}
