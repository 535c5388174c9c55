package localstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/promptforge/lorastudio/internal/consent"
	"github.com/promptforge/lorastudio/internal/studio"
)

// Consent is a consent recorded on this computer.
type Consent struct {
	ID          string
	TextVersion string
	TextSHA256  string
	// TextLanguage is the BCP 47 tag of the text the user read and
	// accepted ("en", "pt-BR"): the language of TextVersion.
	TextLanguage  string
	Purpose       string
	Processors    string // JSON array
	RetentionDays int
	ServerID      string
	CreatedAt     time.Time
}

// RecordConsent stores a new consent to the text of c.TextVersion, with its
// language: c.TextLanguage, or when empty the language of that version's
// text. Returns EInvalid when TextLanguage is not the language of a text in
// force with that version, or is empty and no text in force has it, and
// when TextSHA256 is not the hash of the text in force with that version.
func (s *Store) RecordConsent(ctx context.Context, c Consent) error {
	t, inForce := consent.ByVersion(c.TextVersion)
	switch {
	case c.TextLanguage == "" && !inForce:
		return studio.Errorf(studio.EInvalid, "consent text %q is not in force; say its language", c.TextVersion)
	case c.TextLanguage == "":
		c.TextLanguage = t.Language
	case inForce && c.TextLanguage != t.Language:
		return studio.Errorf(studio.EInvalid, "consent text %s is in %s, not %s", c.TextVersion, t.Language, c.TextLanguage)
	}
	if inForce && c.TextSHA256 != t.SHA256 {
		return studio.Errorf(studio.EInvalid, "the hash given is not that of consent text %s (%s)", c.TextVersion, t.Language)
	}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO consents (id, text_version, text_sha256, text_language, attest_self, purpose, processors, retention_days, created_at)
		 VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)`,
		c.ID, c.TextVersion, c.TextSHA256, c.TextLanguage, c.Purpose, c.Processors, c.RetentionDays, s.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("localstore: record consent: %w", err)
	}
	return nil
}

// LatestConsent returns the newest consent not withdrawn. Returns ENotFound.
func (s *Store) LatestConsent(ctx context.Context) (Consent, error) {
	var c Consent
	var server sql.NullString
	var at string
	err := s.db.QueryRowContext(ctx,
		`SELECT id, text_version, text_sha256, text_language, purpose, processors, retention_days, server_id, created_at
		 FROM consents WHERE withdrawn_at IS NULL ORDER BY created_at DESC LIMIT 1`).
		Scan(&c.ID, &c.TextVersion, &c.TextSHA256, &c.TextLanguage, &c.Purpose, &c.Processors, &c.RetentionDays, &server, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Consent{}, studio.Errorf(studio.ENotFound, "no consent on record")
	}
	if err != nil {
		return Consent{}, fmt.Errorf("localstore: consent: %w", err)
	}
	c.ServerID = server.String
	c.CreatedAt, _ = time.Parse(time.RFC3339Nano, at)
	return c, nil
}

// EraseDatasets withdraws every consent and deletes every dataset and photo
// row in one transaction, returning how many photos it removed.
func (s *Store) EraseDatasets(ctx context.Context) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("localstore: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM lora_dataset_items`).Scan(&n); err != nil {
		return 0, fmt.Errorf("localstore: erase: %w", err)
	}
	now := s.Now().UTC().Format(time.RFC3339Nano)
	for _, q := range []string{
		`UPDATE consents SET withdrawn_at = ? WHERE withdrawn_at IS NULL`,
		`DELETE FROM lora_models WHERE ? IS NOT NULL`,  // cascades: datasets, items, versions, jobs, identity
		`DELETE FROM sync_uploads WHERE ? IS NOT NULL`, // cascades: the upload sessions' files and parts
	} {
		if _, err := tx.ExecContext(ctx, q, now); err != nil {
			return 0, fmt.Errorf("localstore: erase: %w", err)
		}
	}
	return n, tx.Commit()
}

// SetConsentServerID notes that the server recorded the local consent id
// as serverID; an empty serverID says it has not (another account, say).
func (s *Store) SetConsentServerID(ctx context.Context, id, serverID string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE consents SET server_id = NULLIF(?, '') WHERE id = ?`, serverID, id); err != nil {
		return fmt.Errorf("localstore: consent server id: %w", err)
	}
	return nil
}
