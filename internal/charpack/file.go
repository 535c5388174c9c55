package charpack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"

	"github.com/promptforge/lorastudio/internal/compiler"
	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/studio"
)

// WriteFile writes the pack beside path and renames it into place, so a
// failed export never leaves half a zip under the user's name. It returns
// the zip's sha256 (hex), the same for the same inputs.
func WriteFile(ctx context.Context, path string, in Input) (*Pack, compiler.Result, string, error) {
	fail := func(err error) (*Pack, compiler.Result, string, error) { return nil, compiler.Result{}, "", err }
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fail(studio.Errorf(studio.EInvalid, "%s is a folder; name the zip to write", path))
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".lorastudio-pack-*")
	if err != nil {
		return fail(studio.Wrap(err, studio.EUnavailable, "cannot write in "+filepath.Dir(path)))
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	h := sha256.New()
	pack, res, err := Write(ctx, io.MultiWriter(tmp, h), in)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fail(err)
	}
	return pack, res, hex.EncodeToString(h.Sum(nil)), nil
}

// Candidates maps the dataset engine's per-photo results to reference
// candidates; pathOf gives the file on disk of a report item's name.
func Candidates(r *dataset.Report, pathOf func(file string) string) []compiler.Candidate {
	out := make([]compiler.Candidate, 0, len(r.Items))
	for _, it := range r.Items {
		c := compiler.Candidate{
			Path: pathOf(it.File), SHA256: it.SHA256, Sharpness: it.Blur,
			Pose: it.Pose, Faces: it.Faces, Width: it.Width, Height: it.Height,
		}
		for _, is := range it.Issues {
			if is.Severity == dataset.SeverityError {
				c.HasError = true
			}
		}
		out = append(out, c)
	}
	return out
}

// DatasetEncoder re-encodes a reference with the dataset engine, the same
// decoder that validated it (libjpeg-turbo at a reduced DCT scale in cgo
// builds), with orientation applied and no metadata. It fits Input.Encode.
func DatasetEncoder(ctx context.Context, path string, maxSide int, w io.Writer) error {
	src := dataset.Source{Name: filepath.Base(path), Open: func() (io.ReadCloser, error) { return os.Open(path) }}
	return dataset.Thumbnail(ctx, src, w, maxSide)
}
