package charpack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/promptforge/lorastudio/internal/compiler"
	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/studio"
)

// CheckDestination says, in words, why a pack cannot be written at path:
// a name that is not a .zip, a folder, an existing file (unless replace),
// a folder that does not exist or is not writable. It writes nothing that
// stays: writability is tried with a temporary file, removed at once.
// Returns EInvalid, EConflict ("already exists"), ENotFound or
// EUnavailable.
func CheckDestination(path string, replace bool) error {
	if !strings.EqualFold(filepath.Ext(path), ".zip") {
		return studio.Errorf(studio.EInvalid, "%s does not end in .zip: name the pack FILE.zip", path)
	}
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return studio.Errorf(studio.EInvalid, "%s is a folder; name the zip to write", path)
		}
		if !replace {
			return studio.Errorf(studio.EConflict, "%s already exists; choose another name, or pass --force to replace it", path)
		}
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".lorastudio-pack-*")
	if err != nil {
		return folderError(dir, err)
	}
	tmp.Close()
	os.Remove(tmp.Name())
	return nil
}

// folderError says in words why nothing can be written in dir.
func folderError(dir string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return studio.Wrap(err, studio.ENotFound, "the folder "+dir+" does not exist; create it or choose another")
	case errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS):
		return studio.Wrap(err, studio.EUnavailable, "the folder "+dir+" is not writable; choose another, or change its permissions")
	case errors.Is(err, syscall.ENOSPC):
		return studio.Wrap(err, studio.EUnavailable, "the disk holding "+dir+" is full; free some space or choose another folder")
	}
	return studio.Wrap(err, studio.EUnavailable, "cannot write in the folder "+dir+"; choose another")
}

// WriteFile writes the pack beside path and moves it into place, so a
// failed export never leaves half a zip under the user's name. Without
// replace it never overwrites a file, even one that appeared meanwhile.
// It returns the zip's sha256 (hex), the same for the same inputs.
// Returns CheckDestination's errors and Build's.
func WriteFile(ctx context.Context, path string, in Input, replace bool) (*Pack, compiler.Result, string, error) {
	fail := func(err error) (*Pack, compiler.Result, string, error) { return nil, compiler.Result{}, "", err }
	if err := CheckDestination(path, replace); err != nil {
		return fail(err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".lorastudio-pack-*")
	if err != nil {
		return fail(folderError(filepath.Dir(path), err))
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
	if err != nil {
		return fail(err)
	}
	if replace {
		err = os.Rename(tmp.Name(), path)
	} else if err = os.Link(tmp.Name(), path); err != nil {
		// A hard link fails rather than replace: nothing is overwritten. A
		// file system without hard links (FAT) gets a check, then a rename.
		if _, serr := os.Stat(path); errors.Is(err, fs.ErrExist) || serr == nil {
			err = studio.Errorf(studio.EConflict, "%s already exists; choose another name, or pass --force to replace it", path)
		} else {
			err = os.Rename(tmp.Name(), path)
		}
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
		if b := it.FaceBox; b != nil {
			c.FaceBox = &compiler.Box{X: b.X, Y: b.Y, W: b.W, H: b.H}
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
