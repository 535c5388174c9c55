package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

// Blobs is object storage: S3/R2 or the local signed store.
type Blobs = blob.Store

// Validator runs the dataset engine over stored photos.
type Validator func(ctx context.Context, srcs []dataset.Source, opts dataset.Options) (*dataset.Report, error)

// contentTypes are the photo formats accepted, and the extension of their keys.
var contentTypes = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}

type initIn struct {
	IdempotencyKey string `header:"Idempotency-Key" doc:"optional: 1 to 255 printable ASCII characters; the same key with the same body answers the same dataset, its uploads presigned afresh, for 24 h"`
	Body           wire.InitRequest
}

type initOut struct {
	Replayed string `header:"Idempotent-Replayed"`
	Body     wire.Uploads
}

type commitIn struct{ Body wire.CommitRequest }

type datasetOut struct{ Body wire.Dataset }

type datasetIDIn struct {
	ID string `path:"id" maxLength:"64"`
}

type validateIn struct{ Body wire.ValidateRequest }

type validateOut struct{ Body wire.Validation }

type datasetListOut struct{ Body wire.Datasets }

func (s *Server) registerDatasets() {
	tags := []string{"datasets"}
	register(s, huma.Operation{
		OperationID: "datasets-init", Method: http.MethodPost, Path: "/api/lora/datasets/init",
		Summary: "Create a dataset and presign the upload of each declared photo", Security: bearer,
		Metadata: map[string]any{"rate_limit": "upload"}, Tags: tags,
	}, s.initDataset)
	register(s, huma.Operation{
		OperationID: "datasets-commit", Method: http.MethodPost, Path: "/api/lora/datasets/commit",
		Summary: "Check the uploaded objects and record them as the dataset's photos", Security: bearer,
		Metadata: map[string]any{"rate_limit": "upload"}, Tags: tags,
	}, s.commitDataset)
	register(s, huma.Operation{
		OperationID: "datasets-validate", Method: http.MethodPost, Path: "/api/lora/datasets/validate",
		Summary: "Re-validate the stored photos on the server with the dataset engine", Security: bearer,
		Metadata: map[string]any{"rate_limit": "upload"}, Tags: tags,
	}, s.validateDataset)
	register(s, huma.Operation{
		OperationID: "datasets-list", Method: http.MethodGet, Path: "/api/lora/datasets",
		Summary: "The user's datasets", Security: bearer, Tags: tags,
	}, s.listDatasets)
	register(s, huma.Operation{
		OperationID: "datasets-get", Method: http.MethodGet, Path: "/api/lora/datasets/{id}",
		Summary: "One dataset with its photos and report", Security: bearer, Tags: tags,
	}, s.getDataset)
	register(s, huma.Operation{
		OperationID: "datasets-delete", Method: http.MethodDelete, Path: "/api/lora/datasets/{id}",
		Summary: "Delete a dataset and its stored photos", Security: bearer, DefaultStatus: http.StatusNoContent, Tags: tags,
	}, s.deleteDataset)
	s.registerCaptions()
}

