package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/app"
	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/consent"
	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
	"github.com/promptforge/lorastudio/internal/worker"
	"github.com/promptforge/lorastudio/sync/synctest"
)

// Captions on this computer, before any server: checked with Go's rule,
// kept across a restart, covered by the validation's hash, and a change
// after validation rehashes without making the dataset a draft again.
func TestCaptionsBeforeUpload(t *testing.T) {
	if app.DefaultCaptionTemplate != training.DefaultCaptionTemplate {
		t.Fatalf("the app's template %q is not the server presets' %q", app.DefaultCaptionTemplate, training.DefaultCaptionTemplate)
	}
	dir := t.TempDir()
	a, _ := newApp(t, dir)
	a.Consent.GiveConsent(consent.Current.Version, true)
	if _, err := a.Dataset.ImportFiles([]string{person}); err != nil {
		t.Fatal(err)
	}
	items, _ := a.Dataset.DatasetItems()
	beach := "a photo of {trigger} person laughing at the beach"
	tests := []struct {
		name, caption, code string
	}{
		{"no trigger", "a photo of me at the beach", studio.EInvalidCaption},
		{"two lines", "{trigger}\nat the beach", studio.EInvalidText},
		{"too long", strings.Repeat("x", studio.MaxCaption) + "{trigger}", studio.EInvalidCaption},
		{"names the person", beach, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it, err := a.Dataset.SetCaption(items[0].ID, tt.caption)
			if tt.code != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.code+": ") {
					t.Fatalf("SetCaption(%q): %v, want %s", tt.caption, err, tt.code)
				}
				return
			}
			if err != nil || it.Caption != tt.caption || it.CaptionSource != studio.CaptionUser {
				t.Fatalf("SetCaption(%q): %+v, %v", tt.caption, it, err)
			}
		})
	}
	if _, err := a.Dataset.SetCaption("no-such-photo", beach); err == nil || !strings.HasPrefix(err.Error(), "not_found: ") {
		t.Errorf("unknown photo: %v", err)
	}
	// Signed out: no suggestions, and nothing about captions stops training.
	if _, err := a.Dataset.SuggestCaptions(false); err == nil || !strings.HasPrefix(err.Error(), "unauthorized: ") {
		t.Errorf("suggestions signed out: %v, want unauthorized", err)
	}
	st, err := a.Dataset.Captions()
	if err != nil || st.Uploaded || st.Suggested != 0 || st.Unsent != 0 || !st.Ready.Allowed || st.Template != app.DefaultCaptionTemplate {
		t.Errorf("captions signed out: %+v, %v", st, err)
	}

	// After a restart the caption is there; the validation hashes it.
	app.Shutdown(a)(t.Context())
	b, _ := newApp(t, dir)
	items, _ = b.Dataset.DatasetItems()
	if items[0].Caption != beach {
		t.Fatalf("after restart: %q, want %q", items[0].Caption, beach)
	}
	rep, err := b.Dataset.ValidateDataset(app.ValidateOptions{MinResolution: 256})
	if err != nil || !rep.OK {
		t.Fatalf("validate: %v", err)
	}
	if want := hashOf(rep, map[string]string{items[0].Name: beach}); rep.DatasetHash != want {
		t.Errorf("the report's hash %s does not cover the caption (want %s)", rep.DatasetHash, want)
	}
	if _, err := b.Dataset.SetCaption(items[1].ID, "{trigger} in a red coat"); err != nil {
		t.Fatal(err)
	}
	ds, err := b.Dataset.Dataset()
	if err != nil || ds.Status != studio.DatasetValidated || ds.CaptionTemplate != app.DefaultCaptionTemplate {
		t.Fatalf("after a caption edit: status %s, %v; want still validated", ds.Status, err)
	}
	var after dataset.Report
	if err := json.Unmarshal(ds.Report, &after); err != nil {
		t.Fatal(err)
	}
	want := hashOf(rep, map[string]string{items[0].Name: beach, items[1].Name: "{trigger} in a red coat"})
	if after.DatasetHash != want {
		t.Errorf("hash after the edit %s, want %s", after.DatasetHash, want)
	}
	// Validating again gives the same hash: the two ways agree.
	again, _ := b.Dataset.ValidateDataset(app.ValidateOptions{MinResolution: 256})
	if again.DatasetHash != want {
		t.Errorf("validation after the edit: %s, want %s", again.DatasetHash, want)
	}
}

