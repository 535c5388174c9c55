package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func runValidateCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), &cli{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}, args)
	return code, out.String(), errb.String()
}

// copyPerson copies the webcam set of internal/dataset/testdata into a new
// folder, plus extra files from testdata under new names.
func copyPerson(t *testing.T, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	src := "../../internal/dataset/testdata/"
	files, _ := filepath.Glob(src + "person/*.jpg")
	if len(files) != 24 {
		t.Fatalf("got %d webcam frames, want 24", len(files))
	}
	for name, from := range extra {
		files = append(files, src+from+"\x00"+name)
	}
	for _, f := range files {
		from, name := f, filepath.Base(f)
		if i := bytes.IndexByte([]byte(f), 0); i >= 0 {
			from, name = f[:i], f[i+1:]
		}
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type validateReport struct {
	OK         bool   `json:"ok"`
	ImageCount int    `json:"image_count"`
	Hash       string `json:"dataset_hash"`
	Errors     []struct {
		Code  string   `json:"code"`
		Files []string `json:"files"`
	} `json:"errors"`
	Warnings []struct {
		Code string `json:"code"`
	} `json:"warnings"`
	Items []struct {
		File    string          `json:"file"`
		FaceBox json.RawMessage `json:"face_box"`
		Issues  []struct {
			Code, Severity string
		} `json:"issues"`
	} `json:"items"`
	Variety map[string]any `json:"variety"`
}

func TestValidateCLI(t *testing.T) {
	passing := copyPerson(t, nil)
	mixed := copyPerson(t, map[string]string{
		"dup_of_cap12_01.jpg": "person/cap12_01.jpg",
		"rocket.jpg":          "photos/skimage_rocket.jpg",
		"bomb.jpg":            "hostile/jpeg_bomb_65173x65408.jpg",
	})
	tests := []struct {
		name      string
		args      []string
		wantCode  int
		wantOK    bool
		wantError []string // finding codes that must be among the errors
	}{
		{"webcam set passes at 300", []string{"validate", "--json", "--min-resolution", "300", passing}, exitOK, true, nil},
		{"flags after the folder", []string{"validate", passing, "--min-resolution", "300", "--json"}, exitOK, true, nil},
		{"default minimum fails it", []string{"validate", "--json", passing}, exitFail, false, []string{"resolution_too_low"}},
		{"mixed-in problems flagged", []string{"validate", "--json", "--min-resolution", "300", "--base-model", "sdxl", mixed}, exitFail, false,
			[]string{"duplicate", "no_face", "too_many_pixels"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runValidateCLI(t, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("got exit %d, want %d (stderr %s)", code, tt.wantCode, errs)
			}
			if errs != "" {
				t.Errorf("got stderr %q, want nothing when stderr is not a terminal", errs)
			}
			var r validateReport
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("stdout is not the JSON report: %v\n%s", err, out)
			}
			if r.OK != tt.wantOK || len(r.Items) == 0 || r.Hash == "" || r.Variety == nil {
				t.Errorf("got ok=%v items=%d hash=%q, want ok=%v and a full report", r.OK, len(r.Items), r.Hash, tt.wantOK)
			}
			var codes []string
			for _, e := range r.Errors {
				codes = append(codes, e.Code)
			}
			for _, c := range tt.wantError {
				if !slices.Contains(codes, c) {
					t.Errorf("errors %v lack %s", codes, c)
				}
			}
		})
	}
}

func TestValidateCLIUsage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no folder", []string{"validate"}, exitUsage},
		{"two folders", []string{"validate", dir, dir}, exitUsage},
		{"missing folder", []string{"validate", filepath.Join(dir, "nope")}, exitUsage},
		{"bad flag", []string{"validate", "--frobnicate", dir}, exitUsage},
		{"bad resolution", []string{"validate", "--min-resolution", "0", dir}, exitUsage},
		{"platform is not a base model", []string{"validate", "--base-model", "sora-2", dir}, exitUsage},
		{"help", []string{"validate", "--help"}, exitOK},
		{"empty folder fails", []string{"validate", dir}, exitFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _, errs := runValidateCLI(t, tt.args...); code != tt.want {
				t.Errorf("got exit %d, want %d (stderr %s)", code, tt.want, errs)
			}
		})
	}
}

func TestValidateCLIText(t *testing.T) {
	code, out, _ := runValidateCLI(t, "validate", copyPerson(t, nil))
	if code != exitFail || !bytes.Contains([]byte(out), []byte("FAIL")) || !bytes.Contains([]byte(out), []byte("resolution_too_low")) {
		t.Errorf("got exit %d and %q, want a FAIL summary naming resolution_too_low", code, out)
	}
}

// A symbolic link in the folder is not followed, and validate says so on
// stderr (it used to skip it without a word); the JSON on stdout stays the
// report alone.
func TestValidateCLISaysWhatItSkips(t *testing.T) {
	dir := copyPerson(t, nil)
	outside := filepath.Join(t.TempDir(), "elsewhere.jpg")
	b, err := os.ReadFile(filepath.Join(dir, "cap12_01.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(outside, b, 0o644)
	if err := os.Symlink(outside, filepath.Join(dir, "linked.jpg")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	code, out, errs := runValidateCLI(t, "validate", "--json", "--min-resolution", "300", dir)
	if code != exitOK {
		t.Fatalf("got exit %d, want %d (stderr %s)", code, exitOK, errs)
	}
	if want := "lorastudio validate: skipped linked.jpg: it is a symbolic link"; !strings.Contains(errs, want) || !strings.Contains(errs, "copy the photo itself") {
		t.Errorf("got stderr %q, want %q and what to do", errs, want)
	}
	var r validateReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, out)
	}
	if r.ImageCount != 24 {
		t.Errorf("got %d images, want the 24 files without the link", r.ImageCount)
	}
}