func (s *Server) initDataset(ctx context.Context, in *initIn) (*initOut, error) {
	if len(in.Body.Files) == 0 { // the schema's minItems lets a JSON null through
		return nil, studio.Errorf(studio.EInvalid, "declare at least one photo in files")
	}
	if err := s.requireConsent(ctx); err != nil {
		return nil, err
	}
	if s.cfg.Blobs == nil {
		return nil, studio.Errorf(studio.EStorageUnavailable, "this server has no storage configured")
	}
	uid := userID(ctx)
	ups := make([]pgstore.Upload, len(in.Body.Files))
	for i, f := range in.Body.Files {
		if f.Size > studio.MaxPhotoBytes {
			return nil, studio.Errorf(studio.EFileTooLarge, "%s is %d MiB; photos may be at most %d MiB", f.Name, f.Size>>20, studio.MaxPhotoBytes>>20)
		}
		ups[i] = pgstore.Upload{Name: f.Name, Size: f.Size, ContentType: f.ContentType, SHA256: f.SHA256, Caption: f.Caption}
	}
	// A retried init (its answer lost on the way) answers the dataset the
	// first one made, instead of a second draft that would count against
	// the quota for good.
	key := ""
	if in.IdempotencyKey != "" {
		var err error
		if key, err = idempotencyKey(in.IdempotencyKey); err != nil {
			return nil, err
		}
		// The route is hashed in: a key reused on another route is refused.
		canon, _ := json.Marshal(in.Body)
		sum := sha256.Sum256(append([]byte("datasets/init\n"), canon...))
		tr := s.cfg.Training
		claim, err := s.cfg.Store.ClaimIdempotencyKey(ctx, uid, key, hex.EncodeToString(sum[:]), tr.IdempotencyTTL, tr.IdempotencyLock)
		if err != nil {
			return nil, err
		}
		switch claim.State {
		case pgstore.IdemReplay:
			return s.replayInit(ctx, uid, claim.Body, ups)
		case pgstore.IdemMismatch:
			return nil, studio.Errorf(studio.EIdempotencyKeyReused, "this Idempotency-Key was used with another request; use a new key for a new dataset")
		case pgstore.IdemInFlight:
			return nil, studio.Errorf(studio.EIdempotencyKeyInFlight, "a request with this Idempotency-Key is still being processed; retry in a moment")
		}
	}
	// The server names every key: the user's prefix, the dataset, the
	// content hash. A client's file name never becomes a path.
	keyFor := func(datasetID string, u pgstore.Upload) string {
		return pgstore.KeyPrefix(uid) + "datasets/" + datasetID + "/" + u.SHA256 + contentTypes[u.ContentType]
	}
	d, ups, err := s.cfg.Store.NewDatasetOnce(ctx, uid, key, in.Body.ModelName, ups, keyFor, s.cfg.Quota)
	if err != nil {
		if key != "" {
			// Nothing was committed: free the key so the client can retry it.
			if rerr := s.cfg.Store.ReleaseIdempotencyKey(context.WithoutCancel(ctx), uid, key); rerr != nil {
				logger(ctx).Error("release idempotency key", "err", rerr)
			}
		}
		return nil, err
	}
	out := &initOut{}
	if out.Body, err = s.presignUploads(ctx, d.ID, ups); err != nil {
		return nil, err
	}
	logger(ctx).Info("dataset initialised", "dataset_id", d.ID, "files", len(ups))
	return out, nil
}

// replayInit answers a retried init with the dataset the first one made,
// its uploads in the order declared and presigned afresh.
func (s *Server) replayInit(ctx context.Context, uid string, stored []byte, declared []pgstore.Upload) (*initOut, error) {
	var r pgstore.InitReplay
	if err := json.Unmarshal(stored, &r); err != nil {
		return nil, fmt.Errorf("api: stored init replay: %w", err)
	}
	ups, err := s.cfg.Store.Uploads(ctx, uid, r.DatasetID)
	if studio.ErrorCode(err) == studio.ENotFound {
		return nil, studio.Errorf(studio.EIdempotencyKeyReused, "the dataset this Idempotency-Key made was deleted; use a new key for a new dataset")
	}
	if err != nil {
		return nil, err
	}
	bySum := make(map[string]pgstore.Upload, len(ups))
	for _, u := range ups {
		if u.Committed {
			return nil, studio.Errorf(studio.EConflict, "the upload of dataset %s is being committed already; resume it with datasets/presign", r.DatasetID)
		}
		bySum[u.SHA256+u.ContentType] = u
	}
	ordered := make([]pgstore.Upload, len(declared))
	for i, f := range declared {
		u, ok := bySum[f.SHA256+f.ContentType]
		if !ok { // the same body hashed the same: only a store out of step gets here
			return nil, fmt.Errorf("api: init replay: %s is not in dataset %s", f.Name, r.DatasetID)
		}
		ordered[i] = u
	}
	out := &initOut{Replayed: "true"}
	if out.Body, err = s.presignUploads(ctx, r.DatasetID, ordered); err != nil {
		return nil, err
	}
	return out, nil
}

// presignUploads answers each upload of the dataset, in order: one
// presigned PUT, or a multipart upload with every part presigned.
func (s *Server) presignUploads(ctx context.Context, datasetID string, ups []pgstore.Upload) (wire.Uploads, error) {
	out := wire.Uploads{DatasetID: datasetID}
	for _, u := range ups {
		uo, err := s.presignUpload(ctx, datasetID, u)
		if err != nil {
			return out, err
		}
		out.Uploads = append(out.Uploads, uo)
	}
	return out, nil
}

