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
}

// WithdrawConsent marks every live consent of the user withdrawn and
// deletes their models, datasets, photos' rows, versions, jobs and active
// identity in one transaction. The caller erases the stored objects first:
// if that fails, nothing here has happened and the user can retry.
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
		// Cascades take datasets, items, uploads, versions, jobs and the identity.
		_, err = tx.Exec(ctx, `DELETE FROM lora_models WHERE user_id = $1`, userID)
		return err
	})
	if err != nil {
		return Erasure{}, fmt.Errorf("pgstore: withdraw consent: %w", err)
	}
	return e, nil
}
