package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/promptforge/lorastudio/app/localstore"
	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/studio"
)

// Events the dataset methods emit while they work.
const (
	EventImportProgress   = "dataset:import"   // ImportProgress
	EventValidateProgress = "dataset:validate" // dataset.Progress
)

// ImportProgress is sent after each file of an import.
type ImportProgress struct {
	Done  int    `json:"done"`
	Total int    `json:"total"`
	File  string `json:"file"`
	Error string `json:"error,omitempty"`
}

// ImportResult says what an import did with each file it was given.
type ImportResult struct {
	Added   []string       `json:"added"`
	Skipped []string       `json:"skipped"` // already in the dataset
	Failed  []ImportFailed `json:"failed"`
}

// ImportFailed names a file that could not be imported, and why.
type ImportFailed struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// ImportFiles copies photos (or every file of dropped folders, one level
// deep) into the data folder and records them in the draft dataset. The
// originals are only read. It is what the file drop and the file picker
// call; running it again after a crash imports only what is missing.
func (a *App) ImportFiles(paths []string) (ImportResult, error) {
	ctx := a.ctx
	res := ImportResult{Added: []string{}, Skipped: []string{}, Failed: []ImportFailed{}}
	if err := a.requireConsent(ctx); err != nil {
		return res, a.fail("import", err)
	}
	ds, err := a.store.DraftDataset(ctx)
	if err != nil {
		return res, a.fail("import", err)
	}
	files, failed := expand(paths)
	res.Failed = append(res.Failed, failed...)
	dir := filepath.Join(a.dataDir, "datasets", ds)
	for _, sub := range []string{"photos", "thumbs"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return res, a.fail("import", err)
		}
	}
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return res, a.fail("import", err)
		}
		added, err := a.importOne(ctx, ds, dir, f)
		p := ImportProgress{Done: i + 1, Total: len(files), File: filepath.Base(f)}
		switch {
		case err != nil:
			p.Error = studio.ErrorMessage(err)
			res.Failed = append(res.Failed, ImportFailed{File: f, Reason: p.Error})
			a.log.Warn("import failed", "file", f, "err", err)
		case added:
			res.Added = append(res.Added, f)
		default:
			res.Skipped = append(res.Skipped, f)
		}
		a.rt.Emit(ctx, EventImportProgress, p)
	}
	a.log.Info("import", "added", len(res.Added), "skipped", len(res.Skipped), "failed", len(res.Failed))
	return res, nil
}

// importOne copies one file under its content hash (temp file, then
// rename), makes its thumbnail, and only then records it: a crash at any
// point leaves at worst an unrecorded copy that the next import reuses.
func (a *App) importOne(ctx context.Context, ds, dir, path string) (bool, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false, err
	}
	if done, err := a.store.HasItem(ctx, ds, abs); err != nil || done {
		return false, err
	}
	src, err := os.Open(abs)
	if err != nil {
		return false, studio.Errorf(studio.EUnreadable, "cannot read %s: check it still exists and you may open it", filepath.Base(abs))
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Join(dir, "photos"), ".import-*")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(src, studio.MaxPhotoBytes+1))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, fmt.Errorf("copy %s: %w", abs, err)
	}
	if n > studio.MaxPhotoBytes {
		return false, studio.Errorf(studio.EFileTooLarge, "%s is over %d MiB; export a smaller JPEG from your photo app", filepath.Base(abs), studio.MaxPhotoBytes>>20)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	local := filepath.Join(dir, "photos", sum+strings.ToLower(filepath.Ext(abs)))
	if err := os.Rename(tmp.Name(), local); err != nil {
		return false, err
	}
	// The thumbnail is a convenience: a photo the engine cannot read still
	// gets imported, and validation then says what is wrong with it.
	a.writeThumb(ctx, local, filepath.Join(dir, "thumbs", sum+".jpg"))
	return a.store.AddItem(ctx, ds, localstore.Item{
		ID: localstore.NewID(), Name: filepath.Base(abs), OriginalPath: abs, LocalPath: local, SHA256: sum, Size: n,
	})
}

