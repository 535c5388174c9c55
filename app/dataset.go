package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/promptforge/lorastudio/app/localstore"
	"github.com/promptforge/lorastudio/app/photos"
	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/sync/upload"
)

// DatasetService imports the photos, validates them and uploads the
// dataset.
type DatasetService struct{ *core }

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
func (a *DatasetService) ImportFiles(paths []string) (ImportResult, error) {
	ctx := a.ctx
	res := ImportResult{Added: []string{}, Skipped: []string{}, Failed: []ImportFailed{}}
	if err := a.requireConsent(ctx); err != nil {
		return res, a.fail("import", err)
	}
	ds, err := a.store.DraftDataset(ctx)
	if err != nil {
		return res, a.fail("import", err)
	}
	files, failed := photos.Expand(paths)
	for _, f := range failed {
		res.Failed = append(res.Failed, ImportFailed{File: f.Path, Reason: f.Reason})
	}
	dir, err := photos.Open(filepath.Join(a.dataDir, "datasets", ds))
	if err != nil {
		return res, a.fail("import", err)
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

// importOne copies one file under its content hash, makes its thumbnail,
// and only then records it: a crash at any point leaves at worst an
// unrecorded copy that the next import reuses.
func (a *DatasetService) importOne(ctx context.Context, ds string, dir photos.Folder, path string) (bool, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false, err
	}
	if done, err := a.store.HasItem(ctx, ds, abs); err != nil || done {
		return false, err
	}
	p, err := dir.Copy(abs)
	if err != nil {
		return false, err
	}
	// The thumbnail is a convenience: a photo the engine cannot read still
	// gets imported, and validation then says what is wrong with it.
	if err := dir.Thumbnail(ctx, p); err != nil {
		a.log.Debug("no thumbnail", "file", p.Path, "err", err)
	}
	return a.store.AddItem(ctx, ds, localstore.Item{
		ID: localstore.NewID(), Name: filepath.Base(abs), OriginalPath: abs, LocalPath: p.Path, SHA256: p.SHA256, Size: p.Size,
	})
}

// DatasetItems returns the draft dataset's photos and their states.
func (a *DatasetService) DatasetItems() ([]localstore.Item, error) {
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
func (a *DatasetService) RemoveItem(id string) error {
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
func (a *DatasetService) ValidateDataset(opts ValidateOptions) (*dataset.Report, error) {
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
		srcs[i] = photos.Source(it.LocalPath, it.Name)
	}
	// The hash covers the captions too: a caption edited later changes it
	// the same way (localstore.SetCaption).
	captions, err := a.store.Captions(ctx, ds)
	if err != nil {
		return nil, a.fail("validate", err)
	}
	rep, err := dataset.Validate(ctx, srcs, dataset.Options{
		BaseModel: opts.BaseModel, MinResolution: opts.MinResolution, Captions: captions,
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

// SyncDataset uploads the validated dataset to the server: stripped copies,
// presigned PUTs (multipart for big files), commit, then the server's own
// validation. Progress arrives as events; an interrupted upload resumes
// where it stopped on the next call.
func (a *DatasetService) SyncDataset(opts ValidateOptions) (upload.Result, error) {
	ctx := a.ctx
	c, err := a.signedIn()
	if err != nil {
		return upload.Result{}, a.fail("sync", err)
	}
	if err := a.requireConsent(ctx); err != nil {
		return upload.Result{}, a.fail("sync", err)
	}
	if err := a.Consent.consentOnServer(ctx, c); err != nil {
		return upload.Result{}, a.fail("sync", err)
	}
	ds, err := a.store.DraftDataset(ctx)
	if err != nil {
		return upload.Result{}, a.fail("sync", err)
	}
	// Upload only what passed here: the server would refuse the rest, after
	// the user had waited for the bytes.
	if _, status, err := a.store.Report(ctx, ds); err != nil {
		return upload.Result{}, a.fail("sync", err)
	} else if status != studio.DatasetValidated {
		return upload.Result{}, a.fail("sync", studio.Errorf(studio.EDatasetNotValidated, "validate the dataset (it must pass) before uploading it"))
	}
	up, err := a.uploader(c)
	if err != nil {
		return upload.Result{}, a.fail("sync", err)
	}
	// An unfinished session of this dataset goes on; a new one starts
	// otherwise.
	sessions, err := up.Sessions(ctx)
	if err != nil {
		return upload.Result{}, a.fail("sync", err)
	}
	for _, s := range sessions {
		if s.Ref != ds {
			continue
		}
		res, err := up.Resume(ctx, s.ID)
		if studio.ErrorCode(err) != studio.ENotFound {
			if err != nil {
				return res, a.fail("sync", err)
			}
			a.afterUpload(ctx, c, up, ds, res.Session)
			return res, nil
		}
		// The server no longer has what this upload started (deleted, or
		// abandoned too long and purged): start over rather than stay stuck.
		a.log.Warn("the server lost an unfinished upload; starting it again", "session", s.ID, "err", err)
		if s.DatasetID != "" {
			if err := c.DeleteDataset(ctx, s.DatasetID); err != nil && studio.ErrorCode(err) != studio.ENotFound {
				a.log.Warn("the unfinished dataset stays on the server", "dataset_id", s.DatasetID, "err", err)
			}
		}
		if err := up.Discard(ctx, s.ID); err != nil {
			return upload.Result{}, a.fail("sync", err)
		}
		break
	}
	items, err := a.store.Items(ctx, ds)
	if err != nil {
		return upload.Result{}, a.fail("sync", err)
	}
	req := upload.Request{Ref: ds, ModelName: "me", BaseModel: opts.BaseModel, MinResolution: opts.MinResolution}
	for _, it := range items {
		req.Photos = append(req.Photos, upload.Photo{Name: it.Name, Path: it.LocalPath, Caption: it.Caption})
	}
	res, err := up.Upload(ctx, req)
	if err != nil {
		return res, a.fail("sync", err)
	}
	a.afterUpload(ctx, c, up, ds, res.Session)
	return res, nil
}

// PickAndImport opens the native file picker and imports what the user
// chose. Canceling the picker imports nothing and is not an error.
func (a *DatasetService) PickAndImport() (ImportResult, error) {
	paths, err := a.rt.OpenFiles(a.ctx, "Add photos of your face")
	if err != nil {
		return ImportResult{}, a.fail("pick photos", err)
	}
	if len(paths) == 0 {
		return ImportResult{Added: []string{}, Skipped: []string{}, Failed: []ImportFailed{}}, nil
	}
	return a.ImportFiles(paths)
}
