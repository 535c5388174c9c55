package app_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/promptforge/lorastudio/app"
	"github.com/promptforge/lorastudio/internal/consent"
)

const person = "../internal/dataset/testdata/person"

func TestImportValidateAndRestart(t *testing.T) {
	dir := t.TempDir()
	a, rt := newApp(t, dir)
	if _, err := a.Consent.GiveConsent(consent.Current.Version, true); err != nil {
		t.Fatal(err)
	}

	// A folder of 24 photos and, again, one of its files: nothing twice.
	one := filepath.Join(person, "cap12_01.jpg")
	res, err := a.Dataset.ImportFiles([]string{person, one, filepath.Join(dir, "gone.jpg")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 24 || len(res.Skipped) != 1 || len(res.Failed) != 1 {
		t.Fatalf("import: %d added, %d skipped, %d failed; want 24, 1, 1", len(res.Added), len(res.Skipped), len(res.Failed))
	}
	if n := countEvents(rt, app.EventImportProgress); n != 25 {
		t.Errorf("got %d import progress events, want one per file (25)", n)
	}
	items, err := a.Dataset.DatasetItems()
	if err != nil || len(items) != 24 {
		t.Fatalf("items: %d, %v; want 24", len(items), err)
	}
	for _, it := range items {
		if _, err := os.Stat(it.LocalPath); err != nil || filepath.Dir(filepath.Dir(filepath.Dir(it.LocalPath))) != filepath.Join(dir, "datasets") {
			t.Errorf("%s: copy %s not under the data folder (%v)", it.Name, it.LocalPath, err)
		}
		if it.State != "imported" {
			t.Errorf("%s: state %s before validation", it.Name, it.State)
		}
	}

	rep, err := a.Dataset.ValidateDataset(app.ValidateOptions{MinResolution: 256})
	if err != nil {
		t.Fatal(err)
	}
	if rep.ImageCount != 24 || countEvents(rt, app.EventValidateProgress) != 24 {
		t.Errorf("report of %d images with %d progress events, want 24 and 24", rep.ImageCount, countEvents(rt, app.EventValidateProgress))
	}
	items, _ = a.Dataset.DatasetItems()
	states := map[string]int{}
	for _, it := range items {
		states[it.State]++
	}
	if states["imported"] != 0 || states["ok"]+states["warning"]+states["error"] != 24 {
		t.Errorf("states after validation: %v", states)
	}

	// Remove a photo: its copy goes, the original stays.
	var victim = items[0]
	if err := a.Dataset.RemoveItem(victim.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(victim.LocalPath); !os.IsNotExist(err) {
		t.Errorf("the removed photo's copy is still there: %v", err)
	}
	if _, err := os.Stat(victim.OriginalPath); err != nil {
		t.Errorf("the original was touched: %v", err)
	}

	// A restart shows the same photos; importing the folder again (as after
	// a crash half-way) adds only the removed one back.
	app.Shutdown(a)(t.Context())
	b, _ := newApp(t, dir)
	after, err := b.Dataset.DatasetItems()
	if err != nil || len(after) != 23 {
		t.Fatalf("after restart: %d items, %v; want 23", len(after), err)
	}
	res, err = b.Dataset.ImportFiles([]string{person})
	if err != nil || len(res.Added) != 1 || len(res.Skipped) != 23 {
		t.Fatalf("re-import: %+v, %v; want 1 added, 23 skipped", res, err)
	}
	if !slices.ContainsFunc(res.Added, func(p string) bool { return filepath.Base(p) == victim.Name }) {
		t.Errorf("re-import added %v, want %s", res.Added, victim.Name)
	}
}

func countEvents(rt *fakeRuntime, name string) int {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	n := 0
	for _, e := range rt.events {
		if e == name {
			n++
		}
	}
	return n
}

func TestDatasetStateAndThumbnails(t *testing.T) {
	a, _ := newApp(t, t.TempDir())
	st, err := a.Dataset.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	if st.Training.Allowed || st.Training.Reason != "Give consent first." {
		t.Errorf("gate without consent: %+v", st.Training)
	}
	a.Consent.GiveConsent(consent.Current.Version, true)
	a.Dataset.ImportFiles([]string{person})
	st, _ = a.Dataset.Dataset()
	if len(st.Items) != 24 || st.Status != "draft" || st.Report != nil || st.Training.Reason != "Validate the dataset first." {
		t.Errorf("after import: %d items, status %s, report %s, gate %+v", len(st.Items), st.Status, st.Report, st.Training)
	}
	a.Dataset.ValidateDataset(app.ValidateOptions{MinResolution: 256})
	st, _ = a.Dataset.Dataset()
	if st.Status != "validated" && st.Status != "rejected" || st.Report == nil || st.Training.Allowed {
		t.Errorf("after validation: status %s, report %d bytes, gate %+v", st.Status, len(st.Report), st.Training)
	}

	h := app.FileHandler(a)
	tests := []struct {
		path string
		code int
	}{
		{st.Items[0].ThumbURL, 200},
		{"/thumbs/" + st.DatasetID + "/../../lorastudio.db", 404},
		{"/thumbs/" + st.DatasetID + "/nothere.jpg", 404},
		{"/logs/desktop.log", 404},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
		if rec.Code != tt.code {
			t.Errorf("GET %s: got %d, want %d", tt.path, rec.Code, tt.code)
		}
		if tt.code == 200 && rec.Header().Get("Content-Type") != "image/jpeg" {
			t.Errorf("GET %s: content type %q", tt.path, rec.Header().Get("Content-Type"))
		}
	}
}
