package app_test

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/app"
	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/consent"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
	"github.com/promptforge/lorastudio/internal/worker"
	"github.com/promptforge/lorastudio/sync/client"
	"github.com/promptforge/lorastudio/sync/synctest"
)

// The desktop signs in to a real backend, pushes its consent, and uploads
// the validated dataset; after a restart it is still signed in.
func TestSignInAndSync(t *testing.T) {
	be := synctest.NewBackend(t, nil)
	dir := t.TempDir()
	a, rt := newApp(t, dir)
	if a.Account.Account().SignedIn {
		t.Fatal("signed in before signing in")
	}
	if _, err := a.Dataset.SyncDataset(app.ValidateOptions{}); err == nil || !strings.HasPrefix(err.Error(), "unauthorized: ") {
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
		if _, err := a.Account.SignIn(tt.req); err == nil || !strings.HasPrefix(err.Error(), tt.code+": ") {
			t.Errorf("SignIn(%+v): got %v, want %s", tt.req, err, tt.code)
		}
	}
	st, err := a.Account.SignIn(app.SignInRequest{ServerURL: be.URL + "/", Email: "a@example.com", Password: "a long passphrase", Create: true})
	if err != nil || !st.SignedIn || st.ServerURL != be.URL {
		t.Fatalf("sign up: %+v, %v", st, err)
	}
	if st.TokenStorage != "keyring" && st.TokenStorage != "sqlite" {
		t.Errorf("token storage %q", st.TokenStorage)
	}

	a.Consent.GiveConsent(consent.Current.Version, true)
	a.Dataset.ImportFiles([]string{person})
	if _, err := a.Dataset.SyncDataset(app.ValidateOptions{MinResolution: 256}); err == nil || !strings.HasPrefix(err.Error(), "dataset_not_validated: ") {
		t.Fatalf("sync before validation: got %v", err)
	}
	if rep, err := a.Dataset.ValidateDataset(app.ValidateOptions{MinResolution: 256}); err != nil || !rep.OK {
		t.Fatalf("local validation: ok=%v, %v", rep != nil && rep.OK, err)
	}
	res, err := a.Dataset.SyncDataset(app.ValidateOptions{MinResolution: 256})
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
	if st, _ := a.Dataset.Dataset(); !st.Training.Allowed {
		t.Errorf("gate after a validated sync: %+v, want allowed", st.Training)
	}
	// This backend has no GPU provider.
	if _, err := a.Training.StartTraining(app.TrainingRequest{BaseModel: "sora-2"}); err == nil || !strings.HasPrefix(err.Error(), "unknown_base_model: ") {
		t.Errorf("training on a target platform: got %v", err)
	}
	// The request waits in the outbox rather than failing: a 503 may pass.
	if st, err := a.Training.StartTraining(app.TrainingRequest{BaseModel: "flux-dev"}); err != nil || !st.Queued || st.Job != nil {
		t.Errorf("training without a provider: got %+v, %v; want it queued", st, err)
	}
	if vs, err := a.Training.Versions(); err != nil || len(vs.Versions) != 0 || vs.Offline {
		t.Errorf("versions: %+v, %v; want none, online", vs, err)
	}
	if c, _ := a.Consent.GetConsent(); !c.Synced {
		t.Error("the local consent is not marked as recorded on the server")
	}

	// Withdrawing here erases the server's copy too.
	erased, err := a.Consent.WithdrawConsent()
	if err != nil || erased.Server != "erased" || erased.Photos != 24 {
		t.Fatalf("withdraw signed in: %+v, %v; want 24 local photos and the server's erased", erased, err)
	}
	same := be.Client(t)
	if _, err := same.Login(t.Context(), wire.Credentials{Email: "a@example.com", Password: "a long passphrase"}); err != nil {
		t.Fatal(err)
	}
	if _, err := same.Dataset(t.Context(), res.DatasetID); studio.ErrorCode(err) != studio.ENotFound {
		t.Errorf("the uploaded dataset after withdrawal: got %v, want not found on the server", err)
	}

	app.Shutdown(a)(t.Context())
	b, _ := newApp(t, dir)
	if st := b.Account.Account(); !st.SignedIn || st.Email != "a@example.com" {
		t.Errorf("after restart: %+v, want still signed in", st)
	}
	if err := b.Account.SignOut(); err != nil {
		t.Fatal(err)
	}
	if b.Account.Account().SignedIn {
		t.Error("still signed in after sign out")
	}
}

