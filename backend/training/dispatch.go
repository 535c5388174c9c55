package training

import (
	"archive/zip"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/backoff"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/worker"
)

// DispatchArgs is the River job that hands one training job to its provider.
type DispatchArgs struct {
	JobID string `json:"job_id"`
}

// Kind implements river.JobArgs.
func (DispatchArgs) Kind() string { return "lora_dispatch" }

// InsertOpts implements river.JobArgsWithInsertOpts: one dispatch per job,
// however often it is inserted.
func (DispatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDispatch, MaxAttempts: DefaultMaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

const (
	QueueDispatch      = "dispatch"
	DefaultMaxAttempts = 12
)

// DispatchKey derives the key a worker dedups on from the job id: the same
// for every retry of the job, unguessable without the secret.
func DispatchKey(secret []byte, jobID string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("lorastudio-dispatch-v1\n" + jobID))
	return "dk_" + hex.EncodeToString(m.Sum(nil))[:40]
}

// ArtifactKey is where a job's trained LoRA is stored.
func ArtifactKey(userID, jobID string) string {
	return pgstore.KeyPrefix(userID) + "artifacts/" + jobID + ".safetensors"
}

// Backoff is a dispatch's retry schedule (backoff.Policy): attempt n
// waits a random time in [d/2, d] with d = min(Base * 2^(n-1), Max),
// Base 2 s and Max 10 minutes unless set.
type Backoff struct {
	Base, Max time.Duration
}

// Delay returns the wait before retry n (1-based).
func (b Backoff) Delay(n int) time.Duration {
	p := backoff.Policy{Base: b.Base, Max: b.Max}
	if p.Base <= 0 {
		p.Base = 2 * time.Second
	}
	if p.Max <= 0 {
		p.Max = 10 * time.Minute
	}
	return p.Delay(n)
}

// Dispatcher is River's worker for DispatchArgs.
type Dispatcher struct {
	river.WorkerDefaults[DispatchArgs]

	Store    DispatchStore
	Blobs    blob.Store
	Provider Provider
	// WebhookURL is the public URL of POST /api/lora/webhook.
	WebhookURL  string
	GetTTL      time.Duration // presigned photo URLs, default 6 h
	ArtifactTTL time.Duration // presigned artifact PUT, default 24 h
	MaxArtifact int64         // default 2 GiB
	Backoff     Backoff
	HTTP        *http.Client // uploads the zip (NeedsZip providers)
	Log         *slog.Logger

	retryAfter sync.Map // River job id -> time.Duration, from Work to NextRetry
}

// Work dispatches the job once: an erased or already dispatched job is
// done; a retryable failure is returned for River to retry (after the
// provider's Retry-After, else NextRetry's backoff); a refusal or the last
// attempt fails the job with the provider's message.
func (d *Dispatcher) Work(ctx context.Context, job *river.Job[DispatchArgs]) error {
	log := d.log().With("job_id", job.Args.JobID, "attempt", job.Attempt)
	dj, err := d.Store.JobForDispatch(ctx, job.Args.JobID)
	if studio.ErrorCode(err) == studio.ENotFound {
		log.Info("dispatch: job erased; nothing to do")
		return nil
	}
	if err != nil {
		return err
	}
	if dj.Status != studio.JobQueued {
		log.Info("dispatch: job already past queued", "status", dj.Status)
		return nil
	}
	if _, err := d.Store.CountDispatchTry(ctx, dj.ID); err != nil {
		return err
	}
	body, err := d.build(ctx, dj)
	if err != nil {
		return err // storage trouble: retry
	}
	providerID, err := d.Provider.Dispatch(ctx, body)
	var re *RetryableError
	switch {
	case err == nil:
		moved, err := d.Store.MarkDispatched(ctx, dj.ID, providerID)
		log.Info("dispatched", "provider", d.Provider.Name(), "provider_job_id", providerID, "moved", moved)
		if err != nil || moved {
			return err
		}
		// Canceled while the request was on its way: stop it there too.
		if ref, err := d.Store.JobRef(ctx, dj.ID); err == nil && ref.Status == studio.JobCanceled {
			if err := d.Provider.Cancel(ctx, ref); err != nil {
				log.Warn("dispatch: could not cancel a job canceled meanwhile", "err", err)
			}
		}
		return nil
	case errors.As(err, &re):
		if job.Attempt >= job.MaxAttempts {
			d.fail(ctx, log, dj.ID, fmt.Sprintf("the GPU provider stayed unavailable after %d attempts: %v", job.Attempt, err))
			return river.JobCancel(err)
		}
		if re.RetryAfter > 0 {
			d.retryAfter.Store(job.ID, re.RetryAfter)
		}
		log.Warn("dispatch failed; will retry", "err", err, "retry_after", re.RetryAfter)
		return err
	default:
		d.fail(ctx, log, dj.ID, err.Error())
		return river.JobCancel(err)
	}
}