// presignUpload starts a multipart upload once: when a retried init raced
// the first, the one recorded first is used and the other aborted.
func (s *Server) presignUpload(ctx context.Context, datasetID string, u pgstore.Upload) (wire.Upload, error) {
	o := blob.Object{Key: u.Key, Size: u.Size, ContentType: u.ContentType, SHA256: u.SHA256}
	uo := wire.Upload{Name: u.Name, Key: u.Key}
	if u.UploadID == "" && u.Size >= s.cfg.MultipartFrom {
		mp, err := s.cfg.Blobs.CreateMultipart(ctx, o, s.cfg.PartSize, s.cfg.UploadTTL)
		if err != nil {
			return uo, studio.Wrap(err, studio.EStorageUnavailable, "could not start the upload of "+u.Name+"; try again")
		}
		id, partSize, err := s.cfg.Store.SetUploadID(ctx, datasetID, u.Key, mp.UploadID, mp.PartSize)
		if err != nil {
			return uo, err
		}
		if id == mp.UploadID {
			uo.Multipart = multipartOut(mp.UploadID, mp.PartSize, mp.Parts)
			return uo, nil
		}
		if err := s.cfg.Blobs.AbortMultipart(context.WithoutCancel(ctx), u.Key, mp.UploadID); err != nil {
			logger(ctx).Warn("abort a multipart upload started twice", "key", u.Key, "err", err)
		}
		u.UploadID, u.PartSize = id, partSize
	}
	if u.UploadID != "" {
		_, count, err := blob.PlanParts(u.Size, u.PartSize)
		if err != nil {
			return uo, err
		}
		numbers := make([]int, count)
		for i := range numbers {
			numbers[i] = i + 1
		}
		parts, err := s.cfg.Blobs.PresignParts(ctx, o, u.UploadID, u.PartSize, numbers, s.cfg.UploadTTL)
		if err != nil {
			return uo, studio.Wrap(err, studio.EStorageUnavailable, "could not presign the parts of "+u.Name+"; try again")
		}
		uo.Multipart = multipartOut(u.UploadID, u.PartSize, parts)
		return uo, nil
	}
	req, err := s.cfg.Blobs.PresignPut(ctx, o, s.cfg.UploadTTL)
	if err != nil {
		return uo, studio.Wrap(err, studio.EStorageUnavailable, "could not presign the upload of "+u.Name+"; try again")
	}
	exp := req.Expires
	uo.Method, uo.URL, uo.Headers, uo.ExpiresAt = req.Method, req.URL, req.Headers, &exp
	return uo, nil
}

// multipartOut is a multipart upload as the wire carries it.
func multipartOut(uploadID string, partSize int64, parts []blob.Part) *wire.Multipart {
	m := &wire.Multipart{UploadID: uploadID, PartSize: partSize}
	for _, p := range parts {
		m.Parts = append(m.Parts, wire.Part{Number: p.Number, Size: p.Size, URL: p.URL, Method: p.Method, Headers: p.Headers})
	}
	return m
}

