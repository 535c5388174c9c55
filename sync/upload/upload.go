// Package upload sends a dataset's photos to the backend and survives
// quitting and network loss: each photo is stripped of its metadata and
// hashed first, then datasets/init, presigned PUTs or multipart parts sent
// in parallel within a bound, commit with the ETags, and validate. Every
// acknowledged part is recorded in SQLite the moment the storage answers,
// so Resume re-sends only what was not acknowledged, and an expired URL is
// renewed rather than fatal.
package upload

import (
	"golang.org/x/time/rate"

	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

// API is what the uploader needs of the backend; *client.Client has it.
type API interface {
	InitDataset(ctx context.Context, idempotencyKey string, r wire.InitRequest) (wire.Uploads, error)
	PresignDataset(ctx context.Context, r wire.PresignRequest) (wire.Uploads, error)
	CommitDataset(ctx context.Context, r wire.CommitRequest) (wire.Dataset, error)
	ValidateDataset(ctx context.Context, r wire.ValidateRequest) (wire.Validation, error)
}

// Config holds an Uploader's dependencies.
type Config struct {
	DB  *sql.DB // the local store's database (localstore.Store.DB()), migrated
	API API     // the backend
	// HTTP sends the PUTs to the storage; it must not add the API's bearer
	// token. nil means a client with no overall timeout (parts are big) and
	// a 60-second wait for response headers.
	HTTP *http.Client
	// Dir receives the stripped copies, one folder per session (e.g.
	// <data dir>/uploads).
	Dir string
	// Concurrency bounds the requests in flight to the storage (default 3).
	Concurrency int
	// Attempts is how many times one part is tried within one run before
	// the run gives up on a network that does not answer (default 4);
	// Resume goes on later. RetryBase is the first backoff (default 500ms).
	Attempts  int
	RetryBase time.Duration
	// Progress, if set, receives per-file and overall byte counts, at most
	// every ProgressInterval (default 100ms) per file and always when a
	// file completes. Calls are serialised; keep it quick.
	Progress         func(Progress)
	ProgressInterval time.Duration
	// BytesPerSecond, when positive, caps the upload rate over all
	// parallel requests, so a sync does not saturate the user's uplink.
	BytesPerSecond int
	Now            func() time.Time
	Log            *slog.Logger
}

// Uploader uploads datasets. It is safe for concurrent use on different
// sessions; one session must not be resumed twice at the same time.
type Uploader struct {
	cfg   Config
	limit *rate.Limiter // nil: no cap
}

// limitChunk is the largest read a rate cap lets through at once.
const limitChunk = 32 << 10

// Photo is one photo to upload: Path is the imported copy on disk, Name
// what the user knows it as, Caption its caption naming the person as
// {trigger} ("" for the job's template), declared with it at init.
type Photo struct {
	Name    string `json:"name"`
	Path    string `json:"path"`
	Caption string `json:"caption,omitempty"`
}

// Request describes a dataset to upload.
type Request struct {
	Ref           string  `json:"ref"` // the caller's id of the dataset (the local lora_datasets.id)
	ModelName     string  `json:"model_name"`
	Photos        []Photo `json:"photos"`
	BaseModel     string  `json:"base_model,omitempty"`     // for the server's validation
	MinResolution int     `json:"min_resolution,omitempty"` // likewise
}

// Session states.
const (
	StatePrepared  = "prepared"  // photos stripped and hashed, nothing sent
	StateUploading = "uploading" // the server's dataset exists; parts going up
	StateCommitted = "committed" // every photo recorded by the server
	StateValidated = "validated" // the server's engine passed the dataset
	StateRejected  = "rejected"  // it did not: see the report
)

// Progress is one progress event.
type Progress struct {
	Session   string `json:"session"`
	File      string `json:"file"` // the photo's name
	Index     int    `json:"index"`
	FileDone  int64  `json:"file_done"`
	FileTotal int64  `json:"file_total"`
	Done      int64  `json:"done"`
	Total     int64  `json:"total"`
	FileState string `json:"file_state"` // uploading, done
}

// Stats measures the bytes sent.
type Stats struct {
	BytesTotal  int64 `json:"bytes_total"`  // the stripped photos
	BytesSent   int64 `json:"bytes_sent"`   // body bytes handed to the network, failed attempts included
	BytesResent int64 `json:"bytes_resent"` // of which, bytes of parts sent again after an attempt that was not acknowledged
	Requests    int   `json:"requests"`     // storage PUTs started
	Renewals    int   `json:"renewals"`     // times expired URLs were renewed
}

// Result is where a session ended.
type Result struct {
	Session    string           `json:"session"`
	DatasetID  string           `json:"dataset_id"`
	State      string           `json:"state"`
	Validation *wire.Validation `json:"validation,omitempty"`
	Run        Stats            `json:"run"`   // this call
	Total      Stats            `json:"total"` // every run of the session
}

// Session is an upload session as recorded.
type Session struct {
	ID        string `json:"id"`
	Ref       string `json:"ref"`
	ModelName string `json:"model_name"`
	DatasetID string `json:"dataset_id"`
	State     string `json:"state"`
	Files     int    `json:"files"`
	Acked     int64  `json:"acked"` // bytes acknowledged by the storage
	Total     Stats  `json:"total"`
	LastError string `json:"last_error"`
	CreatedAt string `json:"created_at"`
}

// New returns an Uploader. Returns EInvalid when DB, API or Dir is missing.
func New(cfg Config) (*Uploader, error) {
	if cfg.DB == nil || cfg.API == nil || cfg.Dir == "" {
		return nil, studio.Errorf(studio.EInvalid, "upload: DB, API and Dir are required")
	}
	if cfg.HTTP == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = 60 * time.Second
		tr.MaxIdleConnsPerHost = 16
		cfg.HTTP = &http.Client{Transport: tr}
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 3
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 4
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = 500 * time.Millisecond
	}
	if cfg.ProgressInterval <= 0 {
		cfg.ProgressInterval = 100 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	u := &Uploader{cfg: cfg}
	if cfg.BytesPerSecond > 0 {
		u.limit = rate.NewLimiter(rate.Limit(cfg.BytesPerSecond), limitChunk)
	}
	return u, nil
}

// Upload prepares a session for req and runs it to the end: Prepare, then
// Resume. On failure the session stays recorded and its id is in the
// Result, for Resume to pick it up later.
func (u *Uploader) Upload(ctx context.Context, req Request) (Result, error) {
	id, err := u.Prepare(ctx, req)
	if err != nil {
		return Result{}, err
	}
	return u.Resume(ctx, id)
}

// Prepare strips every photo (dataset.Strip) to a copy under Dir, hashes
// it and records the session; nothing is sent. Returns EInvalid for an
// empty request or one of more than studio.MaxDatasetPhotos photos (the
// server's datasets/init takes no more), duplicate_file when two photos have the same content, and
// the coded errors of dataset.Strip (unsupported_format, corrupt, ...) for
// a photo that cannot be sent.
func (u *Uploader) Prepare(ctx context.Context, req Request) (string, error) {
	if req.ModelName == "" || len(req.Photos) == 0 {
		return "", studio.Errorf(studio.EInvalid, "name the model and give at least one photo")
	}
	if len(req.Photos) > studio.MaxDatasetPhotos {
		return "", studio.Errorf(studio.EInvalid, "the dataset has %d photos; the server takes at most %d (20 to 30 of your best and most varied train best)", len(req.Photos), studio.MaxDatasetPhotos)
	}
	id := newID()
	dir := filepath.Join(u.cfg.Dir, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("upload: prepare: %w", err)
	}
	files := make([]file, len(req.Photos))
	seen := map[string]string{}
	var total int64
	for i, p := range req.Photos {
		// A caption the server would refuse fails here, before the bytes.
		if err := studio.CheckCaption(p.Caption); err != nil {
			os.RemoveAll(dir)
			var e *studio.Error
			if errors.As(err, &e) {
				named := *e
				named.Message = p.Name + ": " + e.Message
				return "", &named
			}
			return "", err
		}
		f, err := strip(ctx, dir, p)
		if err != nil {
			os.RemoveAll(dir)
			return "", err
		}
		if other, ok := seen[f.sha256]; ok {
			os.RemoveAll(dir)
			return "", studio.Errorf(studio.EDuplicateFile, "%s and %s are the same photo; remove one", other, p.Name)
		}
		seen[f.sha256] = p.Name
		f.position = i
		files[i] = f
		total += f.size
	}
	if err := u.insertSession(ctx, id, req, files, total); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	u.cfg.Log.Info("upload prepared", "session", id, "files", len(files), "bytes", total)
	return id, nil
}

// strip writes the metadata-free copy of one photo, named by its hash.
func strip(ctx context.Context, dir string, p Photo) (file, error) {
	tmp, err := os.CreateTemp(dir, ".strip-*")
	if err != nil {
		return file{}, fmt.Errorf("upload: prepare: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	src := dataset.Source{Name: p.Name, Open: func() (io.ReadCloser, error) { return os.Open(p.Path) }}
	sum, err := dataset.Strip(ctx, src, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return file{}, err
	}
	dst := filepath.Join(dir, sum+".jpg")
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return file{}, fmt.Errorf("upload: prepare: %w", err)
	}
	fi, err := os.Stat(dst)
	if err != nil {
		return file{}, fmt.Errorf("upload: prepare: %w", err)
	}
	return file{name: p.Name, source: p.Path, path: dst, size: fi.Size(), sha256: sum, contentType: "image/jpeg", caption: p.Caption}, nil
}

// Resume takes a session wherever it stopped: init if it was never sent,
// the parts not yet acknowledged, commit, validate. A session already
// validated or rejected returns its stored result. Returns ENotFound for
// an unknown session, EUnavailable when the network failed (resume later),
// the server's coded errors (consent_required, upload_mismatch, ...), and
// the context's error when it is cancelled.
func (u *Uploader) Resume(ctx context.Context, id string) (res Result, err error) {
	s, err := u.load(ctx, id)
	if err != nil {
		return Result{Session: id}, err
	}
	r := &run{u: u, s: s}
	defer func() {
		res = r.result()
		if err != nil && ctx.Err() == nil {
			u.cfg.Log.Warn("upload stopped", "session", id, "err", err)
		}
		msg := ""
		if err != nil {
			msg = studio.ErrorMessage(err)
			if ctx.Err() != nil {
				msg = "interrupted"
			}
		}
		// The context may be done: record what this run did regardless.
		if serr := u.saveStats(context.WithoutCancel(ctx), r, msg); serr != nil && err == nil {
			err = serr
		}
	}()
	if s.state == StatePrepared {
		if err := r.init(ctx); err != nil {
			return Result{}, err
		}
	}
	if s.state == StateUploading {
		if err := r.transfer(ctx); err != nil {
			return Result{}, err
		}
		if err := r.commit(ctx); err != nil {
			return Result{}, err
		}
	}
	if s.state == StateCommitted {
		if err := r.validate(ctx); err != nil {
			return Result{}, err
		}
	}
	return Result{}, nil
}

// Sessions lists the sessions not yet validated or rejected, oldest first:
// what to Resume when the app starts or the network comes back.
func (u *Uploader) Sessions(ctx context.Context) ([]Session, error) {
	return u.sessions(ctx, `WHERE s.state NOT IN ('validated', 'rejected')`)
}

// Latest returns the newest session of the dataset the caller calls ref.
// Returns ENotFound when it was never uploaded.
func (u *Uploader) Latest(ctx context.Context, ref string) (Session, error) {
	ss, err := u.sessions(ctx, `WHERE s.dataset_ref = ?`, ref)
	if err != nil {
		return Session{}, err
	}
	if len(ss) == 0 {
		return Session{}, studio.Errorf(studio.ENotFound, "dataset %s was never uploaded", ref)
	}
	return ss[len(ss)-1], nil
}

// Session returns one session. Returns ENotFound.
func (u *Uploader) Session(ctx context.Context, id string) (Session, error) {
	ss, err := u.sessions(ctx, `WHERE s.id = ?`, id)
	if err != nil {
		return Session{}, err
	}
	if len(ss) == 0 {
		return Session{}, studio.Errorf(studio.ENotFound, "no upload %s", id)
	}
	return ss[0], nil
}

// File is one photo of a session as declared to the server: Path is the
// Photo's Path, SHA256 that of the stripped copy the server has.
type File struct {
	Name    string `json:"name"`
	Path    string `json:"path"`
	SHA256  string `json:"sha256"`
	Caption string `json:"caption"`
}

// Files returns a session's photos in the order declared: how the
// server's photos (known by their sha256) map to the caller's. Returns
// ENotFound.
func (u *Uploader) Files(ctx context.Context, id string) ([]File, error) {
	s, err := u.load(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]File, len(s.files))
	for i, f := range s.files {
		out[i] = File{Name: f.name, Path: f.source, SHA256: f.sha256, Caption: f.caption}
	}
	return out, nil
}

// Discard forgets a session and deletes its stripped copies. The server's
// draft dataset, if any, is left to the caller (DELETE the dataset).
func (u *Uploader) Discard(ctx context.Context, id string) error {
	if _, err := u.cfg.DB.ExecContext(ctx, `DELETE FROM sync_uploads WHERE id = ?`, id); err != nil {
		return fmt.Errorf("upload: discard: %w", err)
	}
	if !validID(id) {
		return nil
	}
	return os.RemoveAll(filepath.Join(u.cfg.Dir, id))
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