func (d *Dispatcher) fail(ctx context.Context, log *slog.Logger, jobID, msg string) {
	msg = studio.CleanText(msg, MaxEventError) // a provider's answer may quote anything
	if _, err := d.Store.FailJob(ctx, jobID, msg); err != nil {
		log.Error("dispatch: could not fail the job", "err", err)
	}
	log.Warn("dispatch failed for good", "reason", msg)
}

// NextRetry implements river.Worker: the provider's Retry-After when it
// gave one (plus a little jitter), else exponential backoff with jitter.
func (d *Dispatcher) NextRetry(job *river.Job[DispatchArgs]) time.Time {
	if v, ok := d.retryAfter.LoadAndDelete(job.ID); ok {
		ra := v.(time.Duration)
		return time.Now().Add(ra + rand.N(ra/10+time.Millisecond))
	}
	return time.Now().Add(d.Backoff.Delay(job.Attempt))
}

// Timeout implements river.Worker: a dispatch is one HTTP call (plus a zip
// for hosted trainers).
func (d *Dispatcher) Timeout(*river.Job[DispatchArgs]) time.Duration { return 5 * time.Minute }

func (d *Dispatcher) log() *slog.Logger {
	if d.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Log
}

// build presigns the photos and the artifact upload.
func (d *Dispatcher) build(ctx context.Context, dj pgstore.DispatchJob) (worker.Dispatch, error) {
	getTTL, putTTL, maxArt := d.GetTTL, d.ArtifactTTL, d.MaxArtifact
	if getTTL == 0 {
		getTTL = 6 * time.Hour
	}
	if putTTL == 0 {
		putTTL = 24 * time.Hour
	}
	if maxArt == 0 {
		maxArt = 2 << 30
	}
	var p Params
	if err := json.Unmarshal(dj.Version.Params, &p); err != nil {
		return worker.Dispatch{}, fmt.Errorf("dispatch: params: %w", err)
	}
	out := worker.Dispatch{JobID: dj.ID, DispatchKey: dj.DispatchKey, BaseModel: dj.Version.BaseModel, Params: p, WebhookURL: d.WebhookURL,
		Meta: ArtifactMeta(dj.ModelName, dj.Version, p)}
	for _, it := range dj.Items {
		r, err := d.Blobs.PresignGet(ctx, it.Key, getTTL)
		if err != nil {
			return out, err
		}
		out.Items = append(out.Items, worker.Item{Name: path.Base(it.Key), URL: r.URL, SHA256: it.SHA256, Size: it.Size,
			Caption: studio.ResolveCaption(it.Caption, p.CaptionTemplate, p.TriggerWord)})
	}
	put, err := d.Blobs.PresignPutMax(ctx, dj.ArtifactKey, "application/octet-stream", maxArt, putTTL)
	if err != nil {
		return out, err
	}
	out.Artifact = worker.Upload{Method: put.Method, URL: put.URL, Headers: put.Headers, MaxSize: maxArt}
	if sp, ok := d.Provider.(Samples); ok && sp.Samples() {
		if out.Sampling, err = d.planSampling(ctx, dj, p, maxArt, putTTL); err != nil {
			return out, err
		}
	}
	if nz, ok := d.Provider.(NeedsZip); ok && nz.NeedsZip() {
		if out.ImagesZip, err = d.uploadZip(ctx, dj, p, getTTL); err != nil {
			return out, err
		}
	}
	return out, nil
}