func (s *Server) commitDataset(ctx context.Context, in *commitIn) (*datasetOut, error) {
	uid := userID(ctx)
	if err := s.requireConsent(ctx); err != nil {
		return nil, err
	}
	ups, err := s.cfg.Store.Uploads(ctx, uid, in.Body.DatasetID)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]pgstore.Upload, len(ups))
	for _, u := range ups {
		byKey[u.Key] = u
	}
	// The request first, then storage: every key declared, every
	// multipart upload with its parts.
	type pending struct {
		u     pgstore.Upload
		parts []blob.CompletedPart
	}
	var todo []pending
	seen := map[string]bool{}
	for _, f := range in.Body.Files {
		u, ok := byKey[f.Key]
		if !ok {
			return nil, studio.Errorf(studio.EUnknownUpload, "%s was not declared in this dataset's init", f.Key)
		}
		if u.Committed || seen[u.Key] {
			continue // committing twice changes nothing
		}
		seen[u.Key] = true
		p := pending{u: u}
		if u.UploadID != "" {
			if len(f.Parts) == 0 {
				return nil, studio.Errorf(studio.EInvalid, "%s is a multipart upload: send its parts with their ETags", u.Name)
			}
			for _, part := range f.Parts {
				p.parts = append(p.parts, blob.CompletedPart{Number: part.Number, ETag: part.ETag})
			}
		}
		todo = append(todo, p)
	}
	// Each object is checked in storage, commitChecks at once: one after
	// the other, a commit of 20 photos waited for 20 storage round trips.
	errs := make([]error, len(todo))
	sem := make(chan struct{}, commitChecks)
	var wg sync.WaitGroup
	for i, p := range todo {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = s.verifyUpload(ctx, p.u, p.parts)
		}()
	}
	wg.Wait()
	// The files before the first that failed are recorded, in one
	// transaction, as when they were committed one by one; then the
	// failure is reported.
	n := len(todo)
	for i, err := range errs {
		if err != nil {
			n = i
			break
		}
	}
	ok := make([]pgstore.Upload, n)
	for i := range ok {
		ok[i] = todo[i].u
	}
	if err := s.cfg.Store.CommitItems(ctx, in.Body.DatasetID, ok); err != nil {
		return nil, err
	}
	if n < len(todo) {
		return nil, errs[n]
	}
	return s.datasetOut(ctx, uid, in.Body.DatasetID)
}

// commitChecks bounds the storage checks one commit runs at once.
const commitChecks = 8

// verifyUpload completes a multipart upload (parts given) and checks the
// stored object against its declaration.
func (s *Server) verifyUpload(ctx context.Context, u pgstore.Upload, parts []blob.CompletedPart) error {
	if u.UploadID != "" {
		err := s.cfg.Blobs.CompleteMultipart(ctx, u.Key, u.UploadID, parts)
		switch studio.ErrorCode(err) {
		case "", studio.ENotFound:
			// ENotFound: an earlier commit completed it and stopped before
			// recording it; the object check below decides.
		case studio.EInternal:
			return studio.Wrap(err, studio.EStorageUnavailable, "could not complete the upload of "+u.Name+"; try again")
		default:
			return studio.Errorf(studio.EUploadMismatch, "%s: the parts do not complete the upload (%s); upload the missing parts and commit again", u.Name, studio.ErrorMessage(err))
		}
	}
	return s.checkObject(ctx, u)
}

// checkObject proves the stored object is the declared file: its size, and
// its sha256 from the store, or by reading it back when the store cannot
// say (multipart checksums on S3 are composite).
func (s *Server) checkObject(ctx context.Context, u pgstore.Upload) error {
	info, err := s.cfg.Blobs.Stat(ctx, u.Key)
	if studio.ErrorCode(err) == studio.ENotFound {
		return studio.Errorf(studio.EUploadMissing, "%s has not been uploaded; upload it, then commit again", u.Name)
	}
	if err != nil {
		return studio.Wrap(err, studio.EStorageUnavailable, "could not check "+u.Name+"; try again")
	}
	if info.Size != u.Size {
		return studio.Errorf(studio.EUploadMismatch, "%s is %d bytes in storage but was declared as %d; upload it again", u.Name, info.Size, u.Size)
	}
	sum := info.SHA256
	if sum == "" {
		if sum, err = blob.SHA256(ctx, s.cfg.Blobs, u.Key); err != nil {
			return studio.Wrap(err, studio.EStorageUnavailable, "could not read back "+u.Name+"; try again")
		}
	}
	if !strings.EqualFold(sum, u.SHA256) {
		return studio.Errorf(studio.EUploadMismatch, "%s in storage does not match its declared sha256; upload it again", u.Name)
	}
	return nil
}