func (a *App) writeThumb(ctx context.Context, photo, thumb string) {
	f, err := os.CreateTemp(filepath.Dir(thumb), ".thumb-*")
	if err != nil {
		return
	}
	defer os.Remove(f.Name())
	err = dataset.Thumbnail(ctx, fileSource(photo, filepath.Base(photo)), f, 256)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), thumb)
	}
	if err != nil {
		a.log.Debug("no thumbnail", "file", photo, "err", err)
	}
}

func fileSource(path, name string) dataset.Source {
	return dataset.Source{Name: name, Open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// expand turns dropped paths into files: folders contribute their regular
// files (not hidden ones, not subfolders), in name order.
func expand(paths []string) (files []string, failed []ImportFailed) {
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			failed = append(failed, ImportFailed{File: p, Reason: "cannot open it: it may have been moved or deleted"})
			continue
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			failed = append(failed, ImportFailed{File: p, Reason: "cannot list this folder"})
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

// DatasetItems returns the draft dataset's photos and their states.
func (a *App) DatasetItems() ([]localstore.Item, error) {
	ds, err := a.store.DraftDataset(a.ctx)
	if err != nil {
		return nil, a.fail("list photos", err)
	}
	items, err := a.store.Items(a.ctx, ds)
	if err != nil {
		return nil, a.fail("list photos", err)
	}
	return items, nil
}

// RemoveItem takes a photo out of the dataset and deletes its copy; the
// user's original is untouched.
func (a *App) RemoveItem(id string) error {
	ds, err := a.store.DraftDataset(a.ctx)
	if err != nil {
		return a.fail("remove photo", err)
	}
	it, err := a.store.RemoveItem(a.ctx, ds, id)
	if err != nil {
		return a.fail("remove photo", err)
	}
	// The same bytes may back another item (the same photo under two
	// names); keep the copy while anything still points at it.
	items, _ := a.store.Items(a.ctx, ds)
	for _, other := range items {
		if other.LocalPath == it.LocalPath {
			return nil
		}
	}
	_ = os.Remove(it.LocalPath)
	return nil
}

// ValidateOptions are the knobs of a validation run.
type ValidateOptions struct {
	BaseModel     string `json:"base_model"`
	MinResolution int    `json:"min_resolution"`
}

// ValidateDataset runs the dataset engine over the imported copies,
// emitting progress, and stores the report and each photo's state.
func (a *App) ValidateDataset(opts ValidateOptions) (*dataset.Report, error) {
	ctx := a.ctx
	ds, err := a.store.DraftDataset(ctx)
	if err != nil {
		return nil, a.fail("validate", err)
	}
	items, err := a.store.Items(ctx, ds)
	if err != nil {
		return nil, a.fail("validate", err)
	}
	srcs := make([]dataset.Source, len(items))
	for i, it := range items {
		srcs[i] = fileSource(it.LocalPath, it.Name)
	}
	rep, err := dataset.Validate(ctx, srcs, dataset.Options{
		BaseModel: opts.BaseModel, MinResolution: opts.MinResolution,
		Progress: func(p dataset.Progress) { a.rt.Emit(ctx, EventValidateProgress, p) },
	})
	if err != nil {
		return nil, a.fail("validate", err)
	}
	states := make(map[string]string, len(items))
	byName := map[string][]string{}
	for _, it := range items {
		byName[it.Name] = append(byName[it.Name], it.ID)
	}
	for _, ri := range rep.Items {
		state := "ok"
		for _, is := range ri.Issues {
			if is.Severity == dataset.SeverityError {
				state = "error"
				break
			}
			state = "warning"
		}
		for _, id := range byName[ri.File] {
			states[id] = state
		}
	}
	raw, err := json.Marshal(rep)
	if err != nil {
		return nil, a.fail("validate", err)
	}
	if err := a.store.SaveReport(ctx, ds, raw, rep.DatasetHash, rep.OK, states); err != nil {
		return nil, a.fail("validate", err)
	}
	return rep, nil
}

// PickAndImport opens the native file picker and imports what the user
// chose. Canceling the picker imports nothing and is not an error.
func (a *App) PickAndImport() (ImportResult, error) {
	paths, err := a.rt.OpenFiles(a.ctx, "Add photos of your face")
	if err != nil {
		return ImportResult{}, a.fail("pick photos", err)
	}
	if len(paths) == 0 {
		return ImportResult{Added: []string{}, Skipped: []string{}, Failed: []ImportFailed{}}, nil
	}
	return a.ImportFiles(paths)
}
