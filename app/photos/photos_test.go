package photos_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/app/photos"
	"github.com/promptforge/lorastudio/internal/studio"
)

const face = "../../internal/dataset/testdata/person/cap12_01.jpg"

func sum(t *testing.T, path string) (string, int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), int64(len(b))
}

func TestCopyAndThumbnail(t *testing.T) {
	tmp := t.TempDir()
	upper := filepath.Join(tmp, "Face.JPG") // the extension is kept, lower-cased
	b, err := os.ReadFile(face)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(upper, b, 0o600); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(tmp, "notes.jpg")
	if err := os.WriteFile(text, []byte("not a photo"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(tmp, "big.jpg")
	if err := os.WriteFile(big, make([]byte, 2<<20+1), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		path     string
		wantCode string // of Copy; "" for a copy
		wantExt  string
		thumb    bool // the engine can read it
	}{
		{"a photo", face, "", ".jpg", true},
		{"the same photo again", face, "", ".jpg", true},
		{"the same bytes under another name", upper, "", ".jpg", true},
		{"not a photo", text, "", ".jpg", false},
		{"missing", filepath.Join(tmp, "gone.jpg"), studio.EUnreadable, "", false},
		{"over the limit", big, studio.EFileTooLarge, "", false},
	}
	dir, err := photos.Open(filepath.Join(tmp, "datasets", "d1"))
	if err != nil {
		t.Fatal(err)
	}
	dir.MaxBytes = 2 << 20
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := dir.Copy(tt.path)
			if tt.wantCode != "" {
				if got := studio.ErrorCode(err); got != tt.wantCode {
					t.Fatalf("got code %q (%v), want %q", got, err, tt.wantCode)
				}
				for _, n := range entries(t, dir.Dir, "photos") {
					if strings.HasPrefix(n, ".") {
						t.Errorf("a temporary file was left behind: %s", n)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantSum, wantSize := sum(t, tt.path)
			if p.SHA256 != wantSum || p.Size != wantSize {
				t.Errorf("got sha256 %s, %d bytes; want %s, %d", p.SHA256, p.Size, wantSum, wantSize)
			}
			if want := filepath.Join(dir.Dir, "photos", wantSum+tt.wantExt); p.Path != want {
				t.Errorf("got copy at %s, want %s", p.Path, want)
			}
			if got, _ := sum(t, p.Path); got != wantSum {
				t.Errorf("the copy's sha256 is %s, want %s", got, wantSum)
			}
			err = dir.Thumbnail(t.Context(), p)
			_, statErr := os.Stat(dir.ThumbPath(p.SHA256))
			if tt.thumb && (err != nil || statErr != nil) {
				t.Errorf("no thumbnail: %v, %v", err, statErr)
			}
			if !tt.thumb && (err == nil || statErr == nil) {
				t.Errorf("got a thumbnail of a file the engine cannot read (err %v)", err)
			}
		})
	}
	// Three names under the limit, two contents: two copies, one thumbnail
	// (the text has none), and no temporary files.
	if got := entries(t, dir.Dir, "photos"); len(got) != 2 {
		t.Errorf("got copies %v, want 2", got)
	}
	if got := entries(t, dir.Dir, "thumbs"); len(got) != 1 {
		t.Errorf("got thumbnails %v, want 1", got)
	}
	if b2, err := os.ReadFile(face); err != nil || !slices.Equal(b, b2) {
		t.Errorf("the original changed (%v)", err)
	}
}

// entries lists the names in dir/sub.
func entries(t *testing.T, dir, sub string) []string {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(dir, sub))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestExpand(t *testing.T) {
	drop := filepath.Join("testdata", "drop")
	gone := filepath.Join("testdata", "gone")
	tests := []struct {
		name      string
		paths     []string
		wantFiles []string
		wantFail  []string
	}{
		{"a folder: its visible files, in name order, not its subfolders", []string{drop},
			[]string{filepath.Join(drop, "a.png"), filepath.Join(drop, "b.jpg")}, nil},
		{"a file is itself, hidden or not", []string{filepath.Join(drop, ".hidden.jpg")},
			[]string{filepath.Join(drop, ".hidden.jpg")}, nil},
		{"a missing path fails, the rest goes on", []string{gone, filepath.Join(drop, "sub")},
			[]string{filepath.Join(drop, "sub", "c.jpg")}, []string{gone}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, failed := photos.Expand(tt.paths)
			if !slices.Equal(files, tt.wantFiles) {
				t.Errorf("got files %v, want %v", files, tt.wantFiles)
			}
			var fails []string
			for _, f := range failed {
				if f.Reason == "" {
					t.Errorf("%s failed without a reason", f.Path)
				}
				fails = append(fails, f.Path)
			}
			if !slices.Equal(fails, tt.wantFail) {
				t.Errorf("got failed %v, want %v", fails, tt.wantFail)
			}
		})
	}
}