func hashOf(rep *dataset.Report, captions map[string]string) string {
	var hs []studio.HashItem
	for _, it := range rep.Items {
		hs = append(hs, studio.HashItem{SHA256: it.SHA256, Caption: captions[it.File]})
	}
	return studio.DatasetHash(hs)
}

// captioningBackend is a real backend whose training provider is the
// reference worker running the test double fake-captioner.sh, with the
// River queue that runs its auto-caption jobs.
func captioningBackend(t *testing.T) *synctest.Backend {
	t.Helper()
	secret := bytes.Repeat([]byte("s"), 32)
	captioner, err := filepath.Abs("../internal/worker/testdata/fake-captioner.sh")
	if err != nil {
		t.Fatal(err)
	}
	w, err := worker.New(worker.Config{DispatchSecrets: [][]byte{secret}, WebhookSecret: secret,
		Trainer: []string{"true"}, WorkDir: t.TempDir(), BaseModels: []string{"flux-dev", "sdxl"},
		Captioner: []string{captioner}})
	if err != nil {
		t.Fatal(err)
	}
	ws := httptest.NewServer(w.Handler())
	t.Cleanup(ws.Close)
	return synctest.NewBackend(t, func(c *api.Config) {
		p := &training.SelfHosted{URL: ws.URL, Secret: secret}
		c.Training.Provider, c.Training.DispatchSecret = p, secret
		store := c.Store.(*pgstore.Store)
		rc, err := training.NewClient(store.Pool(), &training.Dispatcher{Store: store, Blobs: c.Blobs, Provider: p},
			training.ClientConfig{PollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		store.Queue = training.Queue{Client: rc}
		if err := rc.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rc.Stop(context.Background()) })
	})
}

