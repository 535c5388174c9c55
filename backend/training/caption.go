package training

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/worker"
)

// Captioner is implemented by providers whose GPU can describe photos:
// Captions answers one description per item, or an error (*RetryableError
// for a try worth repeating, anything else for good, with a message for
// a person).
type Captioner interface {
	Captions(ctx context.Context, job worker.CaptionJob) (worker.CaptionResult, error)
}

// CaptionTimeout bounds one captioning request: the worker answers when
// its captioner has described every photo.
const CaptionTimeout = 10 * time.Minute

// maxCaptionResult bounds the worker's answer: 60 photos of at most
// MaxCaption bytes, JSON-escaped, fit many times over.
const maxCaptionResult = 4 << 20

// Captions implements Captioner: POST {URL}/captions, signed like a
// dispatch, held until the worker's captioner is done.
func (w *SelfHosted) Captions(ctx context.Context, job worker.CaptionJob) (worker.CaptionResult, error) {
	body, err := json.Marshal(job)
	if err != nil {
		return worker.CaptionResult{}, err
	}
	h := http.Header{}
	stdwebhook.SetHeaders(h, w.Secret, "msg_caption_"+job.DatasetID+"_"+fmt.Sprint(w.now().UnixNano()), w.now(), body)
	c := w.HTTP
	if c == nil {
		c = &http.Client{Timeout: CaptionTimeout + time.Minute}
	}
	resp, err := postJSON(ctx, c, strings.TrimRight(w.URL, "/")+"/captions", body, h)
	if err != nil {
		return worker.CaptionResult{}, err
	}
	defer resp.Body.Close()
	err = classify(resp, w.now())
	if re := (*RetryableError)(nil); errors.As(err, &re) && resp.StatusCode == http.StatusNotImplemented {
		// A worker without captioner: asking again changes nothing.
		return worker.CaptionResult{}, &RejectedError{Status: resp.StatusCode, Message: re.Err.Error()}
	}
	if err != nil {
		return worker.CaptionResult{}, err
	}
	var out worker.CaptionResult
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxCaptionResult)).Decode(&out); err != nil {
		return worker.CaptionResult{}, &RetryableError{Status: resp.StatusCode, Err: fmt.Errorf("the worker's captions are not JSON: %w", err)}
	}
	return out, nil
}

// CaptionArgs is the River job of one auto-caption run (pgstore.StartCaptionRun).
type CaptionArgs pgstore.CaptionRequest

// Kind implements river.JobArgs.
func (CaptionArgs) Kind() string { return "lora_caption" }

// InsertOpts implements river.JobArgsWithInsertOpts. A dataset has one run
// at a time: the store refuses a second while one is queued or running.
func (CaptionArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueCaption, MaxAttempts: CaptionMaxAttempts}
}

const (
	QueueCaption       = "caption"
	CaptionMaxAttempts = 5
)

// EnqueueCaption implements pgstore.CaptionEnqueuer: the run is in the
// queue exactly when the dataset says it is queued.
func (q Queue) EnqueueCaption(ctx context.Context, tx pgx.Tx, r pgstore.CaptionRequest) error {
	_, err := q.Client.InsertTx(ctx, tx, CaptionArgs(r), nil)
	return err
}

// CaptionStore is what a CaptionWorker needs of the database.
// *pgstore.Store implements it.
type CaptionStore interface {
	BeginCaptionRun(ctx context.Context, userID, datasetID string) ([]studio.DatasetItem, bool, error)
	FinishCaptionRun(ctx context.Context, datasetID string, captions map[string]string, overwrite bool) (int, bool, error)
	FailCaptionRun(ctx context.Context, datasetID, msg string) error
}

var _ CaptionStore = (*pgstore.Store)(nil)

// CaptionWorker is River's worker for CaptionArgs: it has the provider's
// captioner describe the photos and writes each photo's caption as the
// run's template, a comma, and the description (studio.AutoCaption).
type CaptionWorker struct {
	river.WorkerDefaults[CaptionArgs]

	Store     CaptionStore
	Blobs     blob.Store
	Captioner Captioner
	GetTTL    time.Duration // presigned photo URLs, default 1 h
	Backoff   Backoff
	Log       *slog.Logger
}