// uploadZip stores the photos with one caption file each as a zip next to
// the job, and returns a presigned GET of it.
func (d *Dispatcher) uploadZip(ctx context.Context, dj pgstore.DispatchJob, p Params, ttl time.Duration) (string, error) {
	tmp, err := os.CreateTemp("", "lorastudio-zip-")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	zw := zip.NewWriter(io.MultiWriter(tmp, h))
	for i, it := range dj.Items {
		name := fmt.Sprintf("%03d%s", i+1, path.Ext(it.Key))
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			return "", err
		}
		rc, err := d.Blobs.Open(ctx, it.Key)
		if err != nil {
			return "", err
		}
		_, err = io.Copy(w, rc)
		rc.Close()
		if err != nil {
			return "", err
		}
		cw, err := zw.Create(fmt.Sprintf("%03d.txt", i+1))
		if err != nil {
			return "", err
		}
		io.WriteString(cw, studio.ResolveCaption(it.Caption, p.CaptionTemplate, p.TriggerWord))
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return "", err
	}
	key := pgstore.KeyPrefix(dj.UserID) + "jobs/" + dj.ID + "/images.zip"
	put, err := d.Blobs.PresignPut(ctx, blob.Object{Key: key, Size: size, ContentType: "application/zip", SHA256: hex.EncodeToString(h.Sum(nil))}, time.Hour)
	if err != nil {
		return "", err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	req, err := blob.NewHTTPRequest(ctx, put, tmp)
	if err != nil {
		return "", err
	}
	c := d.HTTP
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("dispatch: upload zip: %s", resp.Status)
	}
	get, err := d.Blobs.PresignGet(ctx, key, ttl)
	return get.URL, err
}

// Queue inserts dispatches in the caller's transaction.
type Queue struct {
	Client *river.Client[pgx.Tx]
}

// EnqueueDispatch inserts the dispatch of jobID in tx: it exists exactly
// when the job does.
func (q Queue) EnqueueDispatch(ctx context.Context, tx pgx.Tx, jobID string) error {
	_, err := q.Client.InsertTx(ctx, tx, DispatchArgs{JobID: jobID}, nil)
	return err
}

// ClientConfig tunes the River client.
type ClientConfig struct {
	Workers      int           // concurrent dispatches, default 4
	PollInterval time.Duration // default 1 s; tests use less
	Log          *slog.Logger
}

// NewClient returns a River client that works the dispatch queue with d,
// and the caption queue with a CaptionWorker of d's provider (when it is
// a Captioner) and store (when it is a CaptionStore). Start it with Start
// and stop it with Stop.
func NewClient(pool *pgxpool.Pool, d *Dispatcher, cfg ClientConfig) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, d)
	if cfg.Workers == 0 {
		cfg.Workers = 4
	}
	// Caption runs are always known to the client (River refuses to insert
	// an unregistered kind); one whose provider cannot caption fails.
	cw := &CaptionWorker{Blobs: d.Blobs, Backoff: d.Backoff, Log: d.Log}
	cw.Captioner, _ = d.Provider.(Captioner)
	cw.Store, _ = d.Store.(CaptionStore)
	river.AddWorker(workers, cw)
	// One captioning at a time per replica: the GPU box runs one too.
	queues := map[string]river.QueueConfig{QueueDispatch: {MaxWorkers: cfg.Workers}, QueueCaption: {MaxWorkers: 1}}
	rc := &river.Config{
		Queues:            queues,
		Workers:           workers,
		FetchPollInterval: cfg.PollInterval,
		Logger:            cfg.Log,
	}
	if cfg.PollInterval > 0 && cfg.PollInterval < river.FetchCooldownDefault {
		rc.FetchCooldown = cfg.PollInterval
	}
	c, err := river.NewClient(riverpgxv5.New(pool), rc)
	if err != nil {
		return nil, fmt.Errorf("training: river client: %w", err)
	}
	return c, nil
}
