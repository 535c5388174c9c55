package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Consent is one recorded consent.
type Consent struct {
	ID            string
	UserID        string
	TextVersion   string
	TextSHA256    string
	AttestSelf    bool
	Purpose       string
	Processors    []string
	RetentionDays int
	CreatedAt     time.Time
	WithdrawnAt   *time.Time
}

// RecordConsent stores c with the server's timestamp.
func (s *Store) RecordConsent(ctx context.Context, c Consent) (Consent, error) {
	err := s.pool.QueryRow(ctx,
		`INSERT INTO consents (user_id, text_version, text_sha256, attest_self, purpose, processors, retention_days, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, created_at`,
		c.UserID, c.TextVersion, c.TextSHA256, c.AttestSelf, c.Purpose, c.Processors, c.RetentionDays, s.Now(),
	).Scan(&c.ID, &c.CreatedAt)
	if err != nil {
		return Consent{}, fmt.Errorf("pgstore: record consent: %w", err)
	}
	return c, nil
}

// LatestConsent returns the user's newest consent that is not withdrawn.
// Returns ENotFound when there is none.
func (s *Store) LatestConsent(ctx context.Context, userID string) (Consent, error) {
	var c Consent
	err := s.pool.QueryRow(ctx,
		`SELECT id, user_id, text_version, text_sha256, attest_self, purpose, processors, retention_days, created_at
		 FROM consents WHERE user_id = $1 AND withdrawn_at IS NULL ORDER BY created_at DESC LIMIT 1`, userID,
	).Scan(&c.ID, &c.UserID, &c.TextVersion, &c.TextSHA256, &c.AttestSelf, &c.Purpose, &c.Processors, &c.RetentionDays, &c.CreatedAt)
	if err != nil {
		return Consent{}, notFound(err, "no consent on record")
	}
	return c, nil
}

// Erasure counts what a withdrawal removed.
type Erasure struct {
	Consents int `json:"consents_withdrawn"`
	Datasets int `json:"datasets_erased"`
	Items    int `json:"photos_erased"`
	Versions int `json:"versions_erased"`
	Jobs     int `json:"jobs_canceled"`
	// Canceled lists the jobs that were still live, for the caller to tell
	// their provider to stop.
	Canceled []JobRef `json:"-"`
}

// WithdrawConsent marks every live consent of the user withdrawn and
// deletes their models, datasets, photos' rows, versions, jobs, idempotency
// keys and active identity in one transaction, leaving a tombstone per job
// (its id and artifact key), recording the erased keys for a second sweep
// (see SweepDelay) and listing the live jobs in Erasure.Canceled. The caller
// erases the stored objects first: if that fails, nothing here has happened
// and the user can retry.
func (s *Store) WithdrawConsent(ctx context.Context, userID string) (Erasure, error) {
	var e Erasure
	err := s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE consents SET withdrawn_at = $2 WHERE user_id = $1 AND withdrawn_at IS NULL`, userID, s.Now())
		if err != nil {
			return err
		}
		e.Consents = int(tag.RowsAffected())
		if err := tx.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM lora_datasets WHERE user_id = $1),
			(SELECT count(*) FROM lora_dataset_items i JOIN lora_datasets d ON d.id = i.dataset_id WHERE d.user_id = $1),
			(SELECT count(*) FROM lora_versions WHERE user_id = $1)`, userID).Scan(&e.Datasets, &e.Items, &e.Versions); err != nil {
			return err
		}
		// Tombstones first: a late webhook of an erased job finds its
		// artifact key there and deletes, never restores, the bytes.
		rows, err := tx.Query(ctx, `SELECT `+jobRefCols+` FROM lora_jobs j
			WHERE j.user_id = $1 AND j.status IN ('queued', 'dispatched', 'running')`, userID)
		if err != nil {
			return err
		}
		if e.Canceled, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (JobRef, error) { return scanRef(r) }); err != nil {
			return err
		}
		e.Jobs = len(e.Canceled)
		if _, err := tx.Exec(ctx, `INSERT INTO erased_jobs (job_id, artifact_key, erased_at)
			SELECT id, artifact_key, $2 FROM lora_jobs WHERE user_id = $1 ON CONFLICT DO NOTHING`, userID, s.Now()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE user_id = $1`, userID); err != nil {
			return err
		}
		// Every place a URL signed before now could still write to: each
		// dataset's folder, each job's artifact and images zip.
		rows, err = tx.Query(ctx, `SELECT $2 || 'datasets/' || id || '/' FROM lora_datasets WHERE user_id = $1
			UNION ALL SELECT artifact_key FROM lora_jobs WHERE user_id = $1 AND artifact_key <> ''
			UNION ALL SELECT $2 || 'jobs/' || id || '/' FROM lora_jobs WHERE user_id = $1`, userID, KeyPrefix(userID))
		if err != nil {
			return err
		}
		keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if err := s.markErased(ctx, tx, keys); err != nil {
			return err
		}
		// Cascades take datasets, items, uploads, versions, jobs and the identity.
		_, err = tx.Exec(ctx, `DELETE FROM lora_models WHERE user_id = $1`, userID)
		return err
	})
	if err != nil {
		return Erasure{}, fmt.Errorf("pgstore: withdraw consent: %w", err)
	}
	return e, nil
}
