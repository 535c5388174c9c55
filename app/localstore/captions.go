package localstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

const itemColumns = `id, name, original_path, local_path, sha256, size_bytes, state, caption, caption_source, caption_sent`

type scanner interface{ Scan(dest ...any) error }

func scanItem(r scanner) (Item, error) {
	var it Item
	err := r.Scan(&it.ID, &it.Name, &it.OriginalPath, &it.LocalPath, &it.SHA256, &it.Size, &it.State,
		&it.Caption, &it.CaptionSource, &it.CaptionSent)
	return it, err
}

// CaptionSourceOf is the source of a caption the user typed: an empty one
// is the template.
func CaptionSourceOf(caption string) string {
	if caption == "" {
		return studio.CaptionTemplate
	}
	return studio.CaptionUser
}

// SetCaption stores the user's caption of one photo (checked by the
// caller) and returns the photo. sent says whether the server has it
// already: false for an edit made after the upload, until MarkCaptionsSent.
// Captions do not change what validation found, so the dataset stays
// validated, but they are part of its hash, which is recomputed. Returns
// ENotFound.
func (s *Store) SetCaption(ctx context.Context, datasetID, itemID, caption string, sent bool) (Item, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Item{}, fmt.Errorf("localstore: %w", err)
	}
	defer tx.Rollback()
	it, err := scanItem(tx.QueryRowContext(ctx,
		`UPDATE lora_dataset_items SET caption = ?, caption_source = ?, caption_sent = ? WHERE dataset_id = ? AND id = ?
		 RETURNING `+itemColumns, caption, CaptionSourceOf(caption), sent, datasetID, itemID))
	if errors.Is(err, sql.ErrNoRows) {
		return Item{}, studio.Errorf(studio.ENotFound, "no photo %s in this dataset", itemID)
	}
	if err != nil {
		return Item{}, fmt.Errorf("localstore: set caption: %w", err)
	}
	if err := s.rehash(ctx, tx, datasetID); err != nil {
		return Item{}, err
	}
	return it, tx.Commit()
}

// ServerCaption is a caption as the server has it, for the photo ItemID.
type ServerCaption struct {
	ItemID  string
	Caption string
	Source  string // template, user or auto
}

// ApplyServerCaptions stores the server's captions (after an auto-caption
// run) as sent. An edit made here that has not reached the server yet is
// newer than what the server has and is kept. Returns how many photos
// changed.
func (s *Store) ApplyServerCaptions(ctx context.Context, datasetID string, caps []ServerCaption) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("localstore: %w", err)
	}
	defer tx.Rollback()
	n := 0
	for _, c := range caps {
		res, err := tx.ExecContext(ctx,
			`UPDATE lora_dataset_items SET caption = ?, caption_source = ?, caption_sent = 1
			 WHERE dataset_id = ? AND id = ? AND caption_sent = 1 AND (caption <> ?1 OR caption_source <> ?2)`,
			c.Caption, c.Source, datasetID, c.ItemID)
		if err != nil {
			return 0, fmt.Errorf("localstore: apply captions: %w", err)
		}
		k, _ := res.RowsAffected()
		n += int(k)
	}
	if err := s.rehash(ctx, tx, datasetID); err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

