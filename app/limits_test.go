package app_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/internal/consent"
	"github.com/promptforge/lorastudio/internal/studio"
)

// TestImportMaxPhotoBytes: the desktop imports no photo the server would
// refuse for its size: one byte over studio.MaxPhotoBytes fails as too
// large, one of exactly MaxPhotoBytes is not refused for its size.
func TestImportMaxPhotoBytes(t *testing.T) {
	dir := t.TempDir()
	a, _ := newApp(t, dir)
	if _, err := a.Consent.GiveConsent(consent.Current.Version, true); err != nil {
		t.Fatal(err)
	}
	tooBig := fmt.Sprintf("over %d MiB", studio.MaxPhotoBytes>>20)
	for _, tt := range []struct {
		size    int64
		refused bool
	}{{studio.MaxPhotoBytes + 1, true}, {studio.MaxPhotoBytes, false}} {
		p := filepath.Join(t.TempDir(), fmt.Sprintf("%d.jpg", tt.size))
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(tt.size); err != nil { // sparse: no 64 MiB written
			t.Fatal(err)
		}
		f.Close()
		res, err := a.Dataset.ImportFiles([]string{p})
		if err != nil {
			t.Fatal(err)
		}
		var got bool
		for _, fl := range res.Failed {
			got = got || strings.Contains(fl.Reason, tooBig)
		}
		if got != tt.refused {
			t.Errorf("%d bytes: refused as too large %v, want %v (%+v)", tt.size, got, tt.refused, res)
		}
	}
}
