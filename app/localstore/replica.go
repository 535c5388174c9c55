package localstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The server owns jobs, versions and the active identity; the desktop keeps
// the last copy it saw, so the app shows the truth after a restart even
// before (or without) the network.

// VersionRow is a server version as replicated here.
type VersionRow struct {
	ID          string
	Number      int
	BaseModel   string
	DatasetHash string
	Status      string
	CreatedAt   time.Time
}

// IdentityRow is the active identity as replicated here.
type IdentityRow struct {
	VersionID      string
	Weight         float64
	TargetPlatform string
}

// JobRow is a training job as replicated here.
type JobRow struct {
	ID        string
	VersionID string
	Status    string
	Progress  float64
	LogsURL   string
	Error     string
}

// ReplaceVersions makes the local copy of the user's versions and active
// identity equal to the server's, under the local model named "me".
func (s *Store) ReplaceVersions(ctx context.Context, vs []VersionRow, active *IdentityRow) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("localstore: %w", err)
	}
	defer tx.Rollback()
	var model string
	err = tx.QueryRowContext(ctx, `SELECT id FROM lora_models WHERE name = 'me'`).Scan(&model)
	if errors.Is(err, sql.ErrNoRows) {
		model = NewID()
		_, err = tx.ExecContext(ctx, `INSERT INTO lora_models (id, name) VALUES (?, 'me')`, model)
	}
	if err != nil {
		return fmt.Errorf("localstore: replica model: %w", err)
	}
	keep := make([]any, 0, len(vs)+1)
	keep = append(keep, model)
	for _, v := range vs {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO lora_versions (id, lora_model_id, version_number, base_model, dataset_hash, status, created_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?)
			 ON CONFLICT (id) DO UPDATE SET status = excluded.status, dataset_hash = excluded.dataset_hash`,
			v.ID, model, v.Number, v.BaseModel, v.DatasetHash, v.Status, v.CreatedAt.UTC().Format(time.RFC3339Nano)); err != nil {
			return fmt.Errorf("localstore: replica version: %w", err)
		}
		keep = append(keep, v.ID)
	}
	// Versions the server no longer has (erased on withdrawal) go here too.
	q := `DELETE FROM lora_versions WHERE lora_model_id = ?`
	if len(vs) > 0 {
		q += ` AND id NOT IN (?` + strings.Repeat(`, ?`, len(vs)-1) + `)`
	}
	if _, err := tx.ExecContext(ctx, q, keep...); err != nil {
		return fmt.Errorf("localstore: replica prune: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_identity_active`); err != nil {
		return fmt.Errorf("localstore: replica identity: %w", err)
	}
	if active != nil {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO user_identity_active (id, lora_model_id, lora_version_id, weight, target_platform, updated_at)
			 SELECT 1, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM lora_versions WHERE id = ?)`,
			model, active.VersionID, active.Weight, active.TargetPlatform, s.Now().UTC().Format(time.RFC3339Nano), active.VersionID); err != nil {
			return fmt.Errorf("localstore: replica identity: %w", err)
		}
	}
	return tx.Commit()
}

// Versions returns the replicated versions, newest first, and the active
// identity (nil when none).
func (s *Store) Versions(ctx context.Context) ([]VersionRow, *IdentityRow, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT id, version_number, base_model, dataset_hash, status, created_at FROM lora_versions ORDER BY version_number DESC`)
	if err != nil {
		return nil, nil, fmt.Errorf("localstore: versions: %w", err)
	}
	defer rows.Close()
	vs := []VersionRow{}
	for rows.Next() {
		var v VersionRow
		var at string
		if err := rows.Scan(&v.ID, &v.Number, &v.BaseModel, &v.DatasetHash, &v.Status, &at); err != nil {
			return nil, nil, fmt.Errorf("localstore: versions: %w", err)
		}
		v.CreatedAt, _ = time.Parse(time.RFC3339Nano, at)
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	var id IdentityRow
	err = s.db.QueryRowContext(ctx, `SELECT lora_version_id, weight, target_platform FROM user_identity_active WHERE id = 1`).
		Scan(&id.VersionID, &id.Weight, &id.TargetPlatform)
	if errors.Is(err, sql.ErrNoRows) {
		return vs, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("localstore: identity: %w", err)
	}
	return vs, &id, nil
}

// SaveJob keeps the last state seen of a job; one whose version is not
// replicated yet is kept once it is.
func (s *Store) SaveJob(ctx context.Context, j JobRow) (saved bool, err error) {
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO lora_jobs (id, lora_version_id, status, progress, logs_url, error, updated_at)
		 SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM lora_versions WHERE id = ?)
		 ON CONFLICT (id) DO UPDATE SET status = excluded.status, progress = excluded.progress,
		   logs_url = excluded.logs_url, error = excluded.error, updated_at = excluded.updated_at`,
		j.ID, j.VersionID, j.Status, j.Progress, j.LogsURL, j.Error, s.Now().UTC().Format(time.RFC3339Nano), j.VersionID)
	if err != nil {
		return false, fmt.Errorf("localstore: save job: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// LastJob returns the most recently updated job. Returns ENotFound.
func (s *Store) LastJob(ctx context.Context) (JobRow, error) {
	var j JobRow
	err := s.db.QueryRowContext(ctx,
		`SELECT id, lora_version_id, status, progress, logs_url, error FROM lora_jobs ORDER BY updated_at DESC LIMIT 1`).
		Scan(&j.ID, &j.VersionID, &j.Status, &j.Progress, &j.LogsURL, &j.Error)
	if errors.Is(err, sql.ErrNoRows) {
		return JobRow{}, notFoundErr("no training job yet")
	}
	if err != nil {
		return JobRow{}, fmt.Errorf("localstore: last job: %w", err)
	}
	return j, nil
}
