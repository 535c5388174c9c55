package localstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
)

// Item is one imported photo of the draft dataset.
type Item struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	OriginalPath string `json:"original_path"`
	LocalPath    string `json:"local_path"`
	SHA256       string `json:"sha256"`
	Size         int64  `json:"size"`
	State        string `json:"state"` // imported, checking, ok, warning, error
	// Caption names the person as {trigger}; "" stands for the caption
	// template. CaptionSource is template, user or auto (the worker's
	// captioner, not yet reviewed); CaptionSent is false while an edit
	// made after the upload has not reached the server.
	Caption       string `json:"caption"`
	CaptionSource string `json:"caption_source"`
	CaptionSent   bool   `json:"caption_sent"`
}

// NewID returns a random id for local rows (UUID v4 text).
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// DraftDataset returns the id of the dataset the user is assembling,
// creating the model "me" and a draft on first use.
func (s *Store) DraftDataset(ctx context.Context) (string, error) {
	var id string
	err := s.db.QueryRowContext(ctx,
		`SELECT id FROM lora_datasets WHERE status IN ('draft', 'validated', 'rejected') ORDER BY created_at DESC LIMIT 1`).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("localstore: draft: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("localstore: %w", err)
	}
	defer tx.Rollback()
	var model string
	err = tx.QueryRowContext(ctx, `SELECT id FROM lora_models WHERE name = 'me'`).Scan(&model)
	if errors.Is(err, sql.ErrNoRows) {
		model = NewID()
		_, err = tx.ExecContext(ctx, `INSERT INTO lora_models (id, name) VALUES (?, 'me')`, model)
	}
	if err != nil {
		return "", fmt.Errorf("localstore: model: %w", err)
	}
	id = NewID()
	if _, err := tx.ExecContext(ctx, `INSERT INTO lora_datasets (id, lora_model_id) VALUES (?, ?)`, id, model); err != nil {
		return "", fmt.Errorf("localstore: draft: %w", err)
	}
	return id, tx.Commit()
}

// HasItem reports whether originalPath is already imported into dataset.
func (s *Store) HasItem(ctx context.Context, datasetID, originalPath string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx,
		`SELECT count(*) FROM lora_dataset_items WHERE dataset_id = ? AND original_path = ?`, datasetID, originalPath).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("localstore: %w", err)
	}
	return n > 0, nil
}

// AddItem records an imported photo whose copy is already on disk. A
// second import of the same original is ignored, so an import interrupted
// by a crash can simply run again. Reports whether a row was added.
func (s *Store) AddItem(ctx context.Context, datasetID string, it Item) (bool, error) {
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO lora_dataset_items (id, dataset_id, name, original_path, local_path, sha256, size_bytes)
		 VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dataset_id, original_path) DO NOTHING`,
		it.ID, datasetID, it.Name, it.OriginalPath, it.LocalPath, it.SHA256, it.Size)
	if err != nil {
		return false, fmt.Errorf("localstore: add item: %w", err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		if err := s.touchDataset(ctx, datasetID); err != nil {
			return false, err
		}
	}
	return n > 0, nil
}

// touchDataset recounts a dataset and makes it a draft again: any change to
// its photos invalidates the last validation.
func (s *Store) touchDataset(ctx context.Context, datasetID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE lora_datasets SET
		image_count = (SELECT count(*) FROM lora_dataset_items WHERE dataset_id = ?1),
		status = 'draft', updated_at = ?2 WHERE id = ?1`, datasetID, s.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("localstore: %w", err)
	}
	return nil
}

// Items lists the dataset's photos by name.
func (s *Store) Items(ctx context.Context, datasetID string) ([]Item, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT `+itemColumns+` FROM lora_dataset_items WHERE dataset_id = ? ORDER BY name, id`, datasetID)
	if err != nil {
		return nil, fmt.Errorf("localstore: items: %w", err)
	}
	defer rows.Close()
	items := []Item{}
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, fmt.Errorf("localstore: items: %w", err)
		}
		items = append(items, it)
	}
	return items, rows.Err()
}

// RemoveItem deletes one photo's row and returns it, so the caller can
// delete its copy. Returns ENotFound.
func (s *Store) RemoveItem(ctx context.Context, datasetID, id string) (Item, error) {
	var it Item
	err := s.db.QueryRowContext(ctx,
		`DELETE FROM lora_dataset_items WHERE dataset_id = ? AND id = ? RETURNING id, name, local_path`, datasetID, id).
		Scan(&it.ID, &it.Name, &it.LocalPath)
	if errors.Is(err, sql.ErrNoRows) {
		return Item{}, studio.Errorf(studio.ENotFound, "no photo %s in this dataset", id)
	}
	if err != nil {
		return Item{}, fmt.Errorf("localstore: remove item: %w", err)
	}
	return it, s.touchDataset(ctx, datasetID)
}

// SaveReport stores a validation report and each photo's resulting state in
// one transaction.
func (s *Store) SaveReport(ctx context.Context, datasetID string, report []byte, hash string, ok bool, states map[string]string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("localstore: %w", err)
	}
	defer tx.Rollback()
	status := studio.DatasetRejected
	if ok {
		status = studio.DatasetValidated
	}
	if _, err := tx.ExecContext(ctx,
		`UPDATE lora_datasets SET quality_report_json = ?, dataset_hash = ?, status = ?, updated_at = ? WHERE id = ?`,
		string(report), hash, status, s.Now().UTC().Format(time.RFC3339Nano), datasetID); err != nil {
		return fmt.Errorf("localstore: save report: %w", err)
	}
	for id, state := range states {
		if _, err := tx.ExecContext(ctx, `UPDATE lora_dataset_items SET state = ? WHERE id = ? AND dataset_id = ?`, state, id, datasetID); err != nil {
			return fmt.Errorf("localstore: save report: %w", err)
		}
	}
	return tx.Commit()
}

// Report returns the dataset's last report, or nil if it has none or its
// photos changed since.
func (s *Store) Report(ctx context.Context, datasetID string) ([]byte, string, error) {
	var rep sql.NullString
	var status string
	err := s.db.QueryRowContext(ctx, `SELECT quality_report_json, status FROM lora_datasets WHERE id = ?`, datasetID).Scan(&rep, &status)
	if err != nil {
		return nil, "", fmt.Errorf("localstore: report: %w", err)
	}
	if status == studio.DatasetDraft || !rep.Valid {
		return nil, status, nil
	}
	return []byte(rep.String), status, nil
}