// The whole review: a caption written before the upload reaches the
// server with its photo; the server's captioner suggests the others; they
// hold training until accepted; an edit made offline waits, unsent, and
// goes with "Use these captions"; the local hash is the server's.
func TestSuggestedCaptionsAreReviewedBeforeTraining(t *testing.T) {
	be := captioningBackend(t)
	a, rt := newAppWith(t, t.TempDir(), func(c *app.Config) { c.CaptionPoll = 50 * time.Millisecond })
	if _, err := a.Account.SignIn(app.SignInRequest{ServerURL: be.URL, Email: "c@example.com", Password: "a long passphrase", Create: true}); err != nil {
		t.Fatal(err)
	}
	a.Consent.GiveConsent(consent.Current.Version, true)
	if _, err := a.Dataset.ImportFiles([]string{person}); err != nil {
		t.Fatal(err)
	}
	items, _ := a.Dataset.DatasetItems()
	const beach = "a photo of {trigger} person laughing at the beach"
	if _, err := a.Dataset.SetCaption(items[0].ID, beach); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Dataset.SuggestCaptions(false); err == nil || !strings.HasPrefix(err.Error(), "not_uploaded: ") {
		t.Fatalf("suggestions before the upload: %v, want not_uploaded", err)
	}
	if rep, err := a.Dataset.ValidateDataset(app.ValidateOptions{MinResolution: 256}); err != nil || !rep.OK {
		t.Fatalf("validate: %v", err)
	}
	res, err := a.Dataset.SyncDataset(app.ValidateOptions{MinResolution: 256})
	if err != nil || res.Validation == nil || res.Validation.Status != "validated" {
		t.Fatalf("sync: %+v, %v", res, err)
	}
	server := func() map[string]wire.Photo {
		t.Helper()
		c := be.Client(t)
		if _, err := c.Login(t.Context(), wire.Credentials{Email: "c@example.com", Password: "a long passphrase"}); err != nil {
			t.Fatal(err)
		}
		d, err := c.Dataset(t.Context(), res.DatasetID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]wire.Photo{"": {Caption: d.DatasetHash}} // "" holds the hash
		for _, p := range d.Items {
			out[p.Name] = p
		}
		return out
	}
	localHash := func() string {
		st, _ := a.Dataset.Dataset()
		var r dataset.Report
		json.Unmarshal(st.Report, &r)
		return r.DatasetHash
	}
	srv := server()
	if p := srv[items[0].Name]; p.Caption != beach || p.CaptionSource != studio.CaptionUser {
		t.Fatalf("the caption written before the upload, on the server: %q (%s)", p.Caption, p.CaptionSource)
	}
	if srv[""].Caption != localHash() {
		t.Errorf("server hash %s, local %s: the same photos and captions must hash the same", srv[""].Caption, localHash())
	}
	if st, _ := a.Dataset.Dataset(); !st.Training.Allowed {
		t.Fatalf("gate after the upload: %+v", st.Training)
	}

	st, err := a.Dataset.SuggestCaptions(false)
	if err != nil {
		t.Fatal(err)
	}
	if st.Run == nil || st.Run.Status != studio.CaptionRunDone || st.Suggested != len(items)-1 || st.Ready.Allowed {
		t.Fatalf("after the suggestions: %+v (run %+v); want done, %d to review, training held", st, st.Run, len(items)-1)
	}
	if countEvents(rt, app.EventCaptionProgress) < 2 {
		t.Errorf("%d caption progress events, want the start and the end", countEvents(rt, app.EventCaptionProgress))
	}
	items, _ = a.Dataset.DatasetItems()
	for _, it := range items[1:] {
		if it.CaptionSource != studio.CaptionAuto || !strings.HasPrefix(it.Caption, "a photo of {trigger} person, a person, photo ") {
			t.Errorf("%s: %q (%s), want the fake captioner's suggestion", it.Name, it.Caption, it.CaptionSource)
		}
	}
	if items[0].Caption != beach || items[0].CaptionSource != studio.CaptionUser {
		t.Errorf("the user's own caption after suggestions: %q (%s), want it kept", items[0].Caption, items[0].CaptionSource)
	}
	if g, _ := a.Dataset.Dataset(); g.Training.Allowed || !strings.Contains(g.Training.Reason, "Use these captions") {
		t.Errorf("gate with suggestions to review: %+v", g.Training)
	}
	if _, err := a.Training.StartTraining(app.TrainingRequest{BaseModel: "flux-dev"}); err == nil || !strings.HasPrefix(err.Error(), "captions_unreviewed: Review the suggested captions") {
		t.Errorf("training with suggestions to review: %v", err)
	}

	// One suggestion edited, offline: kept here, unsent, training held.
	be.SetDown(true)
	edited := "a photo of {trigger} person in a red coat"
	it, err := a.Dataset.SetCaption(items[1].ID, edited)
	if err != nil || it.CaptionSent || it.CaptionSource != studio.CaptionUser {
		t.Fatalf("an edit offline: %+v, %v; want it kept here, unsent", it, err)
	}
	if _, err := a.Dataset.UseCaptions(); err == nil || !strings.Contains(err.Error(), "saved on this computer") {
		t.Errorf("use captions offline: %v, want it to say they are kept here", err)
	}
	st, _ = a.Dataset.Captions()
	if st.Suggested != 0 || st.Unsent != len(items)-1 || st.Ready.Allowed {
		t.Errorf("after accepting offline: %+v; want nothing to review, %d unsent, training held", st, len(items)-1)
	}
	be.SetDown(false)
	if st, err = a.Dataset.UseCaptions(); err != nil || st.Unsent != 0 || !st.Ready.Allowed {
		t.Fatalf("use captions online: %+v, %v", st, err)
	}
	srv = server()
	for _, it := range items {
		p := srv[it.Name]
		want := it.Caption
		if it.ID == items[1].ID {
			want = edited
		}
		if p.Caption != want || p.CaptionSource != studio.CaptionUser {
			t.Errorf("server %s: %q (%s), want %q (user)", it.Name, p.Caption, p.CaptionSource, want)
		}
	}
	if srv[""].Caption != localHash() {
		t.Errorf("after the review: server hash %s, local %s", srv[""].Caption, localHash())
	}
	if g, _ := a.Dataset.Dataset(); !g.Training.Allowed {
		t.Errorf("gate after the review: %+v", g.Training)
	}
}
