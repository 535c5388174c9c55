package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/promptforge/lorastudio/internal/studio"
)

// NewJob is what CreateJob needs. The callbacks run inside its transaction,
// so the version, the job, the queued dispatch and the stored idempotent
// response all commit together or not at all.
type NewJob struct {
	UserID    string
	DatasetID string
	BaseModel string
	Params    json.RawMessage
	Provider  string

	DispatchKey func(jobID string) string // derived from the job id: the worker dedups by it
	ArtifactKey func(jobID string) string
	// IdempotencyKey, if set, is the user's claimed key (ClaimIdempotencyKey)
	// whose response Respond makes: it is stored in the transaction that
	// creates the job, so a replay finds either both or neither.
	IdempotencyKey string
	Respond        func(v studio.Version, j studio.Job) (status int, body []byte)
}

// Enqueuer puts a job's dispatch in the queue inside tx, the transaction
// that creates the job: it exists exactly when the job does.
// training.Queue (River's InsertTx) is one.
type Enqueuer interface {
	EnqueueDispatch(ctx context.Context, tx pgx.Tx, jobID string) error
}

// CreateJob creates the next version of the dataset's model and its queued
// job, puts its dispatch in Queue (when set) and stores n's response under
// n.IdempotencyKey, all in one transaction. Returns ENotFound for another
// user's or a missing dataset, "dataset_not_validated" (EConflict) for
// one the engine has not passed and captioning_in_progress while an
// auto-caption run of it is not finished. The version keeps the captions
// of the photos as they are now (and the hash covering them), whatever
// later edits do to the dataset.
func (s *Store) CreateJob(ctx context.Context, n NewJob) (studio.Version, studio.Job, error) {
	if !validUUID(n.DatasetID) {
		return studio.Version{}, studio.Job{}, studio.Errorf(studio.ENotFound, "no dataset %s", n.DatasetID)
	}
	var v studio.Version
	var j studio.Job
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var status string
		var run captionRunRow
		// Locking the model serialises version numbers per model; locking
		// the dataset keeps its captions and hash still (SetCaptions and
		// caption runs take the same lock) while they are copied.
		err := tx.QueryRow(ctx,
			`SELECT d.lora_model_id, d.status, d.dataset_hash, `+captionRunCols+` FROM lora_datasets d
			 JOIN lora_models m ON m.id = d.lora_model_id
			 WHERE d.id = $1 AND d.user_id = $2 FOR UPDATE OF m FOR NO KEY UPDATE OF d`, n.DatasetID, n.UserID).
			Scan(append([]any{&v.ModelID, &status, &v.DatasetHash}, run.dest()...)...)
		if err != nil {
			return notFound(err, "no dataset %s", n.DatasetID)
		}
		if status != studio.DatasetValidated {
			return studio.Errorf(studio.EDatasetNotValidated, "dataset %s is %s; validate it on the server (POST /api/lora/datasets/validate) until it passes", n.DatasetID, status)
		}
		now := s.Now()
		if run.settle(now); run.inProgress() {
			return errCaptioning()
		}
		err = tx.QueryRow(ctx,
			`INSERT INTO lora_versions (user_id, lora_model_id, dataset_id, version_number, base_model, params_json, dataset_hash, created_at, captions_json)
			 VALUES ($1, $2, $3, (SELECT coalesce(max(version_number), 0) + 1 FROM lora_versions WHERE lora_model_id = $2), $4, $5, $6, $7,
			   (SELECT coalesce(jsonb_object_agg(storage_key, caption), '{}') FROM lora_dataset_items WHERE dataset_id = $3))
			 RETURNING id, version_number, status, created_at`,
			n.UserID, v.ModelID, n.DatasetID, n.BaseModel, n.Params, v.DatasetHash, now).Scan(&v.ID, &v.Number, &v.Status, &v.CreatedAt)
		if err != nil {
			return err
		}
		v.DatasetID, v.BaseModel, v.Params = n.DatasetID, n.BaseModel, n.Params
		j.ID = newUUID()
		err = tx.QueryRow(ctx,
			`INSERT INTO lora_jobs (id, user_id, lora_version_id, provider, dispatch_key, artifact_key, created_at, updated_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING status, progress, created_at, updated_at`,
			j.ID, n.UserID, v.ID, n.Provider, n.DispatchKey(j.ID), n.ArtifactKey(j.ID), now).Scan(&j.Status, &j.Progress, &j.CreatedAt, &j.UpdatedAt)
		if err != nil {
			return err
		}
		j.VersionID = v.ID
		if s.Queue != nil {
			if err := s.Queue.EnqueueDispatch(ctx, tx, j.ID); err != nil {
				return fmt.Errorf("enqueue dispatch: %w", err)
			}
		}
		if n.IdempotencyKey != "" && n.Respond != nil {
			status, body := n.Respond(v, j)
			return finishIdempotencyKey(ctx, tx, n.UserID, n.IdempotencyKey, status, body)
		}
		return nil
	})
	if err != nil {
		if studio.ErrorCode(err) != studio.EInternal {
			return studio.Version{}, studio.Job{}, err
		}
		return studio.Version{}, studio.Job{}, fmt.Errorf("pgstore: create job: %w", err)
	}
	return v, j, nil
}

