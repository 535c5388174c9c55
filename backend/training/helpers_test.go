package training_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/pgtest"
	"github.com/promptforge/lorastudio/internal/safetensors"
	"github.com/promptforge/lorastudio/internal/studio"
)

type fixture struct {
	store *pgstore.Store
	blobs *blob.Local
	srv   *httptest.Server
	mux   *http.ServeMux
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	store, err := pgstore.Open(context.Background(), pgtest.NewDatabase(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(store.Close)
	f := &fixture{store: store, mux: http.NewServeMux()}
	f.srv = httptest.NewServer(f.mux)
	tb.Cleanup(f.srv.Close)
	if f.blobs, err = blob.NewLocal(tb.TempDir(), f.srv.URL+"/blob", bytes.Repeat([]byte("s"), 32), nil); err != nil {
		tb.Fatal(err)
	}
	f.mux.Handle("/blob/", f.blobs.Handler())
	return f
}

// seedJob makes a user with a validated dataset and a dispatched job of
// provider, and returns the job.
func (f *fixture) seedJob(tb testing.TB, email, provider, providerJobID string) pgstore.JobRef {
	tb.Helper()
	ref := f.seedQueued(tb, email, provider)
	if _, err := f.store.MarkDispatched(context.Background(), ref.ID, providerJobID); err != nil {
		tb.Fatal(err)
	}
	ref, err := f.store.JobRef(context.Background(), ref.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return ref
}

// seedQueued is seedJob's job before its dispatch.
func (f *fixture) seedQueued(tb testing.TB, email, provider string) pgstore.JobRef {
	tb.Helper()
	ctx := context.Background()
	u, err := f.store.CreateUser(ctx, email, "x")
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256([]byte(email))
	d, _, err := f.store.NewDataset(ctx, u.ID, "me", []pgstore.Upload{{Name: "a.jpg", Size: 10, ContentType: "image/jpeg", SHA256: hex.EncodeToString(sum[:])}},
		func(id string, up pgstore.Upload) string {
			return pgstore.KeyPrefix(u.ID) + "datasets/" + id + "/" + up.SHA256 + ".jpg"
		}, pgstore.Quota{})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := f.store.SaveValidation(ctx, u.ID, d.ID, []byte(`{"ok":true}`), 1, true, nil); err != nil {
		tb.Fatal(err)
	}
	params, _ := json.Marshal(training.Presets[studio.FluxDev])
	_, j, err := f.store.CreateJob(ctx, pgstore.NewJob{UserID: u.ID, DatasetID: d.ID, BaseModel: studio.FluxDev, Params: params, Provider: provider,
		DispatchKey: func(id string) string { return training.DispatchKey([]byte("k"), id) },
		ArtifactKey: func(id string) string { return training.ArtifactKey(u.ID, id) }})
	if err != nil {
		tb.Fatal(err)
	}
	ref, err := f.store.JobRef(ctx, j.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return ref
}

// putArtifact stores b at key through a PresignPutMax URL, as a worker does.
func (f *fixture) putArtifact(tb testing.TB, key string, b []byte) {
	tb.Helper()
	r, err := f.blobs.PresignPutMax(context.Background(), key, "application/octet-stream", 1<<20, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	req, _ := blob.NewHTTPRequest(context.Background(), r, bytes.NewReader(b))
	req.ContentLength = int64(len(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		tb.Fatalf("put artifact: %v %v", resp, err)
	}
	resp.Body.Close()
}

func tinyLoRA(tb testing.TB) []byte {
	var b bytes.Buffer
	if err := safetensors.WriteLoRA(&b, []string{"lora_unet_a", "lora_unet_b"}, 2, 4, nil); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func shaHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