// Work runs the captioning once: a finished run or a deleted dataset is
// done; a retryable failure is returned for River to retry, until the last
// attempt, which fails the run; anything else fails the run at once. A
// run is never left queued or running once River gives up on it: that
// would refuse the dataset's edits and jobs for good.
func (c *CaptionWorker) Work(ctx context.Context, job *river.Job[CaptionArgs]) error {
	err := c.work(ctx, job)
	var cancel *river.JobCancelError
	if err != nil && !errors.As(err, &cancel) && job.Attempt >= job.MaxAttempts {
		c.fail(context.WithoutCancel(ctx), c.log(), job.Args.DatasetID, fmt.Sprintf("captioning failed after %d attempts: %v", job.Attempt, err))
		return river.JobCancel(err)
	}
	return err
}

func (c *CaptionWorker) work(ctx context.Context, job *river.Job[CaptionArgs]) error {
	a := job.Args
	log := c.log().With("dataset_id", a.DatasetID, "attempt", job.Attempt)
	if c.Store == nil {
		return errors.New("caption run: the worker has no store")
	}
	items, ok, err := c.Store.BeginCaptionRun(ctx, a.UserID, a.DatasetID)
	if err != nil {
		return err
	}
	if !ok {
		log.Info("caption run: nothing to do (finished, or the dataset was deleted)")
		return nil
	}
	ttl := c.GetTTL
	if ttl == 0 {
		ttl = time.Hour
	}
	cj := worker.CaptionJob{DatasetID: a.DatasetID}
	byName := make(map[string]string, len(items)) // worker's name -> photo id
	for _, it := range items {
		r, err := c.Blobs.PresignGet(ctx, it.Key, ttl)
		if err != nil {
			return err // storage trouble: retry
		}
		name := path.Base(it.Key)
		byName[name] = it.ID
		cj.Items = append(cj.Items, worker.Item{Name: name, URL: r.URL, SHA256: it.SHA256, Size: it.Size})
	}
	if c.Captioner == nil {
		c.fail(ctx, log, a.DatasetID, "the GPU provider of this server does not caption photos; write the captions yourself")
		return river.JobCancel(errors.New("no captioner"))
	}
	res, err := c.Captioner.Captions(ctx, cj)
	var re *RetryableError
	switch {
	case errors.As(err, &re) && job.Attempt < job.MaxAttempts:
		log.Warn("caption run failed; will retry", "err", err)
		return err
	case errors.As(err, &re):
		c.fail(ctx, log, a.DatasetID, fmt.Sprintf("the GPU worker stayed unavailable after %d attempts: %v", job.Attempt, err))
		return river.JobCancel(err)
	case err != nil && ctx.Err() != nil:
		return err // out of time: retried, or failed by Work on the last attempt
	case err != nil:
		msg := err.Error()
		var rej *RejectedError
		if errors.As(err, &rej) {
			msg = rej.Message
		}
		c.fail(ctx, log, a.DatasetID, "the GPU worker could not caption the photos: "+msg)
		return river.JobCancel(err)
	}
	captions := make(map[string]string, len(res.Captions))
	for _, ic := range res.Captions {
		if id, ok := byName[ic.Name]; ok {
			captions[id] = studio.AutoCaption(a.Template, ic.Text)
		}
	}
	if len(captions) < len(items) {
		c.fail(ctx, log, a.DatasetID, fmt.Sprintf("the GPU worker described %d of the %d photos", len(captions), len(items)))
		return river.JobCancel(errors.New("captions missing"))
	}
	n, done, err := c.Store.FinishCaptionRun(ctx, a.DatasetID, captions, a.Overwrite)
	if err != nil {
		return err
	}
	log.Info("caption run done", "captioned", n, "recorded", done)
	return nil
}

func (c *CaptionWorker) fail(ctx context.Context, log *slog.Logger, datasetID, msg string) {
	msg = studio.CleanText(msg, MaxEventError)
	if err := c.Store.FailCaptionRun(ctx, datasetID, msg); err != nil {
		log.Error("caption run: could not record its failure", "err", err)
	}
	log.Warn("caption run failed", "reason", msg)
}

// NextRetry implements river.Worker: exponential backoff with jitter.
func (c *CaptionWorker) NextRetry(job *river.Job[CaptionArgs]) time.Time {
	return time.Now().Add(c.Backoff.Delay(job.Attempt))
}

// Timeout implements river.Worker: the worker's answer, plus the presigning.
func (c *CaptionWorker) Timeout(*river.Job[CaptionArgs]) time.Duration {
	return CaptionTimeout + 2*time.Minute
}

func (c *CaptionWorker) log() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}