func (s *Server) validateDataset(ctx context.Context, in *validateIn) (*validateOut, error) {
	uid := userID(ctx)
	if err := s.requireConsent(ctx); err != nil {
		return nil, err
	}
	d, items, err := s.cfg.Store.Dataset(ctx, uid, in.Body.DatasetID)
	if err != nil {
		return nil, err
	}
	if d.Status == studio.DatasetDraft || len(items) == 0 {
		return nil, studio.Errorf(studio.ENotUploaded, "commit every photo of the dataset before validating it")
	}
	srcs := make([]dataset.Source, len(items))
	captions := make(map[string]string, len(items)) // the hash covers them
	for i, it := range items {
		captions[it.Name] = it.Caption
		key := it.Key
		srcs[i] = dataset.Source{Name: it.Name, Size: it.Size, Open: func() (io.ReadCloser, error) { return s.cfg.Blobs.Open(ctx, key) }}
	}
	validate := s.cfg.Validate
	if validate == nil {
		validate = dataset.Validate
	}
	rep, err := validate(ctx, srcs, dataset.Options{BaseModel: in.Body.BaseModel, MinResolution: in.Body.MinResolution, Budget: s.decode, Captions: captions})
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(rep)
	if err != nil {
		return nil, fmt.Errorf("api: encode report: %w", err)
	}
	// The engine names photos by the name they were declared with; items
	// are stored by key.
	keysByName := map[string][]string{}
	for _, it := range items {
		keysByName[it.Name] = append(keysByName[it.Name], it.Key)
	}
	sizes := make(map[string]pgstore.Size, len(items))
	for _, it := range rep.Items {
		if keys := keysByName[it.File]; len(keys) > 0 {
			sizes[keys[0]] = pgstore.Size{Width: it.Width, Height: it.Height}
			keysByName[it.File] = keys[1:]
		}
	}
	status, err := s.cfg.Store.SaveValidation(ctx, uid, d.ID, raw, rep.ImageCount, rep.OK, sizes)
	if err != nil {
		return nil, err
	}
	out := &validateOut{}
	out.Body.DatasetID, out.Body.Status, out.Body.Report = d.ID, status, rep
	return out, nil
}

func (s *Server) listDatasets(ctx context.Context, _ *struct{}) (*datasetListOut, error) {
	ds, err := s.cfg.Store.Datasets(ctx, userID(ctx))
	if err != nil {
		return nil, err
	}
	out := &datasetListOut{}
	out.Body.Datasets = make([]wire.Dataset, 0, len(ds))
	for _, d := range ds {
		out.Body.Datasets = append(out.Body.Datasets, toDatasetBody(d, nil))
	}
	return out, nil
}

func (s *Server) getDataset(ctx context.Context, in *datasetIDIn) (*datasetOut, error) {
	return s.datasetOut(ctx, userID(ctx), in.ID)
}

func (s *Server) deleteDataset(ctx context.Context, in *datasetIDIn) (*struct{}, error) {
	uid := userID(ctx)
	if _, _, err := s.cfg.Store.Dataset(ctx, uid, in.ID); err != nil {
		return nil, err
	}
	// Objects first: a failure leaves the row, so the user can retry.
	if err := s.cfg.Blobs.DeletePrefix(ctx, pgstore.KeyPrefix(uid)+"datasets/"+path.Clean(in.ID)+"/"); err != nil {
		return nil, studio.Wrap(err, studio.EStorageUnavailable, "could not delete the photos from storage; try again")
	}
	if _, err := s.cfg.Store.DeleteDataset(ctx, uid, in.ID); err != nil {
		return nil, err
	}
	return nil, nil
}

func (s *Server) datasetOut(ctx context.Context, uid, id string) (*datasetOut, error) {
	d, items, err := s.cfg.Store.Dataset(ctx, uid, id)
	if err != nil {
		return nil, err
	}
	return &datasetOut{Body: toDatasetBody(d, items)}, nil
}

func toDatasetBody(d studio.Dataset, items []studio.DatasetItem) wire.Dataset {
	b := wire.Dataset{ID: d.ID, ModelID: d.ModelID, Status: d.Status, ImageCount: d.ImageCount, DatasetHash: d.DatasetHash,
		Report: d.QualityReport, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, Items: []wire.Photo{}, Captioning: d.Captioning}
	for _, it := range items {
		b.Items = append(b.Items, wire.Photo{ID: it.ID, Name: it.Name, Key: it.Key, SHA256: it.SHA256, Size: it.Size, Width: it.Width, Height: it.Height,
			Caption: it.Caption, CaptionSource: it.CaptionSource})
	}
	return b
}