// JobRef is studio.JobRef, kept under this name for the store's callers.
type JobRef = studio.JobRef

const jobRefCols = `j.id, j.user_id, j.lora_version_id, j.status, j.provider, j.provider_job_id, j.dispatch_key, j.artifact_key`

func scanRef(row pgx.Row) (JobRef, error) {
	var r JobRef
	err := row.Scan(&r.ID, &r.UserID, &r.VersionID, &r.Status, &r.Provider, &r.ProviderJobID, &r.DispatchKey, &r.ArtifactKey)
	return r, err
}

// JobRef returns a job by id. Returns ENotFound.
func (s *Store) JobRef(ctx context.Context, jobID string) (JobRef, error) {
	if !validUUID(jobID) {
		return JobRef{}, studio.Errorf(studio.ENotFound, "no job %s", jobID)
	}
	r, err := scanRef(s.pool.QueryRow(ctx, `SELECT `+jobRefCols+` FROM lora_jobs j WHERE j.id = $1`, jobID))
	if err != nil {
		return JobRef{}, notFound(err, "no job %s", jobID)
	}
	return r, nil
}

// JobRefByProvider returns the job a provider knows as providerJobID.
// Returns ENotFound.
func (s *Store) JobRefByProvider(ctx context.Context, provider, providerJobID string) (JobRef, error) {
	r, err := scanRef(s.pool.QueryRow(ctx, `SELECT `+jobRefCols+` FROM lora_jobs j WHERE j.provider = $1 AND j.provider_job_id = $2`, provider, providerJobID))
	if err != nil {
		return JobRef{}, notFound(err, "no job of %s %s", provider, providerJobID)
	}
	return r, nil
}

// DispatchJob is everything a provider needs to train one job.
type DispatchJob struct {
	JobRef
	Version   studio.Version
	ModelName string // for the artifact's ModelSpec title
	// Items carry the captions the version was created with (its
	// snapshot), not the dataset's current ones; CaptionSource is unused.
	Items []studio.DatasetItem
}

// JobForDispatch loads a job with its version and photos. Returns ENotFound
// (the job was erased: nothing to dispatch).
func (s *Store) JobForDispatch(ctx context.Context, jobID string) (DispatchJob, error) {
	ref, err := s.JobRef(ctx, jobID)
	if err != nil {
		return DispatchJob{}, err
	}
	d := DispatchJob{JobRef: ref}
	v := &d.Version
	var params []byte
	var datasetID *string
	var captions map[string]string // nil for a version made before captions: the template
	err = s.pool.QueryRow(ctx,
		`SELECT v.id, v.lora_model_id, v.dataset_id, v.version_number, v.base_model, v.params_json, v.dataset_hash, v.status, v.created_at, m.name, v.captions_json
		 FROM lora_versions v JOIN lora_models m ON m.id = v.lora_model_id WHERE v.id = $1`, ref.VersionID).Scan(
		&v.ID, &v.ModelID, &datasetID, &v.Number, &v.BaseModel, &params, &v.DatasetHash, &v.Status, &v.CreatedAt, &d.ModelName, &captions)
	if err != nil {
		return DispatchJob{}, notFound(err, "no version %s", ref.VersionID)
	}
	v.Params = params
	if datasetID == nil {
		return DispatchJob{}, studio.Errorf(studio.ENotFound, "the dataset of job %s was deleted", jobID)
	}
	v.DatasetID = *datasetID
	_, d.Items, err = s.Dataset(ctx, ref.UserID, v.DatasetID)
	if err != nil {
		return DispatchJob{}, err
	}
	for i := range d.Items {
		d.Items[i].Caption = captions[d.Items[i].Key]
	}
	return d, nil
}

