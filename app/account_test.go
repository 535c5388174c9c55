package app_test

import (
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/app"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/sync/client"
	"github.com/promptforge/lorastudio/sync/synctest"
)

// The desktop signs in to a real backend, pushes its consent, and uploads
// the validated dataset; after a restart it is still signed in.
func TestSignInAndSync(t *testing.T) {
	be := synctest.NewBackend(t, nil)
	dir := t.TempDir()
	a, rt := newApp(t, dir)
	if a.Account().SignedIn {
		t.Fatal("signed in before signing in")
	}
	if _, err := a.SyncDataset(app.ValidateOptions{}); err == nil || !strings.HasPrefix(err.Error(), "unauthorized: ") {
		t.Fatalf("sync signed out: got %v, want unauthorized", err)
	}
	tests := []struct {
		req  app.SignInRequest
		code string
	}{
		{app.SignInRequest{ServerURL: "ftp://x", Email: "a@example.com", Password: "whatever"}, "invalid"},
		{app.SignInRequest{ServerURL: be.URL, Email: "a@example.com", Password: "a long passphrase"}, "bad_credentials"},
	}
	for _, tt := range tests {
		if _, err := a.SignIn(tt.req); err == nil || !strings.HasPrefix(err.Error(), tt.code+": ") {
			t.Errorf("SignIn(%+v): got %v, want %s", tt.req, err, tt.code)
		}
	}
	st, err := a.SignIn(app.SignInRequest{ServerURL: be.URL + "/", Email: "a@example.com", Password: "a long passphrase", Create: true})
	if err != nil || !st.SignedIn || st.ServerURL != be.URL {
		t.Fatalf("sign up: %+v, %v", st, err)
	}
	if st.TokenStorage != "keyring" && st.TokenStorage != "sqlite" {
		t.Errorf("token storage %q", st.TokenStorage)
	}

	a.GiveConsent(true)
	a.ImportFiles([]string{person})
	if _, err := a.SyncDataset(app.ValidateOptions{MinResolution: 256}); err == nil || !strings.HasPrefix(err.Error(), "dataset_not_validated: ") {
		t.Fatalf("sync before validation: got %v", err)
	}
	if rep, err := a.ValidateDataset(app.ValidateOptions{MinResolution: 256}); err != nil || !rep.OK {
		t.Fatalf("local validation: ok=%v, %v", rep != nil && rep.OK, err)
	}
	res, err := a.SyncDataset(app.ValidateOptions{MinResolution: 256})
	if err != nil {
		t.Fatal(err)
	}
	if res.DatasetID == "" || res.Validation == nil || res.Total.BytesSent == 0 {
		t.Fatalf("sync result: %+v", res)
	}
	if n := countEvents(rt, app.EventSyncProgress); n < 24 {
		t.Errorf("got %d sync progress events, want at least one per photo", n)
	}
	if res.Validation.Status != "validated" {
		t.Fatalf("the server's validation: %s, want validated like the local one", res.Validation.Status)
	}
	if st, _ := a.Dataset(); !st.Training.Allowed {
		t.Errorf("gate after a validated sync: %+v, want allowed", st.Training)
	}
	// This backend has no GPU provider.
	if _, err := a.StartTraining(app.TrainingRequest{BaseModel: "sora-2"}); err == nil || !strings.HasPrefix(err.Error(), "unknown_base_model: ") {
		t.Errorf("training on a target platform: got %v", err)
	}
	// The request waits in the outbox rather than failing: a 503 may pass.
	if st, err := a.StartTraining(app.TrainingRequest{BaseModel: "flux-dev"}); err != nil || !st.Queued || st.Job != nil {
		t.Errorf("training without a provider: got %+v, %v; want it queued", st, err)
	}
	if vs, err := a.Versions(); err != nil || len(vs.Versions) != 0 || vs.Offline {
		t.Errorf("versions: %+v, %v; want none, online", vs, err)
	}
	if c, _ := a.GetConsent(); !c.Synced {
		t.Error("the local consent is not marked as recorded on the server")
	}

	// Withdrawing here erases the server's copy too.
	erased, err := a.WithdrawConsent()
	if err != nil || erased.Server != "erased" || erased.Photos != 24 {
		t.Fatalf("withdraw signed in: %+v, %v; want 24 local photos and the server's erased", erased, err)
	}
	same := be.Client(t)
	if _, err := same.Login(t.Context(), client.Credentials{Email: "a@example.com", Password: "a long passphrase"}); err != nil {
		t.Fatal(err)
	}
	if _, err := same.Dataset(t.Context(), res.DatasetID); studio.ErrorCode(err) != studio.ENotFound {
		t.Errorf("the uploaded dataset after withdrawal: got %v, want not found on the server", err)
	}

	app.Shutdown(a)(t.Context())
	b, _ := newApp(t, dir)
	if st := b.Account(); !st.SignedIn || st.Email != "a@example.com" {
		t.Errorf("after restart: %+v, want still signed in", st)
	}
	if err := b.SignOut(); err != nil {
		t.Fatal(err)
	}
	if b.Account().SignedIn {
		t.Error("still signed in after sign out")
	}
}

func TestTrainableModelsComeFromTheServer(t *testing.T) {
	be := synctest.NewBackend(t, nil)
	a, _ := newApp(t, t.TempDir())
	if _, err := a.TrainableModels(); err == nil || !strings.HasPrefix(err.Error(), "unauthorized: ") {
		t.Fatalf("signed out: got %v", err)
	}
	if _, err := a.SignIn(app.SignInRequest{ServerURL: be.URL, Email: "m@example.com", Password: "a long passphrase", Create: true}); err != nil {
		t.Fatal(err)
	}
	ms, err := a.TrainableModels()
	if err != nil || len(ms) != 3 || ms[2].ID != "sdxl" || ms[2].Preset.Steps != 1500 || ms[0].Preset.TriggerWord != "ohwx" {
		t.Fatalf("got %+v, %v; want the three base models with their presets", ms, err)
	}
}