// AcceptAutoCaptions makes every caption the captioner wrote the user's
// own, reviewed, to be sent to the server. Returns how many there were.
func (s *Store) AcceptAutoCaptions(ctx context.Context, datasetID string) (int, error) {
	res, err := s.db.ExecContext(ctx,
		`UPDATE lora_dataset_items SET caption_source = ?, caption_sent = 0 WHERE dataset_id = ? AND caption_source = ?`,
		studio.CaptionUser, datasetID, studio.CaptionAuto)
	if err != nil {
		return 0, fmt.Errorf("localstore: accept captions: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// MarkCaptionsSent records that the server has these photos' captions, as
// they were sent: a photo edited again since keeps its newer edit unsent.
func (s *Store) MarkCaptionsSent(ctx context.Context, datasetID string, sent []Item) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("localstore: %w", err)
	}
	defer tx.Rollback()
	for _, it := range sent {
		if _, err := tx.ExecContext(ctx,
			`UPDATE lora_dataset_items SET caption_sent = 1 WHERE dataset_id = ? AND id = ? AND caption = ?`,
			datasetID, it.ID, it.Caption); err != nil {
			return fmt.Errorf("localstore: mark captions sent: %w", err)
		}
	}
	return tx.Commit()
}

// MarkAllCaptionsSent records that the server has every caption of the
// dataset: what an upload does, which declares each photo's caption.
func (s *Store) MarkAllCaptionsSent(ctx context.Context, datasetID string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE lora_dataset_items SET caption_sent = 1 WHERE dataset_id = ?`, datasetID); err != nil {
		return fmt.Errorf("localstore: mark captions sent: %w", err)
	}
	return nil
}

// CaptionRun returns the dataset's last auto-caption run as the server
// last reported it, nil when there was none.
func (s *Store) CaptionRun(ctx context.Context, datasetID string) (*wire.CaptionRun, error) {
	var raw string
	if err := s.db.QueryRowContext(ctx, `SELECT caption_run_json FROM lora_datasets WHERE id = ?`, datasetID).Scan(&raw); err != nil {
		return nil, fmt.Errorf("localstore: caption run: %w", err)
	}
	if raw == "" {
		return nil, nil
	}
	var run wire.CaptionRun
	if err := json.Unmarshal([]byte(raw), &run); err != nil {
		return nil, fmt.Errorf("localstore: caption run: %w", err)
	}
	return &run, nil
}

// SetCaptionRun records the state of the dataset's auto-caption run; nil
// forgets it.
func (s *Store) SetCaptionRun(ctx context.Context, datasetID string, run *wire.CaptionRun) error {
	raw := ""
	if run != nil {
		b, err := json.Marshal(run)
		if err != nil {
			return fmt.Errorf("localstore: caption run: %w", err)
		}
		raw = string(b)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE lora_datasets SET caption_run_json = ?, updated_at = ? WHERE id = ?`,
		raw, s.Now().UTC().Format(time.RFC3339Nano), datasetID); err != nil {
		return fmt.Errorf("localstore: caption run: %w", err)
	}
	return nil
}

// rehash recomputes the dataset hash of a validated (or rejected) dataset
// after its captions changed, in the stored column and in the stored
// report alike, over the photos the report hashed (those it could read),
// as dataset.Validate does with Options.Captions. A draft has no hash to
// keep.
func (s *Store) rehash(ctx context.Context, tx *sql.Tx, datasetID string) error {
	var rep sql.NullString
	var status string
	if err := tx.QueryRowContext(ctx, `SELECT quality_report_json, status FROM lora_datasets WHERE id = ?`, datasetID).Scan(&rep, &status); err != nil {
		return fmt.Errorf("localstore: rehash: %w", err)
	}
	if status == studio.DatasetDraft || !rep.Valid {
		return nil
	}
	var r struct {
		Items []struct {
			File   string `json:"file"`
			SHA256 string `json:"sha256"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(rep.String), &r); err != nil {
		return fmt.Errorf("localstore: rehash: %w", err)
	}
	captions, err := captionsByName(ctx, tx, datasetID)
	if err != nil {
		return err
	}
	var hashed []studio.HashItem
	for _, it := range r.Items {
		if it.SHA256 != "" {
			hashed = append(hashed, studio.HashItem{SHA256: it.SHA256, Caption: captions[it.File]})
		}
	}
	hash := studio.DatasetHash(hashed)
	if _, err := tx.ExecContext(ctx,
		`UPDATE lora_datasets SET dataset_hash = ?1, quality_report_json = json_set(quality_report_json, '$.dataset_hash', ?1) WHERE id = ?2`,
		hash, datasetID); err != nil {
		return fmt.Errorf("localstore: rehash: %w", err)
	}
	return nil
}

// Captions returns the dataset's captions by photo name, as validation
// hashes them (dataset.Options.Captions).
func (s *Store) Captions(ctx context.Context, datasetID string) (map[string]string, error) {
	return captionsByName(ctx, s.db, datasetID)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func captionsByName(ctx context.Context, q querier, datasetID string) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, caption FROM lora_dataset_items WHERE dataset_id = ? AND caption <> ''`, datasetID)
	if err != nil {
		return nil, fmt.Errorf("localstore: captions: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, c string
		if err := rows.Scan(&name, &c); err != nil {
			return nil, fmt.Errorf("localstore: captions: %w", err)
		}
		out[name] = c
	}
	return out, rows.Err()
}

// DatasetHash returns the dataset's stored hash ("" for a draft never
// validated).
func (s *Store) DatasetHash(ctx context.Context, datasetID string) (string, error) {
	var h string
	if err := s.db.QueryRowContext(ctx, `SELECT dataset_hash FROM lora_datasets WHERE id = ?`, datasetID).Scan(&h); err != nil {
		return "", fmt.Errorf("localstore: dataset hash: %w", err)
	}
	return h, nil
}
