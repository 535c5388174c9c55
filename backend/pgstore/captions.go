package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/promptforge/lorastudio/internal/studio"
)

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// captionRunCols are the columns of a dataset's last auto-caption run.
const captionRunCols = `caption_status, caption_error, caption_count, caption_requested_at, caption_finished_at`

type captionRunRow struct {
	status, errMsg string
	count          int
	requested      *time.Time
	finished       *time.Time
}

func (r *captionRunRow) dest() []any {
	return []any{&r.status, &r.errMsg, &r.count, &r.requested, &r.finished}
}

func (r *captionRunRow) run() *studio.CaptionRun {
	if r.status == "" || r.requested == nil {
		return nil
	}
	return &studio.CaptionRun{Status: r.status, Error: r.errMsg, Captioned: r.count, RequestedAt: *r.requested, FinishedAt: r.finished}
}

func (r *captionRunRow) inProgress() bool {
	return r.status == studio.CaptionRunQueued || r.status == studio.CaptionRunRunning
}

// CaptionRunStale is how long after it was requested an unfinished run
// is taken for lost: River gives a run 5 attempts of at most 12 minutes
// with short waits between them, and rescues one whose replica died
// after an hour; a run still queued or running after this never reports
// (its River job was discarded without it), and must not refuse the
// dataset's edits and jobs for good.
const CaptionRunStale = 3 * time.Hour

// settle shows a lost run as failed.
func (r *captionRunRow) settle(now time.Time) {
	if r.inProgress() && r.requested != nil && now.Sub(*r.requested) > CaptionRunStale {
		r.status, r.errMsg = studio.CaptionRunFailed, "the captioning never finished; ask for suggestions again"
	}
}

// sourceOf is the source of a caption set to c by whoever set is: an empty
// caption is the template's.
func sourceOf(c, set string) string {
	if c == "" {
		return studio.CaptionTemplate
	}
	return set
}

func errCaptioning() error {
	return studio.Errorf(studio.ECaptioningInProgress, "the photos are being captioned; wait for the run to finish, then review the captions")
}

// lockDataset locks one of the user's datasets for a change of its
// captions and returns its status and last run. ENotFound.
func lockDataset(ctx context.Context, tx pgx.Tx, userID, datasetID string, now time.Time) (string, captionRunRow, error) {
	var status string
	var run captionRunRow
	err := tx.QueryRow(ctx, `SELECT status, `+captionRunCols+` FROM lora_datasets WHERE id = $1 AND user_id = $2 FOR NO KEY UPDATE`,
		datasetID, userID).Scan(append([]any{&status}, run.dest()...)...)
	if err != nil {
		return "", run, notFound(err, "no dataset %s", datasetID)
	}
	run.settle(now)
	return status, run, nil
}

// rehash sets a dataset's hash to studio.DatasetHash over its photos and
// their captions, as the validation computed it (the items' sha256 are
// the stripped bytes the engine hashes).
func rehash(ctx context.Context, tx pgx.Tx, datasetID string, now time.Time) error {
	items, err := datasetItems(ctx, tx, datasetID)
	if err != nil {
		return err
	}
	hashed := make([]studio.HashItem, len(items))
	for i, it := range items {
		hashed[i] = studio.HashItem{SHA256: it.SHA256, Caption: it.Caption}
	}
	_, err = tx.Exec(ctx, `UPDATE lora_datasets SET dataset_hash = $2, updated_at = $3 WHERE id = $1`, datasetID, studio.DatasetHash(hashed), now)
	return err
}

// CaptionEdit sets one photo's caption.
type CaptionEdit struct {
	PhotoID string
	Caption string
}

// SetCaptions sets captions of the user's dataset's photos and its new
// hash, in one transaction with the dataset locked; an edited caption's
// source becomes user (template when emptied). Returns invalid_caption,
// ENotFound (the dataset or a photo not of it) and captioning_in_progress
// while an auto-caption run is queued or running.
func (s *Store) SetCaptions(ctx context.Context, userID, datasetID string, edits []CaptionEdit) (studio.Dataset, []studio.DatasetItem, error) {
	if !validUUID(datasetID) {
		return studio.Dataset{}, nil, studio.Errorf(studio.ENotFound, "no dataset %s", datasetID)
	}
	for _, e := range edits {
		if err := studio.CheckCaption(e.Caption); err != nil {
			return studio.Dataset{}, nil, err
		}
		if !validUUID(e.PhotoID) {
			return studio.Dataset{}, nil, studio.Errorf(studio.ENotFound, "no photo %s in this dataset", e.PhotoID)
		}
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		_, run, err := lockDataset(ctx, tx, userID, datasetID, s.Now())
		if err != nil {
			return err
		}
		if run.inProgress() {
			return errCaptioning()
		}
		for _, e := range edits {
			tag, err := tx.Exec(ctx, `UPDATE lora_dataset_items SET caption = $3, caption_source = $4 WHERE id = $1 AND dataset_id = $2`,
				e.PhotoID, datasetID, e.Caption, sourceOf(e.Caption, studio.CaptionUser))
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return studio.Errorf(studio.ENotFound, "no photo %s in this dataset", e.PhotoID)
			}
		}
		return rehash(ctx, tx, datasetID, s.Now())
	})
	if err != nil {
		if studio.ErrorCode(err) != studio.EInternal {
			return studio.Dataset{}, nil, err
		}
		return studio.Dataset{}, nil, fmt.Errorf("pgstore: set captions: %w", err)
	}
	return s.Dataset(ctx, userID, datasetID)
}

