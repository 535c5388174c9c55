package pgstore

import (
	"context"
	"errors"
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
	TextLanguage  string // BCP 47 tag of the text the user read ("en", "pt-BR")
	AttestSelf    bool
	Purpose       string
	Processors    []string
	RetentionDays int
	CreatedAt     time.Time
	WithdrawnAt   *time.Time // when it ended, nil while it is live
	EndedReason   string     // EndWithdrawn or EndRetention once it ended
}

// Why a consent ended.
const (
	EndWithdrawn = "withdrawn" // the user withdrew it
	EndRetention = "retention" // its retention period ran out (see ExpiredConsents)
)

// Expires is when the retention period of c runs out: RetentionDays whole
// days after the consent was given. The consent text promises deletion after
// the period "shown when you give consent", so the clock starts then, not at
// the last upload or training.
func (c Consent) Expires() time.Time {
	return c.CreatedAt.AddDate(0, 0, c.RetentionDays)
}

const consentCols = `id, user_id, text_version, text_sha256, text_language, attest_self, purpose, processors, retention_days, created_at, withdrawn_at, coalesce(ended_reason, '')`

func scanConsent(row pgx.Row) (Consent, error) {
	var c Consent
	err := row.Scan(&c.ID, &c.UserID, &c.TextVersion, &c.TextSHA256, &c.TextLanguage, &c.AttestSelf, &c.Purpose, &c.Processors, &c.RetentionDays, &c.CreatedAt, &c.WithdrawnAt, &c.EndedReason)
	return c, err
}

// RecordConsent stores c with the server's timestamp. c.TextLanguage is
// required.
func (s *Store) RecordConsent(ctx context.Context, c Consent) (Consent, error) {
	if c.TextLanguage == "" {
		return Consent{}, fmt.Errorf("pgstore: record consent: no text language")
	}
	err := s.pool.QueryRow(ctx,
		`INSERT INTO consents (user_id, text_version, text_sha256, text_language, attest_self, purpose, processors, retention_days, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, created_at`,
		c.UserID, c.TextVersion, c.TextSHA256, c.TextLanguage, c.AttestSelf, c.Purpose, c.Processors, c.RetentionDays, s.Now(),
	).Scan(&c.ID, &c.CreatedAt)
	if err != nil {
		return Consent{}, fmt.Errorf("pgstore: record consent: %w", err)
	}
	return c, nil
}

// LatestConsent returns the user's newest consent that is not withdrawn.
// Returns ENotFound when there is none.
func (s *Store) LatestConsent(ctx context.Context, userID string) (Consent, error) {
	c, err := scanConsent(s.pool.QueryRow(ctx,
		`SELECT `+consentCols+` FROM consents WHERE user_id = $1 AND withdrawn_at IS NULL ORDER BY created_at DESC LIMIT 1`, userID))
	if err != nil {
		return Consent{}, notFound(err, "no consent on record")
	}
	return c, nil
}

// LastConsent returns the user's newest consent, live or ended: it says why
// a user without a live consent lost it. Returns ENotFound when the user
// never consented.
func (s *Store) LastConsent(ctx context.Context, userID string) (Consent, error) {
	c, err := scanConsent(s.pool.QueryRow(ctx,
		`SELECT `+consentCols+` FROM consents WHERE user_id = $1 ORDER BY created_at DESC, withdrawn_at DESC NULLS FIRST LIMIT 1`, userID))
	if err != nil {
		return Consent{}, notFound(err, "no consent on record")
	}
	return c, nil
}

// ExpiredConsents returns up to limit consents, one per user, that are their
// user's newest live consent and whose retention period ran out at now
// (Consent.Expires), oldest first.
func (s *Store) ExpiredConsents(ctx context.Context, now time.Time, limit int) ([]Consent, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+consentCols+` FROM (
			SELECT DISTINCT ON (user_id) * FROM consents WHERE withdrawn_at IS NULL ORDER BY user_id, created_at DESC) c
		WHERE created_at + retention_days * interval '1 day' <= $1
		ORDER BY created_at LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: expired consents: %w", err)
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Consent, error) { return scanConsent(r) })
	if err != nil {
		return nil, fmt.Errorf("pgstore: expired consents: %w", err)
	}
	return cs, nil
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

// Ending says why and when a user's consent ends.
type Ending struct {
	Reason string    // EndWithdrawn or EndRetention
	At     time.Time // default s.Now()
	// Consent, if set, is the consent that ends: the erasure happens only
	// while it is still the user's newest live consent, else EndConsent
	// returns ErrConsentRenewed. The purge sets it, so a consent given (or
	// an erasure done) after it found the expired one is left alone.
	Consent string
}

// ErrConsentRenewed says EndConsent found the Ending's consent no longer the
// user's newest live one: withdrawn, expired by another replica, or
// followed by a new consent. Nothing was erased.
var ErrConsentRenewed = errors.New("pgstore: the consent is no longer the user's newest live one")

// WithdrawConsent ends the user's consent at their request: EndConsent with
// EndWithdrawn.
func (s *Store) WithdrawConsent(ctx context.Context, userID string) (Erasure, error) {
	return s.EndConsent(ctx, userID, Ending{Reason: EndWithdrawn})
}

// EndConsent marks every live consent of the user ended (withdrawn_at and
// the reason) and deletes their models, datasets, photos' rows, versions,
// jobs, idempotency keys and active identity in one transaction, leaving a
// tombstone per job (its id and artifact key), recording the erased keys
// for a second sweep (see SweepDelay) and listing the live jobs in
// Erasure.Canceled. The caller (erasure.Eraser) erases the stored objects
// first: if that fails, nothing here has happened and a retry finishes.
// Returns ErrConsentRenewed as Ending.Consent says.
func (s *Store) EndConsent(ctx context.Context, userID string, end Ending) (Erasure, error) {
	if end.Reason != EndWithdrawn && end.Reason != EndRetention {
		return Erasure{}, fmt.Errorf("pgstore: end consent: unknown reason %q", end.Reason)
	}
	if end.At.IsZero() {
		end.At = s.Now()
	}
	var e Erasure
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if end.Consent != "" {
			// Locks the consent: a replica expiring it at the same time
			// waits here, then finds it ended.
			var newest string
			err := tx.QueryRow(ctx, `SELECT id FROM consents WHERE user_id = $1 AND withdrawn_at IS NULL
				ORDER BY created_at DESC LIMIT 1 FOR UPDATE`, userID).Scan(&newest)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			if newest != end.Consent {
				return ErrConsentRenewed
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE consents SET withdrawn_at = $2, ended_reason = $3 WHERE user_id = $1 AND withdrawn_at IS NULL`,
			userID, end.At, end.Reason)
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
		return Erasure{}, fmt.Errorf("pgstore: end consent (%s): %w", end.Reason, err)
	}
	return e, nil
}