// MarkDispatched moves a queued job to dispatched with the provider's id
// for it. It reports false when the job had already moved on (a webhook
// raced the dispatch's answer) or was erased.
func (s *Store) MarkDispatched(ctx context.Context, jobID, providerJobID string) (bool, error) {
	tag, err := s.pool.Exec(ctx,
		`UPDATE lora_jobs SET status = 'dispatched', provider_job_id = $2, updated_at = $3 WHERE id = $1 AND status = 'queued'`,
		jobID, providerJobID, s.Now())
	if err != nil {
		return false, fmt.Errorf("pgstore: mark dispatched: %w", err)
	}
	if tag.RowsAffected() == 0 && providerJobID != "" {
		// Still record the provider's id so its webhooks find the job.
		_, err = s.pool.Exec(ctx, `UPDATE lora_jobs SET provider_job_id = $2 WHERE id = $1 AND provider_job_id = ''`, jobID, providerJobID)
	}
	return tag.RowsAffected() == 1, err
}

// ClaimSilentJobs returns up to limit jobs at provider that are dispatched
// or running and have not changed since before cutoff, oldest first, and
// marks each as updated now: the claim is one statement, so replicas
// running it at once each get other jobs (SKIP LOCKED), and a claimed job
// is not claimed again before it falls silent once more.
func (s *Store) ClaimSilentJobs(ctx context.Context, provider string, cutoff time.Time, limit int) ([]JobRef, error) {
	rows, err := s.pool.Query(ctx,
		`UPDATE lora_jobs j SET updated_at = $4 WHERE j.id IN (
		   SELECT id FROM lora_jobs WHERE provider = $1 AND status IN ('dispatched', 'running') AND provider_job_id <> '' AND updated_at < $2
		   ORDER BY updated_at LIMIT $3 FOR UPDATE SKIP LOCKED)
		 RETURNING `+jobRefCols, provider, cutoff, limit, s.Now())
	if err != nil {
		return nil, fmt.Errorf("pgstore: claim silent jobs: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (JobRef, error) { return scanRef(r) })
}

// CountDispatchTry records one more dispatch attempt and returns the count.
func (s *Store) CountDispatchTry(ctx context.Context, jobID string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `UPDATE lora_jobs SET dispatch_tries = dispatch_tries + 1 WHERE id = $1 RETURNING dispatch_tries`, jobID).Scan(&n)
	if err != nil {
		return 0, notFound(err, "no job %s", jobID)
	}
	return n, nil
}

// FailJob moves a job that is not final to failed with msg, and its version
// to failed. Reports whether it moved.
func (s *Store) FailJob(ctx context.Context, jobID, msg string) (bool, error) {
	moved := false
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var versionID string
		err := tx.QueryRow(ctx,
			`UPDATE lora_jobs SET status = 'failed', error = $2, updated_at = $3
			 WHERE id = $1 AND status IN ('queued', 'dispatched', 'running') RETURNING lora_version_id`,
			jobID, msg, s.Now()).Scan(&versionID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		moved = true
		_, err = tx.Exec(ctx, `UPDATE lora_versions SET status = 'failed' WHERE id = $1 AND status = 'pending'`, versionID)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("pgstore: fail job: %w", err)
	}
	return moved, nil
}

// Outcomes of ApplyJobEvent, recorded with the webhook id.
const (
	OutcomeApplied   = "applied"
	OutcomeIgnored   = "ignored"   // late or out of order: the job is already past it
	OutcomeErased    = "erased"    // the job was erased on consent withdrawal
	OutcomeUnknown   = "unknown"   // no such job
	OutcomeDuplicate = "duplicate" // this webhook id was processed before
)

// JobEvent is one state report of a provider, already verified.
type JobEvent struct {
	WebhookID string
	JobID     string
	Status    string
	Progress  float64
	LogsURL   string
	Error     string
	// On succeeded: the checked artifact.
	ArtifactKey    string
	ArtifactSHA256 string
	ArtifactSize   int64
	// Checkpoint, checked in storage, is recorded when the event applies.
	Checkpoint *Checkpoint
}

// Applied is what ApplyJob did with an event.
type Applied struct {
	Outcome string
	// ErasedKey, for OutcomeErased, is the tombstone's artifact key, which
	// the caller deletes from storage.
	ErasedKey string
	// Status is the job's status as recorded once the event was applied or
	// ignored (which may not be the event's); "" for an unknown or erased
	// job and a duplicate.
	Status string
}

// ApplyJob records ev's webhook id and applies ev in one transaction:
// states only move forward (studio.JobCanMove), progress never decreases,
// succeeded makes the version ready with its artifact, failed and canceled
// make it failed. A webhook id seen before changes nothing. Events that
// arrive together share a transaction (ApplyJobs, by group commit).
func (s *Store) ApplyJob(ctx context.Context, ev JobEvent) (Applied, error) {
	return s.applier().Do(ctx, ev)
}

// ApplyJobEvent is ApplyJob returning the outcome and erased key only.
func (s *Store) ApplyJobEvent(ctx context.Context, ev JobEvent) (outcome, erasedKey string, err error) {
	a, err := s.ApplyJob(ctx, ev)
	return a.Outcome, a.ErasedKey, err
}

// WebhookOutcome returns the recorded outcome of a webhook id, "" if unseen.
func (s *Store) WebhookOutcome(ctx context.Context, webhookID string) (string, error) {
	var o string
	err := s.pool.QueryRow(ctx, `SELECT outcome FROM webhook_events WHERE webhook_id = $1`, webhookID).Scan(&o)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return o, err
}

// Job returns one of the user's jobs. Returns ENotFound.
func (s *Store) Job(ctx context.Context, userID, id string) (studio.Job, error) {
	if !validUUID(id) {
		return studio.Job{}, studio.Errorf(studio.ENotFound, "no job %s", id)
	}
	j, err := scanJob(s.pool.QueryRow(ctx, `SELECT `+jobCols+` FROM lora_jobs WHERE id = $1 AND user_id = $2`, id, userID))
	if err != nil {
		return studio.Job{}, notFound(err, "no job %s", id)
	}
	return j, nil
}

// Jobs lists the user's jobs, newest first.
func (s *Store) Jobs(ctx context.Context, userID string) ([]studio.Job, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+jobCols+` FROM lora_jobs WHERE user_id = $1 ORDER BY created_at DESC, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("pgstore: jobs: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (studio.Job, error) { return scanJob(r) })
}

const jobCols = `id, lora_version_id, status, progress, logs_url, error, created_at, updated_at`

func scanJob(row pgx.Row) (studio.Job, error) {
	var j studio.Job
	var p float32
	err := row.Scan(&j.ID, &j.VersionID, &j.Status, &p, &j.LogsURL, &j.Error, &j.CreatedAt, &j.UpdatedAt)
	j.Progress = float64(p)
	return j, err
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// CancelJob moves the user's job that is not final to canceled, with the
// reason, and its version to failed, in one transaction. It returns the job
// as it was before (its status says whether the provider had it) and
// whether it moved; a job canceled before is returned unmoved, so a retry
// is harmless. Returns ENotFound for another user's or a missing job and
// "job_finished" (EConflict) for one that succeeded or failed.
func (s *Store) CancelJob(ctx context.Context, userID, jobID, reason string) (JobRef, bool, error) {
	if !validUUID(jobID) {
		return JobRef{}, false, studio.Errorf(studio.ENotFound, "no job %s", jobID)
	}
	var ref JobRef
	moved := false
	err := s.tx(ctx, func(tx pgx.Tx) error {
		r, err := scanRef(tx.QueryRow(ctx, `SELECT `+jobRefCols+` FROM lora_jobs j WHERE j.id = $1 AND j.user_id = $2 FOR UPDATE`, jobID, userID))
		if err != nil {
			return notFound(err, "no job %s", jobID)
		}
		ref = r
		switch r.Status {
		case studio.JobCanceled:
			return nil
		case studio.JobSucceeded, studio.JobFailed:
			return studio.Errorf(studio.EJobFinished, "this training already %s; there is nothing to cancel", r.Status)
		}
		if _, err := tx.Exec(ctx, `UPDATE lora_jobs SET status = 'canceled', error = $2, updated_at = $3 WHERE id = $1`, jobID, reason, s.Now()); err != nil {
			return err
		}
		moved = true
		_, err = tx.Exec(ctx, `UPDATE lora_versions SET status = 'failed' WHERE id = $1 AND status = 'pending'`, r.VersionID)
		return err
	})
	if err != nil {
		if studio.ErrorCode(err) != studio.EInternal {
			return JobRef{}, false, err
		}
		return JobRef{}, false, fmt.Errorf("pgstore: cancel job: %w", err)
	}
	return ref, moved, nil
}