func TestTrainableModelsComeFromTheServer(t *testing.T) {
	be := synctest.NewBackend(t, nil)
	a, _ := newApp(t, t.TempDir())
	if _, err := a.Training.TrainableModels(); err == nil || !strings.HasPrefix(err.Error(), "unauthorized: ") {
		t.Fatalf("signed out: got %v", err)
	}
	if _, err := a.Account.SignIn(app.SignInRequest{ServerURL: be.URL, Email: "m@example.com", Password: "a long passphrase", Create: true}); err != nil {
		t.Fatal(err)
	}
	ms, err := a.Training.TrainableModels()
	if err != nil || len(ms) != len(studio.BaseModels()) || ms[2].ID != "sdxl" || ms[2].Preset.Steps != 1500 || ms[0].Preset.TriggerWord != "ohwx" {
		t.Fatalf("got %+v, %v; want every base model with its preset", ms, err)
	}
}

// waitFor polls cond for up to 15 s: the outbox delivers in the background.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting until %s", what)
}

func synced(a *app.App) bool { c, _ := a.Consent.GetConsent(); return c.Synced }

// A consent given before sign-in, or while the server is down, reaches the
// server through the outbox; uploads wait for it with a clear reason.
func TestConsentGoesThroughTheOutbox(t *testing.T) {
	be := synctest.NewBackend(t, nil)
	a, rt := newApp(t, t.TempDir())
	ctx := t.Context()
	if st, err := a.Consent.GiveConsent(consent.Current.Version, true); err != nil || st.Synced || st.Queued {
		t.Fatalf("consent signed out: %+v, %v; want recorded here only", st, err)
	}
	login := func(email string) *client.Client {
		c := be.Client(t)
		if _, err := c.Login(ctx, wire.Credentials{Email: email, Password: "a long passphrase"}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, err := a.Account.SignIn(app.SignInRequest{ServerURL: be.URL, Email: "o@example.com", Password: "a long passphrase", Create: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the consent given before sign-in is on the server", func() bool { return synced(a) })
	if countEvents(rt, app.EventConsentServer) == 0 {
		t.Error("no consent:server event for the UI")
	}
	srv := login("o@example.com")
	first, err := srv.CurrentConsent(ctx)
	if err != nil {
		t.Fatalf("the server's consent after sign-in: %v", err)
	}

	// Down: the withdrawal and a new consent wait, in order.
	be.SetDown(true)
	if e, err := a.Consent.WithdrawConsent(); err != nil || e.Server != "queued" {
		t.Fatalf("withdraw while the server is down: %+v, %v; want queued", e, err)
	}
	st, err := a.Consent.GiveConsent(consent.Current.Version, true)
	if err != nil || st.Synced || !st.Queued {
		t.Fatalf("consent while the server is down: %+v, %v; want queued", st, err)
	}
	if _, err := a.Dataset.SyncDataset(app.ValidateOptions{}); err == nil || !strings.HasPrefix(err.Error(), "unavailable: the server has not recorded your consent yet") {
		t.Fatalf("upload before the server has the consent: got %v", err)
	}
	be.SetDown(false)
	if rep, err := a.Outbox.SendQueued(); err != nil || rep.Waiting != 0 || rep.Failed != 0 {
		t.Fatalf("send now, the server back: %+v, %v; want the withdrawal and the consent sent", rep, err)
	}
	waitFor(t, "the new consent is on the server", func() bool { return synced(a) })
	second, err := srv.CurrentConsent(ctx)
	if err != nil || second.ID == first.ID || !second.CreatedAt.After(first.CreatedAt) {
		t.Fatalf("the server's consent after the outage: %+v, %v; want a new one after the withdrawal of %s", second, err, first.ID)
	}

	// Another account on the same computer gets the consent too.
	if err := a.Account.SignOut(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Account.SignIn(app.SignInRequest{ServerURL: be.URL, Email: "p@example.com", Password: "a long passphrase", Create: true}); err != nil {
		t.Fatal(err)
	}
	other := login("p@example.com")
	waitFor(t, "the second account has the consent", func() bool { _, err := other.CurrentConsent(ctx); return err == nil && synced(a) })
	// Signing back in to the first account links its record, queues nothing.
	if err := a.Account.SignOut(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Account.SignIn(app.SignInRequest{ServerURL: be.URL, Email: "o@example.com", Password: "a long passphrase"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := a.Consent.GetConsent(); !st.Synced || st.Queued {
		t.Errorf("back on the first account: %+v; want linked to its record", st)
	}
	if again, _ := srv.CurrentConsent(ctx); again.ID != second.ID {
		t.Errorf("the first account got another consent %s, want still %s", again.ID, second.ID)
	}
}

// The Trainable Base Model list is what the server's GPU provider trains:
// here the reference worker set to Flux dev and SDXL only.
func TestBaseModelsFollowTheServer(t *testing.T) {
	secret := bytes.Repeat([]byte("s"), 32)
	w, err := worker.New(worker.Config{DispatchSecrets: [][]byte{secret}, WebhookSecret: secret,
		Trainer: []string{"true"}, WorkDir: t.TempDir(), BaseModels: []string{"flux-dev", "sdxl"}})
	if err != nil {
		t.Fatal(err)
	}
	ws := httptest.NewServer(w.Handler())
	t.Cleanup(ws.Close)
	be := synctest.NewBackend(t, func(c *api.Config) { c.Training.Provider = &training.SelfHosted{URL: ws.URL, Secret: secret} })
	dir := t.TempDir()
	a, _ := newApp(t, dir)
	ids := func(l app.BaseModelList) string {
		var s []string
		for _, m := range l.Models {
			s = append(s, m.ID)
		}
		return l.Source + ":" + strings.Join(s, ",")
	}
	var all []string // every base model LoRA Studio knows
	for _, m := range studio.BaseModels() {
		all = append(all, m.ID)
	}
	local := "local:" + strings.Join(all, ",")
	if got := ids(a.Training.BaseModels()); got != local {
		t.Errorf("signed out: %s", got)
	}
	if _, err := a.Account.SignIn(app.SignInRequest{ServerURL: be.URL, Email: "b@example.com", Password: "a long passphrase", Create: true}); err != nil {
		t.Fatal(err)
	}
	if l := a.Training.BaseModels(); ids(l) != local || l.Note == "" {
		t.Errorf("signed in, before asking the server: %s %q; want the registry, saying it is not checked yet", ids(l), l.Note)
	}
	if got := ids(a.Training.RefreshBaseModels()); got != "server:flux-dev,sdxl" {
		t.Errorf("signed in: %s, want the worker's two", got)
	}
	if got := ids(a.Training.BaseModels()); got != "saved:flux-dev,sdxl" {
		t.Errorf("without the network, after a refresh: %s, want the saved list", got)
	}
	tests := []struct {
		model, err string
	}{
		{"flux-schnell", "base_model_unsupported: "},
		{"sora-2", "unknown_base_model: "},
		{"sdxl", ""},
	}
	for _, tt := range tests {
		_, err := a.SetSelection(app.Selection{TargetPlatform: "veo-3.1", BaseModel: tt.model})
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.err)) {
			t.Errorf("SetSelection(%s): got %v, want %q", tt.model, err, tt.err)
		}
	}

	be.SetDown(true)
	l := a.Training.RefreshBaseModels()
	if got := ids(l); got != "saved:flux-dev,sdxl" || l.Note == "" || l.CheckedAt == nil {
		t.Errorf("server down: %s, note %q; want the saved list, saying why", got, l.Note)
	}
	app.Shutdown(a)(t.Context())
	b, _ := newApp(t, dir)
	if got := ids(b.Training.BaseModels()); got != "saved:flux-dev,sdxl" {
		t.Errorf("after a restart, server down: %s", got)
	}
	if err := b.Account.SignOut(); err != nil {
		t.Fatal(err)
	}
	if got := ids(b.Training.BaseModels()); got != local {
		t.Errorf("signed out again: %s", got)
	}
}

// A withdrawal queued offline for one account is never sent with another
// account's token: it waits for its own account.
func TestQueuedActionsStayWithTheirAccount(t *testing.T) {
	be := synctest.NewBackend(t, nil)
	a, _ := newApp(t, t.TempDir())
	ctx := t.Context()
	a.Consent.GiveConsent(consent.Current.Version, true)
	signIn := func(email string, create bool) {
		t.Helper()
		if _, err := a.Account.SignIn(app.SignInRequest{ServerURL: be.URL, Email: email, Password: "a long passphrase", Create: create}); err != nil {
			t.Fatal(err)
		}
	}
	signIn("b@example.com", true)
	bob := be.Client(t)
	bob.Login(ctx, wire.Credentials{Email: "b@example.com", Password: "a long passphrase"})
	waitFor(t, "b has the consent", func() bool { return synced(a) })
	a.Account.SignOut()
	signIn("a@example.com", true)
	waitFor(t, "a has the consent", func() bool { return synced(a) })

	be.SetDown(true)
	if e, err := a.Consent.WithdrawConsent(); err != nil || e.Server != "queued" {
		t.Fatalf("withdraw offline: %+v, %v", e, err)
	}
	a.Account.SignOut()
	be.SetDown(false)
	a.Consent.GiveConsent(consent.Current.Version, true)
	signIn("b@example.com", false)
	time.Sleep(time.Second) // the outbox starts at sign-in: room for a wrong delivery
	if _, err := bob.CurrentConsent(ctx); err != nil {
		t.Fatalf("b's consent after signing in with a's withdrawal queued: %v; want it untouched", err)
	}
	a.Account.SignOut()
	signIn("a@example.com", false)
	alice := be.Client(t)
	alice.Login(ctx, wire.Credentials{Email: "a@example.com", Password: "a long passphrase"})
	// a's withdrawal goes first, then the consent given since.
	waitFor(t, "a's withdrawal and new consent reach the server", func() bool { return synced(a) })
	if _, err := bob.CurrentConsent(ctx); err != nil {
		t.Errorf("b's consent at the end: %v", err)
	}
}

// An unfinished upload whose dataset the server no longer has (deleted, or
// abandoned too long and purged) starts over instead of failing for good.
func TestSyncStartsOverWhenTheServerLostTheUpload(t *testing.T) {
	be := synctest.NewBackend(t, nil)
	a, _ := newApp(t, t.TempDir())
	ctx := t.Context()
	a.Consent.GiveConsent(consent.Current.Version, true)
	a.Dataset.ImportFiles([]string{person})
	if rep, err := a.Dataset.ValidateDataset(app.ValidateOptions{MinResolution: 256}); err != nil || !rep.OK {
		t.Fatalf("validate: %v", err)
	}
	if _, err := a.Account.SignIn(app.SignInRequest{ServerURL: be.URL, Email: "l@example.com", Password: "a long passphrase", Create: true}); err != nil {
		t.Fatal(err)
	}
	be.RefuseStorage(true)
	if _, err := a.Dataset.SyncDataset(app.ValidateOptions{MinResolution: 256}); err == nil || !strings.HasPrefix(err.Error(), "upload_refused: ") {
		t.Fatalf("upload with the storage refusing: got %v", err)
	}
	be.RefuseStorage(false)
	srv := be.Client(t)
	srv.Login(ctx, wire.Credentials{Email: "l@example.com", Password: "a long passphrase"})
	var list struct {
		Datasets []struct{ ID string } `json:"datasets"`
	}
	if err := srv.Do(ctx, "GET", "/api/lora/datasets", nil, nil, &list); err != nil || len(list.Datasets) != 1 {
		t.Fatalf("the server's datasets: %+v, %v; want the one the upload started", list, err)
	}
	lost := list.Datasets[0].ID
	if err := srv.DeleteDataset(ctx, lost); err != nil {
		t.Fatal(err)
	}
	res, err := a.Dataset.SyncDataset(app.ValidateOptions{MinResolution: 256})
	if err != nil {
		t.Fatalf("upload after the server lost the first: %v", err)
	}
	if res.DatasetID == "" || res.DatasetID == lost || res.Validation == nil || res.Validation.Status != "validated" {
		t.Errorf("result: %+v; want a new dataset, validated", res)
	}
}

// What waits for the server, and what it refused, is listed in words with
// the server's reason; a refused action can be retried or dismissed.
func TestQueuedActionsAreListed(t *testing.T) {
	be := synctest.NewBackend(t, nil)
	a, rt := newApp(t, t.TempDir())
	if _, err := a.Outbox.QueuedActions(); err == nil || !strings.HasPrefix(err.Error(), "unauthorized: ") {
		t.Fatalf("signed out: %v", err)
	}
	if _, err := a.Account.SignIn(app.SignInRequest{ServerURL: be.URL, Email: "q@example.com", Password: "a long passphrase", Create: true}); err != nil {
		t.Fatal(err)
	}
	be.SetDown(true)
	// An activation of a version the server does not have: queued while down.
	if act, err := a.Training.Activate("00000000-0000-0000-0000-000000000000", 1, "veo-3.1"); err != nil || !act.Queued {
		t.Fatalf("activate while down: %+v, %v; want queued", act, err)
	}
	qs, err := a.Outbox.QueuedActions()
	if err != nil || len(qs) != 1 || qs[0].What != "Activate a version" || qs[0].Status != "pending" || qs[0].Attempts == 0 || qs[0].Error == "" {
		t.Fatalf("while down: %+v, %v; want the activation waiting, with the last error", qs, err)
	}
	be.SetDown(false)
	if _, err := a.Outbox.SendQueued(); err != nil {
		t.Fatal(err)
	}
	qs, _ = a.Outbox.QueuedActions()
	if len(qs) != 1 || qs[0].Status != "failed" || !strings.Contains(qs[0].Error, "version") {
		t.Fatalf("after the server refused it: %+v; want it failed with the server's reason", qs)
	}
	if countEvents(rt, app.EventOutboxChanged) == 0 {
		t.Error("no outbox:changed event for the UI")
	}
	if err := a.Outbox.RetryAction(qs[0].ID); err != nil {
		t.Fatal(err)
	}
	if qs, _ = a.Outbox.QueuedActions(); len(qs) != 1 || qs[0].Status != "failed" || qs[0].Attempts < 3 {
		t.Errorf("after a retry: %+v; want refused again", qs)
	}
	if err := a.Outbox.DismissAction(qs[0].ID); err != nil {
		t.Fatal(err)
	}
	if qs, _ = a.Outbox.QueuedActions(); len(qs) != 0 {
		t.Errorf("after dismissing: %+v; want none", qs)
	}
	if err := a.Outbox.DismissAction(12345); err == nil || !strings.HasPrefix(err.Error(), "not_found: ") {
		t.Errorf("dismissing an unknown action: %v", err)
	}
}

// A sign-in the server no longer accepts (expired here after two seconds)
// signs the app out with a clear status, keeps what was queued, and a new
// sign-in sends it.
func TestExpiredSessionSignsOut(t *testing.T) {
	be := synctest.NewBackend(t, func(c *api.Config) { c.TokenTTL = 2 * time.Second })
	a, rt := newApp(t, t.TempDir())
	if _, err := a.Account.SignIn(app.SignInRequest{ServerURL: be.URL, Email: "e@example.com", Password: "a long passphrase", Create: true}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond)
	if _, err := a.Consent.GiveConsent(consent.Current.Version, true); err != nil {
		t.Fatal(err)
	}
	// The event follows the sign-out, from the request that was refused.
	waitFor(t, "the refused token signs the app out and tells the UI", func() bool {
		return !a.Account.Account().SignedIn && countEvents(rt, app.EventAccountChanged) > 0
	})
	st := a.Account.Account()
	if !st.Expired || st.ServerURL != be.URL || st.Email != "e@example.com" {
		t.Errorf("after expiry: %+v; want expired, with the server and email to sign in to again", st)
	}
	if countEvents(rt, app.EventAccountChanged) != 1 {
		t.Errorf("account:changed events: %d, want 1", countEvents(rt, app.EventAccountChanged))
	}
	if _, err := a.Training.TrainableModels(); err == nil || !strings.HasPrefix(err.Error(), "unauthorized: ") {
		t.Errorf("a server call after expiry: %v, want unauthorized (sign in)", err)
	}
	if _, err := a.Account.SignIn(app.SignInRequest{ServerURL: be.URL, Email: "e@example.com", Password: "a long passphrase"}); err != nil {
		t.Fatal(err)
	}
	if st := a.Account.Account(); !st.SignedIn || st.Expired {
		t.Errorf("signed in again: %+v", st)
	}
	// The consent given while the token was refused went once signed in again.
	waitFor(t, "the queued consent reaches the server", func() bool { return synced(a) })
}

// A server that has gone silent does not hold the versions screen: after
// the read timeout the copy kept on this computer shows, marked offline.
func TestVersionsDoNotWaitForASilentServer(t *testing.T) {
	be := synctest.NewBackend(t, nil)
	a, _ := newAppWith(t, t.TempDir(), func(c *app.Config) { c.ReadTimeout = 300 * time.Millisecond })
	if _, err := a.Account.SignIn(app.SignInRequest{ServerURL: be.URL, Email: "v@example.com", Password: "a long passphrase", Create: true}); err != nil {
		t.Fatal(err)
	}
	if vs, err := a.Training.Versions(); err != nil || vs.Offline {
		t.Fatalf("online: %+v, %v", vs, err)
	}
	be.SetSlow(time.Minute)
	defer be.SetSlow(0)
	start := time.Now()
	vs, err := a.Training.Versions()
	if err != nil || !vs.Offline {
		t.Fatalf("silent server: %+v, %v; want the local copy, marked offline", vs, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the versions took %v behind a silent server, want about the read timeout", d)
	}
}