// CaptionRequest is one auto-caption run of a dataset.
type CaptionRequest struct {
	UserID    string `json:"user_id"`
	DatasetID string `json:"dataset_id"`
	Template  string `json:"template"`  // naming the person as {trigger}
	Overwrite bool   `json:"overwrite"` // replace the captions the user wrote too
}

// CaptionEnqueuer puts an auto-caption run in the queue inside tx, the
// transaction that records it as queued. training.Queue is one; the
// Store's Queue is asked for it.
type CaptionEnqueuer interface {
	EnqueueCaption(ctx context.Context, tx pgx.Tx, r CaptionRequest) error
}

// StartCaptionRun records a queued auto-caption run of the user's
// committed dataset and enqueues it, in one transaction. Returns
// ENotFound, not_uploaded for a dataset whose photos are not all
// committed, captioning_in_progress while another run is not finished and
// captioner_unavailable without a queue that captions.
func (s *Store) StartCaptionRun(ctx context.Context, r CaptionRequest) (studio.CaptionRun, error) {
	if !validUUID(r.DatasetID) {
		return studio.CaptionRun{}, studio.Errorf(studio.ENotFound, "no dataset %s", r.DatasetID)
	}
	q, ok := s.Queue.(CaptionEnqueuer)
	if !ok {
		return studio.CaptionRun{}, studio.Errorf(studio.ECaptionerUnavailable, "this server has no GPU worker that captions photos")
	}
	run := studio.CaptionRun{Status: studio.CaptionRunQueued, RequestedAt: s.Now()}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		status, cur, err := lockDataset(ctx, tx, r.UserID, r.DatasetID, s.Now())
		if err != nil {
			return err
		}
		if status == studio.DatasetDraft {
			return studio.Errorf(studio.ENotUploaded, "commit every photo of the dataset before captioning it")
		}
		if cur.inProgress() {
			return errCaptioning()
		}
		if _, err := tx.Exec(ctx,
			`UPDATE lora_datasets SET caption_status = $2, caption_error = '', caption_count = 0, caption_requested_at = $3, caption_finished_at = NULL
			 WHERE id = $1`, r.DatasetID, run.Status, run.RequestedAt); err != nil {
			return err
		}
		if err := q.EnqueueCaption(ctx, tx, r); err != nil {
			return fmt.Errorf("enqueue caption run: %w", err)
		}
		return nil
	})
	if err != nil {
		if studio.ErrorCode(err) != studio.EInternal {
			return studio.CaptionRun{}, err
		}
		return studio.CaptionRun{}, fmt.Errorf("pgstore: start caption run: %w", err)
	}
	return run, nil
}

// BeginCaptionRun marks the dataset's queued (or, on a retry, running) run
// running and returns its photos. It reports false when there is nothing
// to do: the dataset was deleted or the run already finished.
func (s *Store) BeginCaptionRun(ctx context.Context, userID, datasetID string) ([]studio.DatasetItem, bool, error) {
	tag, err := s.pool.Exec(ctx,
		`UPDATE lora_datasets SET caption_status = 'running' WHERE id = $1 AND user_id = $2 AND caption_status IN ('queued', 'running')`,
		datasetID, userID)
	if err != nil {
		return nil, false, fmt.Errorf("pgstore: begin caption run: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil, false, nil
	}
	items, err := datasetItems(ctx, s.pool, datasetID)
	return items, err == nil, err
}

// FinishCaptionRun writes a running run's captions (by photo id) with
// source auto, leaving alone the captions the user wrote unless
// overwrite, recomputes the dataset's hash and marks the run done with
// the count written, in one transaction. It reports false when the run
// was no longer running (failed meanwhile, dataset deleted): nothing is
// written.
func (s *Store) FinishCaptionRun(ctx context.Context, datasetID string, captions map[string]string, overwrite bool) (int, bool, error) {
	n, done := 0, false
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var status string
		err := tx.QueryRow(ctx, `SELECT caption_status FROM lora_datasets WHERE id = $1 FOR NO KEY UPDATE`, datasetID).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && status != studio.CaptionRunRunning) {
			return nil
		}
		if err != nil {
			return err
		}
		for id, c := range captions {
			tag, err := tx.Exec(ctx,
				`UPDATE lora_dataset_items SET caption = $3, caption_source = $4
				 WHERE id = $1 AND dataset_id = $2 AND ($5 OR caption_source <> 'user')`,
				id, datasetID, c, sourceOf(c, studio.CaptionAuto), overwrite)
			if err != nil {
				return err
			}
			n += int(tag.RowsAffected())
		}
		now := s.Now()
		if err := rehash(ctx, tx, datasetID, now); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE lora_datasets SET caption_status = 'done', caption_count = $2, caption_finished_at = $3 WHERE id = $1`,
			datasetID, n, now)
		done = err == nil
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("pgstore: finish caption run: %w", err)
	}
	return n, done, nil
}

// FailCaptionRun marks the dataset's unfinished run failed with msg, for
// a person to read.
func (s *Store) FailCaptionRun(ctx context.Context, datasetID, msg string) error {
	_, err := s.pool.Exec(ctx,
		`UPDATE lora_datasets SET caption_status = 'failed', caption_error = $2, caption_finished_at = $3
		 WHERE id = $1 AND caption_status IN ('queued', 'running')`, datasetID, msg, s.Now())
	if err != nil {
		return fmt.Errorf("pgstore: fail caption run: %w", err)
	}
	return nil
}
