// Package photos keeps the desktop app's copies of the user's photos in the
// data folder: each under its content hash, beside its thumbnail. The
// originals are only ever read.
package photos

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/studio"
)

// ThumbSide is the longest side of a thumbnail, in pixels.
const ThumbSide = 256

// Folder is one dataset's folder of copies: Dir/photos holds the copies,
// named by their sha256 and the original's extension, and Dir/thumbs their
// JPEG thumbnails, named by the same sha256.
type Folder struct {
	Dir      string
	MaxBytes int64 // 0 means studio.MaxPhotoBytes
}

// Open returns the folder at dir, creating its subfolders (owner-only: they
// hold face photos).
func Open(dir string) (Folder, error) {
	for _, sub := range []string{"photos", "thumbs"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return Folder{}, fmt.Errorf("photos: %w", err)
		}
	}
	return Folder{Dir: dir}, nil
}

// Photo is a copy in a Folder.
type Photo struct {
	Path   string // the copy
	SHA256 string // of its bytes, hex
	Size   int64
}

// ThumbPath is where the thumbnail of the photo with this sha256 goes.
func (f Folder) ThumbPath(sum string) string { return filepath.Join(f.Dir, "thumbs", sum+".jpg") }

// Copy copies the file at path under its content hash: to a temporary file
// first, renamed once whole, so a crash leaves at worst a copy that the next
// Copy of the same bytes replaces. The same bytes always land at the same
// path. Returns unreadable when the file cannot be opened, file_too_large
// when it is over the folder's limit.
func (f Folder) Copy(path string) (Photo, error) {
	limit := f.MaxBytes
	if limit <= 0 {
		limit = studio.MaxPhotoBytes
	}
	src, err := os.Open(path)
	if err != nil {
		return Photo{}, studio.Errorf(studio.EUnreadable, "cannot read %s: check it still exists and you may open it", filepath.Base(path))
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Join(f.Dir, "photos"), ".import-*")
	if err != nil {
		return Photo{}, fmt.Errorf("photos: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(src, limit+1))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Photo{}, fmt.Errorf("copy %s: %w", path, err)
	}
	if n > limit {
		return Photo{}, studio.Errorf(studio.EFileTooLarge, "%s is over %d MiB; export a smaller JPEG from your photo app", filepath.Base(path), limit>>20)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	local := filepath.Join(f.Dir, "photos", sum+strings.ToLower(filepath.Ext(path)))
	if err := os.Rename(tmp.Name(), local); err != nil {
		return Photo{}, fmt.Errorf("photos: %w", err)
	}
	return Photo{Path: local, SHA256: sum, Size: n}, nil
}

// Thumbnail writes p's thumbnail (temporary file, then rename). It fails
// for a file the dataset engine cannot read; the photo itself stays.
func (f Folder) Thumbnail(ctx context.Context, p Photo) error {
	out, err := os.CreateTemp(filepath.Join(f.Dir, "thumbs"), ".thumb-*")
	if err != nil {
		return fmt.Errorf("photos: %w", err)
	}
	defer os.Remove(out.Name())
	err = dataset.Thumbnail(ctx, Source(p.Path, filepath.Base(p.Path)), out, ThumbSide)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(out.Name(), f.ThumbPath(p.SHA256))
}

// Source is the file at path as the dataset engine reads it, under name.
func Source(path, name string) dataset.Source {
	return dataset.Source{Name: name, Open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// Failed is a dropped path that Expand could not use, and why in words.
type Failed struct {
	Path   string
	Reason string
}

// Expand turns dropped paths into files: folders contribute their regular
// files (not hidden ones, not subfolders), in name order.
func Expand(paths []string) (files []string, failed []Failed) {
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			failed = append(failed, Failed{Path: p, Reason: "cannot open it: it may have been moved or deleted"})
			continue
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			failed = append(failed, Failed{Path: p, Reason: "cannot list this folder"})
			continue
		}
		var names []string
		for _, e := range entries {
			if e.Type()&fs.ModeType == 0 && !strings.HasPrefix(e.Name(), ".") {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		for _, n := range names {
			files = append(files, filepath.Join(p, n))
		}
	}
	return files, failed
}
