package pgstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/pgtest"
	"github.com/promptforge/lorastudio/internal/studio"
)

type captionsEnv struct {
	t   *testing.T
	ctx context.Context
	s   *pgstore.Store
}

func newCaptionsEnv(t *testing.T) *captionsEnv {
	ctx := context.Background()
	s, err := pgstore.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	rc, err := training.NewClient(s.Pool(), &training.Dispatcher{}, training.ClientConfig{}) // insert-only: never started
	if err != nil {
		t.Fatal(err)
	}
	s.Queue = training.Queue{Client: rc}
	return &captionsEnv{t: t, ctx: ctx, s: s}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// dataset inits and commits a dataset of the user with one photo per
// caption, and marks it validated when validated.
func (e *captionsEnv) dataset(userID string, validated bool, captions ...string) (studio.Dataset, []studio.DatasetItem) {
	e.t.Helper()
	var decl []pgstore.Upload
	for i, c := range captions {
		decl = append(decl, pgstore.Upload{Name: fmt.Sprintf("%03d.jpg", i+1), Size: 10, ContentType: "image/jpeg", SHA256: sha(userID + fmt.Sprint(i)), Caption: c})
	}
	d, ups, err := e.s.NewDataset(e.ctx, userID, "me", decl, func(id string, u pgstore.Upload) string {
		return "users/" + userID + "/" + id + "/" + u.SHA256 + ".jpg"
	},
		pgstore.Quota{Bytes: 1 << 30, Files: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.s.CommitItems(e.ctx, d.ID, ups); err != nil {
		e.t.Fatal(err)
	}
	if validated {
		if _, err := e.s.SaveValidation(e.ctx, userID, d.ID, []byte(`{"ok":true}`), len(captions), true, nil); err != nil {
			e.t.Fatal(err)
		}
	}
	d, items, err := e.s.Dataset(e.ctx, userID, d.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return d, items
}

func (e *captionsEnv) user(email string) string {
	e.t.Helper()
	u, err := e.s.CreateUser(e.ctx, email, "hash")
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

func hashOf(items []studio.DatasetItem) string {
	var h []studio.HashItem
	for _, it := range items {
		h = append(h, studio.HashItem{SHA256: it.SHA256, Caption: it.Caption})
	}
	return studio.DatasetHash(h)
}

func code(err error) string {
	if err == nil {
		return ""
	}
	return studio.ErrorCode(err)
}

// Captions declared at datasets/init are checked before anything is
// stored, and the committed photos carry them.
func TestCaptionsAtInit(t *testing.T) {
	e := newCaptionsEnv(t)
	uid := e.user("init@example.com")
	_, _, err := e.s.NewDataset(e.ctx, uid, "me", []pgstore.Upload{
		{Name: "ok.jpg", Size: 1, ContentType: "image/jpeg", SHA256: sha("1"), Caption: "{trigger} smiling"},
		{Name: "bad.jpg", Size: 1, ContentType: "image/jpeg", SHA256: sha("2"), Caption: "a photo of a person"},
	}, func(id string, u pgstore.Upload) string { return id + u.SHA256 }, pgstore.Quota{})
	if code(err) != studio.EInvalidCaption {
		t.Fatalf("a caption without {trigger}: %v, want %s", err, studio.EInvalidCaption)
	}
	if ds, _ := e.s.Datasets(e.ctx, uid); len(ds) != 0 {
		t.Fatalf("a refused init stored %d datasets", len(ds))
	}
	d, items := e.dataset(uid, true, "a photo of {trigger} person, red scarf", "")
	if d.DatasetHash != hashOf(items) || d.DatasetHash == studio.DatasetHash([]studio.HashItem{{SHA256: items[0].SHA256}, {SHA256: items[1].SHA256}}) {
		t.Errorf("validated hash %s does not cover the caption given at init", d.DatasetHash)
	}
	want := []struct{ caption, source string }{{"a photo of {trigger} person, red scarf", studio.CaptionUser}, {"", studio.CaptionTemplate}}
	for i, it := range items {
		if it.Caption != want[i].caption || it.CaptionSource != want[i].source {
			t.Errorf("item %s: caption %q (%s), want %q (%s)", it.Name, it.Caption, it.CaptionSource, want[i].caption, want[i].source)
		}
	}
}

// SetCaptions changes the hash the dataset is known by, refuses photos and
// datasets that are not the user's, and waits for no run: it refuses
// while one is unfinished.
func TestSetCaptions(t *testing.T) {
	e := newCaptionsEnv(t)
	uid, other := e.user("a@example.com"), e.user("b@example.com")
	d, items := e.dataset(uid, true, "", "")
	_, theirs := e.dataset(other, true, "")
	before := d.DatasetHash
	if before != hashOf(items) {
		t.Errorf("validated hash %s, want %s over the photos and captions", before, hashOf(items))
	}
	d2, items2, err := e.s.SetCaptions(e.ctx, uid, d.ID, []pgstore.CaptionEdit{{PhotoID: items[0].ID, Caption: "{trigger} laughing"}})
	if err != nil {
		t.Fatal(err)
	}
	if d2.DatasetHash == before || d2.DatasetHash != hashOf(items2) {
		t.Errorf("hash %s after the edit (before %s), want %s", d2.DatasetHash, before, hashOf(items2))
	}
	if items2[0].Caption != "{trigger} laughing" || items2[0].CaptionSource != studio.CaptionUser {
		t.Errorf("edited photo: %q (%s)", items2[0].Caption, items2[0].CaptionSource)
	}
	d3, items3, err := e.s.SetCaptions(e.ctx, uid, d.ID, []pgstore.CaptionEdit{{PhotoID: items[0].ID, Caption: ""}})
	if err != nil {
		t.Fatal(err)
	}
	if d3.DatasetHash != before || items3[0].CaptionSource != studio.CaptionTemplate {
		t.Errorf("emptied: hash %s (want the first, %s), source %s", d3.DatasetHash, before, items3[0].CaptionSource)
	}
	for _, tc := range []struct {
		name, user, dataset, photo, caption, code string
	}{
		{"another user's dataset", other, d.ID, items[0].ID, "{trigger}", studio.ENotFound},
		{"a photo of another dataset", uid, d.ID, theirs[0].ID, "{trigger}", studio.ENotFound},
		{"not a uuid", uid, d.ID, "nope", "{trigger}", studio.ENotFound},
		{"invalid caption", uid, d.ID, items[0].ID, "no placeholder", studio.EInvalidCaption},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.s.SetCaptions(e.ctx, tc.user, tc.dataset, []pgstore.CaptionEdit{{PhotoID: tc.photo, Caption: tc.caption}})
			if code(err) != tc.code {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
		})
	}
	if _, theirs2, _ := e.s.Dataset(e.ctx, other, theirs[0].DatasetID); theirs2[0].Caption != "" {
		t.Errorf("another user's photo was captioned: %q", theirs2[0].Caption)
	}

	// A run queued, then running: edits and new jobs wait for it.
	run, err := e.s.StartCaptionRun(e.ctx, pgstore.CaptionRequest{UserID: uid, DatasetID: d.ID, Template: "a photo of {trigger} person"})
	if err != nil || run.Status != studio.CaptionRunQueued {
		t.Fatalf("start: %+v %v", run, err)
	}
	if _, err := e.s.StartCaptionRun(e.ctx, pgstore.CaptionRequest{UserID: uid, DatasetID: d.ID, Template: "{trigger}"}); code(err) != studio.ECaptioningInProgress {
		t.Errorf("a second run: %v, want %s", err, studio.ECaptioningInProgress)
	}
	if _, ok, err := e.s.BeginCaptionRun(e.ctx, uid, d.ID); !ok || err != nil {
		t.Fatalf("begin: %v %v", ok, err)
	}
	if _, _, err := e.s.SetCaptions(e.ctx, uid, d.ID, []pgstore.CaptionEdit{{PhotoID: items[1].ID, Caption: "{trigger}"}}); code(err) != studio.ECaptioningInProgress {
		t.Errorf("an edit during the run: %v, want %s", err, studio.ECaptioningInProgress)
	}
	if _, _, err := e.s.CreateJob(e.ctx, newJob(uid, d.ID)); code(err) != studio.ECaptioningInProgress {
		t.Errorf("a job during the run: %v, want %s", err, studio.ECaptioningInProgress)
	}
	if err := e.s.FailCaptionRun(e.ctx, d.ID, "no GPU"); err != nil {
		t.Fatal(err)
	}
	got, _, _ := e.s.Dataset(e.ctx, uid, d.ID)
	if got.Captioning == nil || got.Captioning.Status != studio.CaptionRunFailed || got.Captioning.Error != "no GPU" || got.Captioning.FinishedAt == nil {
		t.Fatalf("after failing: %+v", got.Captioning)
	}
	if _, _, err := e.s.SetCaptions(e.ctx, uid, d.ID, []pgstore.CaptionEdit{{PhotoID: items[1].ID, Caption: "{trigger}"}}); err != nil {
		t.Errorf("an edit after the run: %v", err)
	}
}

func newJob(uid, datasetID string) pgstore.NewJob {
	return pgstore.NewJob{UserID: uid, DatasetID: datasetID, BaseModel: "flux-dev", Params: []byte(`{}`), Provider: "test",
		DispatchKey: func(id string) string { return "dk_" + id }, ArtifactKey: func(id string) string { return "a/" + id }}
}

// A finished run writes auto captions, leaving the user's own alone
// unless told to overwrite them, and rehashes the dataset.
func TestFinishCaptionRun(t *testing.T) {
	e := newCaptionsEnv(t)
	uid := e.user("run@example.com")
	for _, overwrite := range []bool{false, true} {
		t.Run(fmt.Sprint("overwrite=", overwrite), func(t *testing.T) {
			d, items := e.dataset(uid, true, "{trigger} mine", "")
			if _, err := e.s.StartCaptionRun(e.ctx, pgstore.CaptionRequest{UserID: uid, DatasetID: d.ID, Template: "{trigger}", Overwrite: overwrite}); err != nil {
				t.Fatal(err)
			}
			if _, n, _ := e.s.FinishCaptionRun(e.ctx, d.ID, map[string]string{items[0].ID: "x {trigger}"}, overwrite); n {
				t.Fatal("a queued run that never began was finished")
			}
			e.s.BeginCaptionRun(e.ctx, uid, d.ID)
			n, done, err := e.s.FinishCaptionRun(e.ctx, d.ID, map[string]string{items[0].ID: "{trigger}, auto one", items[1].ID: "{trigger}, auto two"}, overwrite)
			if err != nil || !done {
				t.Fatal(done, err)
			}
			got, after, _ := e.s.Dataset(e.ctx, uid, d.ID)
			want0, src0, wantN := "{trigger} mine", studio.CaptionUser, 1
			if overwrite {
				want0, src0, wantN = "{trigger}, auto one", studio.CaptionAuto, 2
			}
			if after[0].Caption != want0 || after[0].CaptionSource != src0 || after[1].Caption != "{trigger}, auto two" || after[1].CaptionSource != studio.CaptionAuto {
				t.Errorf("captions after the run: %+v", after)
			}
			if n != wantN || got.Captioning.Status != studio.CaptionRunDone || got.Captioning.Captioned != wantN || got.DatasetHash != hashOf(after) {
				t.Errorf("run %+v, n %d, hash %s want %s", got.Captioning, n, got.DatasetHash, hashOf(after))
			}
		})
	}
}

// A version keeps the captions its job was created with: later edits
// change the dataset, not what the version was trained on.
func TestVersionKeepsItsCaptions(t *testing.T) {
	e := newCaptionsEnv(t)
	uid := e.user("snap@example.com")
	d, items := e.dataset(uid, true, "{trigger} at the beach", "")
	v, j, err := e.s.CreateJob(e.ctx, newJob(uid, d.ID))
	if err != nil {
		t.Fatal(err)
	}
	if v.DatasetHash != hashOf(items) {
		t.Errorf("version hash %s, want the captions' %s", v.DatasetHash, hashOf(items))
	}
	if _, _, err := e.s.SetCaptions(e.ctx, uid, d.ID, []pgstore.CaptionEdit{{PhotoID: items[0].ID, Caption: "{trigger} edited later"}, {PhotoID: items[1].ID, Caption: "{trigger} new"}}); err != nil {
		t.Fatal(err)
	}
	dj, err := e.s.JobForDispatch(e.ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if dj.Items[0].Caption != "{trigger} at the beach" || dj.Items[1].Caption != "" {
		t.Errorf("dispatched captions %q, %q; want the version's", dj.Items[0].Caption, dj.Items[1].Caption)
	}
	if dj.Version.DatasetHash != v.DatasetHash {
		t.Errorf("version hash changed to %s", dj.Version.DatasetHash)
	}
}

// A run lost without a word (its River job discarded: the replica died on
// its last attempt) shows as failed once stale, and no longer refuses
// edits, jobs and a new run.
func TestLostCaptionRun(t *testing.T) {
	e := newCaptionsEnv(t)
	uid := e.user("lost@example.com")
	d, items := e.dataset(uid, true, "")
	if _, err := e.s.StartCaptionRun(e.ctx, pgstore.CaptionRequest{UserID: uid, DatasetID: d.ID, Template: "{trigger}"}); err != nil {
		t.Fatal(err)
	}
	e.s.BeginCaptionRun(e.ctx, uid, d.ID)
	edit := []pgstore.CaptionEdit{{PhotoID: items[0].ID, Caption: "{trigger} again"}}
	for _, later := range []time.Duration{time.Hour, pgstore.CaptionRunStale + time.Minute} {
		e.s.Now = func() time.Time { return time.Now().Add(later) }
		got, _, _ := e.s.Dataset(e.ctx, uid, d.ID)
		_, _, editErr := e.s.SetCaptions(e.ctx, uid, d.ID, edit)
		_, _, jobErr := e.s.CreateJob(e.ctx, newJob(uid, d.ID))
		stale := later > pgstore.CaptionRunStale
		if stale != (got.Captioning.Status == studio.CaptionRunFailed) || stale != (editErr == nil) || stale != (jobErr == nil) {
			t.Errorf("%s after the request: run %+v, edit %v, job %v; want in progress %v", later, got.Captioning, editErr, jobErr, !stale)
		}
	}
	if _, err := e.s.StartCaptionRun(e.ctx, pgstore.CaptionRequest{UserID: uid, DatasetID: d.ID, Template: "{trigger}"}); err != nil {
		t.Errorf("a new run after a lost one: %v", err)
	}
}
