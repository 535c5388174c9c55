package app_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/promptforge/lorastudio/app"
)

const person = "../internal/dataset/testdata/person"

func TestImportValidateAndRestart(t *testing.T) {
	dir := t.TempDir()
	a, rt := newApp(t, dir)

	// A folder of 24 photos and, again, one of its files: nothing twice.
	one := filepath.Join(person, "cap12_01.jpg")
	res, err := a.ImportFiles([]string{person, one, filepath.Join(dir, "gone.jpg")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 24 || len(res.Skipped) != 1 || len(res.Failed) != 1 {
		t.Fatalf("import: %d added, %d skipped, %d failed; want 24, 1, 1", len(res.Added), len(res.Skipped), len(res.Failed))
	}
	if n := countEvents(rt, app.EventImportProgress); n != 25 {
		t.Errorf("got %d import progress events, want one per file (25)", n)
	}
	items, err := a.DatasetItems()
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

	rep, err := a.ValidateDataset(app.ValidateOptions{MinResolution: 256})
	if err != nil {
		t.Fatal(err)
	}
	if rep.ImageCount != 24 || countEvents(rt, app.EventValidateProgress) != 24 {
		t.Errorf("report of %d images with %d progress events, want 24 and 24", rep.ImageCount, countEvents(rt, app.EventValidateProgress))
	}
	items, _ = a.DatasetItems()
	states := map[string]int{}
	for _, it := range items {
		states[it.State]++
	}
	if states["imported"] != 0 || states["ok"]+states["warning"]+states["error"] != 24 {
		t.Errorf("states after validation: %v", states)
	}

	// Remove a photo: its copy goes, the original stays.
	var victim = items[0]
	if err := a.RemoveItem(victim.ID); err != nil {
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
	after, err := b.DatasetItems()
	if err != nil || len(after) != 23 {
		t.Fatalf("after restart: %d items, %v; want 23", len(after), err)
	}
	res, err = b.ImportFiles([]string{person})
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
