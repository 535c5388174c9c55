package training_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/worker"
)

// seedPhotos makes a user with a committed, validated dataset of photos
// (stored in f.blobs) with the given captions.
func (f *fixture) seedPhotos(t *testing.T, email string, photos [][]byte, captions []string) (userID, datasetID string) {
	t.Helper()
	ctx := context.Background()
	u, err := f.store.CreateUser(ctx, email, "x")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := training.NewClient(f.store.Pool(), &training.Dispatcher{}, training.ClientConfig{}) // insert-only
	if err != nil {
		t.Fatal(err)
	}
	f.store.Queue = training.Queue{Client: rc}
	var decl []pgstore.Upload
	for i, p := range photos {
		decl = append(decl, pgstore.Upload{Name: fmt.Sprintf("p%d.jpg", i), Size: int64(len(p)), ContentType: "image/jpeg", SHA256: shaHex(p), Caption: captions[i]})
	}
	d, ups, err := f.store.NewDataset(ctx, u.ID, "me", decl, func(id string, up pgstore.Upload) string {
		return pgstore.KeyPrefix(u.ID) + "datasets/" + id + "/" + up.SHA256 + ".jpg"
	}, pgstore.Quota{})
	if err != nil {
		t.Fatal(err)
	}
	for i, up := range ups {
		r, err := f.blobs.PresignPut(ctx, blob.Object{Key: up.Key, Size: up.Size, ContentType: up.ContentType, SHA256: up.SHA256}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := blob.NewHTTPRequest(ctx, r, bytes.NewReader(photos[i]))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("put photo: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	if err := f.store.CommitItems(ctx, d.ID, ups); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.SaveValidation(ctx, u.ID, d.ID, []byte(`{"ok":true}`), len(photos), true, nil); err != nil {
		t.Fatal(err)
	}
	return u.ID, d.ID
}

// referenceWorker runs the reference worker with captioner (none when
// nil) and returns the provider that reaches it.
func referenceWorker(t *testing.T, captioner []string, env ...string) *training.SelfHosted {
	t.Helper()
	dsec, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	wsec, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	w, err := worker.New(worker.Config{DispatchSecrets: [][]byte{dsec}, WebhookSecret: wsec, Trainer: []string{"true"}, WorkDir: t.TempDir(),
		Captioner: captioner, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(srv.Close)
	return &training.SelfHosted{URL: srv.URL, Secret: dsec}
}

func captionJob(userID, datasetID string, attempt int, overwrite bool) *river.Job[training.CaptionArgs] {
	return &river.Job[training.CaptionArgs]{JobRow: &rivertype.JobRow{ID: 1, Attempt: attempt, MaxAttempts: training.CaptionMaxAttempts},
		Args: training.CaptionArgs{UserID: userID, DatasetID: datasetID, Template: "a photo of {trigger} person", Overwrite: overwrite}}
}

// An auto-caption run through the reference worker and the fake
// captioner: each photo gets the template and the captioner's words,
// source auto, but the caption the user wrote; the run is done and the
// hash covers the new captions. A worker without captioner, or one that
// cannot be reached, fails the run readably (the latter after its last
// attempt only).
func TestCaptionWorker(t *testing.T) {
	fake, _ := filepath.Abs(filepath.Join("..", "..", "internal", "worker", "testdata", "fake-captioner.sh"))
	photos := [][]byte{[]byte("the first photo's bytes"), []byte("the second photo")}
	ctx := context.Background()

	t.Run("captions", func(t *testing.T) {
		f := newFixture(t)
		uid, ds := f.seedPhotos(t, "cw@example.com", photos, []string{"{trigger} mine", ""})
		if _, err := f.store.StartCaptionRun(ctx, pgstore.CaptionRequest{UserID: uid, DatasetID: ds, Template: "a photo of {trigger} person"}); err != nil {
			t.Fatal(err)
		}
		cw := &training.CaptionWorker{Store: f.store, Blobs: f.blobs, Captioner: referenceWorker(t, []string{fake})}
		if err := cw.Work(ctx, captionJob(uid, ds, 1, false)); err != nil {
			t.Fatal(err)
		}
		d, items, _ := f.store.Dataset(ctx, uid, ds)
		want := map[string]string{shaHex(photos[0]): "{trigger} mine", shaHex(photos[1]): studio.AutoCaption("a photo of {trigger} person", fakeCaption(photos[1]))}
		for _, it := range items {
			if it.Caption != want[it.SHA256] {
				t.Errorf("%s: caption %q, want %q", it.Name, it.Caption, want[it.SHA256])
			}
		}
		if d.Captioning == nil || d.Captioning.Status != studio.CaptionRunDone || d.Captioning.Captioned != 1 {
			t.Errorf("run %+v, want done with 1 captioned", d.Captioning)
		}
		var h []studio.HashItem
		for _, it := range items {
			h = append(h, studio.HashItem{SHA256: it.SHA256, Caption: it.Caption})
		}
		if d.DatasetHash != studio.DatasetHash(h) {
			t.Errorf("hash %s does not cover the captions", d.DatasetHash)
		}
	})
	for _, tc := range []struct {
		name     string
		provider func(t *testing.T) training.Captioner
		attempt  int
		status   string // the run's after Work
		canceled bool   // Work gave up for good
		errHas   string
	}{
		{"worker without captioner", func(t *testing.T) training.Captioner { return referenceWorker(t, nil) }, 1, studio.CaptionRunFailed, true, "LORASTUDIO_WORKER_CAPTIONER"},
		{"captioner fails", func(t *testing.T) training.Captioner {
			return referenceWorker(t, []string{fake}, "FAKE_CAPTIONER_FAIL=model weights not found")
		}, 1, studio.CaptionRunFailed, true, "model weights not found"},
		{"worker unreachable, retried", func(t *testing.T) training.Captioner {
			return &training.SelfHosted{URL: "http://127.0.0.1:1", Secret: []byte("s")}
		}, 1, studio.CaptionRunRunning, false, ""},
		{"storage down on the last attempt", func(t *testing.T) training.Captioner { return referenceWorker(t, []string{fake}) }, training.CaptionMaxAttempts, studio.CaptionRunFailed, true, "storage down"},
		{"worker unreachable, last attempt", func(t *testing.T) training.Captioner {
			return &training.SelfHosted{URL: "http://127.0.0.1:1", Secret: []byte("s")}
		}, training.CaptionMaxAttempts, studio.CaptionRunFailed, true, "unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			uid, ds := f.seedPhotos(t, "f@example.com", photos, []string{"", ""})
			if _, err := f.store.StartCaptionRun(ctx, pgstore.CaptionRequest{UserID: uid, DatasetID: ds, Template: "{trigger}"}); err != nil {
				t.Fatal(err)
			}
			cw := &training.CaptionWorker{Store: f.store, Blobs: f.blobs, Captioner: tc.provider(t)}
			if strings.HasPrefix(tc.name, "storage down") {
				cw.Blobs = brokenPresign{f.blobs}
			}
			err := cw.Work(ctx, captionJob(uid, ds, tc.attempt, false))
			var cancel *river.JobCancelError
			if err == nil || errors.As(err, &cancel) != tc.canceled {
				t.Fatalf("Work: %v, want an error, canceled %v", err, tc.canceled)
			}
			d, items, _ := f.store.Dataset(ctx, uid, ds)
			if d.Captioning.Status != tc.status || !strings.Contains(d.Captioning.Error, tc.errHas) {
				t.Errorf("run %+v, want %s with %q", d.Captioning, tc.status, tc.errHas)
			}
			for _, it := range items {
				if it.Caption != "" {
					t.Errorf("a failed run wrote %q", it.Caption)
				}
			}
		})
	}
}

// brokenPresign is storage that cannot presign a download.
type brokenPresign struct{ *blob.Local }

func (brokenPresign) PresignGet(context.Context, string, time.Duration) (blob.Request, error) {
	return blob.Request{}, errors.New("storage down")
}

// fakeCaption is what internal/worker/testdata/fake-captioner.sh writes for b.
func fakeCaption(b []byte) string {
	sum := sha256.Sum256(b)
	return fmt.Sprintf("a person, photo %s, %d bytes", hex.EncodeToString(sum[:])[:8], len(b))
}

type zipProvider struct{ capturing }

func (*zipProvider) NeedsZip() bool { return true }

// A dispatch carries each photo's own caption with the trigger word in
// place (the template for a photo without one), in the items and in the
// zip a hosted trainer reads.
func TestDispatchCaptions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	photos := [][]byte{[]byte("photo zero"), []byte("photo one")}
	uid, ds := f.seedPhotos(t, "dc@example.com", photos, []string{"{trigger} at the beach, {trigger} smiling", ""})
	params, _ := json.Marshal(training.Presets[studio.FluxDev])
	_, j, err := f.store.CreateJob(ctx, pgstore.NewJob{UserID: uid, DatasetID: ds, BaseModel: studio.FluxDev, Params: params, Provider: "replicate",
		DispatchKey: func(id string) string { return training.DispatchKey([]byte("k"), id) },
		ArtifactKey: func(id string) string { return training.ArtifactKey(uid, id) }})
	if err != nil {
		t.Fatal(err)
	}
	prov := &zipProvider{}
	d := &training.Dispatcher{Store: f.store, Blobs: f.blobs, Provider: prov, WebhookURL: f.srv.URL + "/api/lora/webhook"}
	if err := d.Work(ctx, &river.Job[training.DispatchArgs]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 1, MaxAttempts: 5}, Args: training.DispatchArgs{JobID: j.ID}}); err != nil {
		t.Fatal(err)
	}
	p := training.Presets[studio.FluxDev]
	want := map[string]string{shaHex(photos[0]): p.TriggerWord + " at the beach, " + p.TriggerWord + " smiling",
		shaHex(photos[1]): strings.ReplaceAll(p.CaptionTemplate, "{trigger}", p.TriggerWord)}
	got := prov.got
	if len(got.Items) != 2 {
		t.Fatalf("%d items dispatched", len(got.Items))
	}
	for _, it := range got.Items {
		if it.Caption != want[it.SHA256] {
			t.Errorf("item %s: caption %q, want %q", it.Name, it.Caption, want[it.SHA256])
		}
	}
	resp, err := http.Get(got.ImagesZip)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("get zip: %v %v", resp, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		c, _ := io.ReadAll(rc)
		rc.Close()
		files[zf.Name] = string(c)
	}
	for i, it := range got.Items { // the zip numbers the photos in the dispatch's order
		stem := fmt.Sprintf("%03d", i+1)
		if files[stem+".txt"] != it.Caption || shaHex([]byte(files[stem+".jpg"])) != it.SHA256 {
			t.Errorf("zip %s: caption %q for a photo of sha %s, want %q for %s", stem, files[stem+".txt"], shaHex([]byte(files[stem+".jpg"])), it.Caption, it.SHA256)
		}
	}
}
