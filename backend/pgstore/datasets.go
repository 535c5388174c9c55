package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/promptforge/lorastudio/internal/studio"
)

// Upload is one file datasets/init promised to accept.
type Upload struct {
	Key         string
	Name        string
	Size        int64
	ContentType string
	SHA256      string
	UploadID    string // multipart only
	PartSize    int64
	Committed   bool
	// Caption is the photo's own caption ("" for the template), checked
	// with studio.CheckCaption; the item takes it at commit.
	Caption string
}

// NewDataset creates the user's model named modelName when new, and a draft
// dataset with its promised uploads, in one transaction. keyFor names each
// upload's storage key once the dataset id is known. Returns
// studio.EQuotaExceeded when the uploads would take the user past quota (the
// user's row is locked meanwhile, so that concurrent inits cannot both
// pass), duplicate_file for a file declared twice and invalid_caption (before
// anything is stored) for a caption the trainer could not use.
func (s *Store) NewDataset(ctx context.Context, userID, modelName string, uploads []Upload, keyFor func(datasetID string, u Upload) string, quota Quota) (studio.Dataset, []Upload, error) {
	return s.NewDatasetOnce(ctx, userID, "", modelName, uploads, keyFor, quota)
}

// NewDatasetOnce is NewDataset for a request with an Idempotency-Key the
// caller claimed (ClaimIdempotencyKey): the key's response, the dataset's
// id (InitReplay), is stored in the same transaction, so a retry after any
// failure past the commit finds this dataset instead of making another.
func (s *Store) NewDatasetOnce(ctx context.Context, userID, idemKey, modelName string, uploads []Upload, keyFor func(datasetID string, u Upload) string, quota Quota) (studio.Dataset, []Upload, error) {
	for _, u := range uploads {
		if err := studio.CheckCaption(u.Caption); err != nil {
			// Named by its photo; a bad character (the routes refuse those
			// as invalid_text first) is an unusable caption too.
			return studio.Dataset{}, nil, studio.Errorf(studio.EInvalidCaption, "%s: %s", u.Name, studio.ErrorMessage(err))
		}
	}
	var d studio.Dataset
	out := make([]Upload, len(uploads))
	add := Usage{Files: len(uploads)}
	for _, u := range uploads {
		add.Bytes += u.Size
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE`, userID); err != nil {
			return err
		}
		used, err := usage(ctx, tx, userID)
		if err != nil {
			return err
		}
		if err := quota.check(used, add); err != nil {
			return err
		}
		var modelID string
		err = tx.QueryRow(ctx,
			`INSERT INTO lora_models (user_id, name) VALUES ($1, $2)
			 ON CONFLICT (user_id, name) DO UPDATE SET name = excluded.name RETURNING id`,
			userID, modelName).Scan(&modelID)
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx,
			`INSERT INTO lora_datasets (user_id, lora_model_id, created_at, updated_at) VALUES ($1, $2, $3, $3)
			 RETURNING id, lora_model_id, user_id, status, image_count, dataset_hash, created_at, updated_at`,
			userID, modelID, s.Now()).Scan(&d.ID, &d.ModelID, &d.UserID, &d.Status, &d.ImageCount, &d.DatasetHash, &d.CreatedAt, &d.UpdatedAt)
		if err != nil {
			return err
		}
		for i, u := range uploads {
			u.Key = keyFor(d.ID, u)
			out[i] = u
			if _, err := tx.Exec(ctx,
				`INSERT INTO lora_dataset_uploads (dataset_id, storage_key, name, size_bytes, content_type, sha256, upload_id, part_size, caption)
				 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				d.ID, u.Key, u.Name, u.Size, u.ContentType, u.SHA256, u.UploadID, u.PartSize, u.Caption); err != nil {
				if isUniqueViolation(err) {
					return studio.Errorf(studio.EDuplicateFile, "%s is declared twice (same content); remove the copy", u.Name)
				}
				return err
			}
		}
		if idemKey == "" {
			return nil
		}
		body, err := json.Marshal(InitReplay{DatasetID: d.ID})
		if err != nil {
			return err
		}
		return finishIdempotencyKey(ctx, tx, userID, idemKey, http.StatusOK, body)
	})
	if err != nil {
		if studio.ErrorCode(err) != studio.EInternal {
			return studio.Dataset{}, nil, err
		}
		return studio.Dataset{}, nil, fmt.Errorf("pgstore: new dataset: %w", err)
	}
	return d, out, nil
}

// InitReplay is what an Idempotency-Key of datasets/init keeps: the
// dataset it made. A replay presigns that dataset's uploads afresh rather
// than keeping signed URLs in the database.
type InitReplay struct {
	DatasetID string `json:"dataset_id"`
}

// SetUploadID records the multipart upload id of one promised upload,
// unless one is recorded already (a retried init raced the first): then
// it returns the recorded id and part size, and the caller uses those.
func (s *Store) SetUploadID(ctx context.Context, datasetID, key, uploadID string, partSize int64) (string, int64, error) {
	tag, err := s.pool.Exec(ctx,
		`UPDATE lora_dataset_uploads SET upload_id = $3, part_size = $4
		 WHERE dataset_id = $1 AND storage_key = $2 AND upload_id = ''`,
		datasetID, key, uploadID, partSize)
	if err != nil {
		return "", 0, fmt.Errorf("pgstore: set upload id: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return uploadID, partSize, nil
	}
	// A statement of its own, so that it sees the id the other request
	// committed while this one waited for the row.
	err = s.pool.QueryRow(ctx,
		`SELECT upload_id, part_size FROM lora_dataset_uploads WHERE dataset_id = $1 AND storage_key = $2`,
		datasetID, key).Scan(&uploadID, &partSize)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", 0, studio.Errorf(studio.ENotFound, "no upload %s in dataset %s", key, datasetID)
	}
	if err != nil {
		return "", 0, fmt.Errorf("pgstore: set upload id: %w", err)
	}
	return uploadID, partSize, nil
}

// Dataset returns one of the user's datasets with its committed items.
// Returns ENotFound if it does not exist or is another user's.
func (s *Store) Dataset(ctx context.Context, userID, id string) (studio.Dataset, []studio.DatasetItem, error) {
	if !validUUID(id) {
		return studio.Dataset{}, nil, studio.Errorf(studio.ENotFound, "no dataset %s", id)
	}
	var d studio.Dataset
	var report []byte
	var run captionRunRow
	err := s.pool.QueryRow(ctx,
		`SELECT id, lora_model_id, user_id, status, image_count, dataset_hash, quality_report_json, created_at, updated_at, `+captionRunCols+`
		 FROM lora_datasets WHERE id = $1 AND user_id = $2`, id, userID,
	).Scan(append([]any{&d.ID, &d.ModelID, &d.UserID, &d.Status, &d.ImageCount, &d.DatasetHash, &report, &d.CreatedAt, &d.UpdatedAt}, run.dest()...)...)
	if err != nil {
		return studio.Dataset{}, nil, notFound(err, "no dataset %s", id)
	}
	d.QualityReport = json.RawMessage(report)
	run.settle(s.Now())
	d.Captioning = run.run()
	items, err := datasetItems(ctx, s.pool, id)
	if err != nil {
		return studio.Dataset{}, nil, err
	}
	return d, items, nil
}

// datasetItems returns a dataset's committed items by name.
func datasetItems(ctx context.Context, q querier, datasetID string) ([]studio.DatasetItem, error) {
	rows, err := q.Query(ctx,
		`SELECT id, dataset_id, name, storage_key, sha256, size_bytes, content_type, width, height, caption, caption_source, created_at
		 FROM lora_dataset_items WHERE dataset_id = $1 ORDER BY name, id`, datasetID)
	if err != nil {
		return nil, fmt.Errorf("pgstore: items: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (studio.DatasetItem, error) {
		var it studio.DatasetItem
		err := r.Scan(&it.ID, &it.DatasetID, &it.Name, &it.Key, &it.SHA256, &it.Size, &it.ContentType, &it.Width, &it.Height, &it.Caption, &it.CaptionSource, &it.CreatedAt)
		return it, err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: items: %w", err)
	}
	return items, nil
}

// Datasets lists the user's datasets, newest first, without their reports.
func (s *Store) Datasets(ctx context.Context, userID string) ([]studio.Dataset, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT id, lora_model_id, user_id, status, image_count, dataset_hash, created_at, updated_at
		 FROM lora_datasets WHERE user_id = $1 ORDER BY created_at DESC, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("pgstore: datasets: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (studio.Dataset, error) {
		var d studio.Dataset
		err := r.Scan(&d.ID, &d.ModelID, &d.UserID, &d.Status, &d.ImageCount, &d.DatasetHash, &d.CreatedAt, &d.UpdatedAt)
		return d, err
	})
}

// Uploads returns the promised uploads of one of the user's datasets.
// Returns ENotFound if the dataset is not the user's.
func (s *Store) Uploads(ctx context.Context, userID, datasetID string) ([]Upload, error) {
	if !validUUID(datasetID) {
		return nil, studio.Errorf(studio.ENotFound, "no dataset %s", datasetID)
	}
	rows, err := s.pool.Query(ctx,
		`SELECT u.storage_key, u.name, u.size_bytes, u.content_type, u.sha256, u.upload_id, u.part_size, u.committed_at IS NOT NULL, u.caption
		 FROM lora_dataset_uploads u JOIN lora_datasets d ON d.id = u.dataset_id
		 WHERE u.dataset_id = $1 AND d.user_id = $2 ORDER BY u.name`, datasetID, userID)
	if err != nil {
		return nil, fmt.Errorf("pgstore: uploads: %w", err)
	}
	ups, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Upload, error) {
		var u Upload
		err := r.Scan(&u.Key, &u.Name, &u.Size, &u.ContentType, &u.SHA256, &u.UploadID, &u.PartSize, &u.Committed, &u.Caption)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: uploads: %w", err)
	}
	if len(ups) == 0 {
		// Either not the user's dataset, or one with nothing promised: tell which.
		if _, _, err := s.Dataset(ctx, userID, datasetID); err != nil {
			return nil, err
		}
	}
	return ups, nil
}

// CommitItems records verified uploads as dataset items, in one
// transaction: one round trip and one flush to disk for a whole commit,
// not one per photo. Committing a key twice changes nothing. When every
// promised upload is committed the dataset becomes "uploaded". Sizes are
// measured later, by the server's validation (SaveValidation).
func (s *Store) CommitItems(ctx context.Context, datasetID string, ups []Upload) error {
	if len(ups) == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		// Commits of one dataset take turns: the count and status below
		// are statements of their own, each seeing what was committed
		// when it starts, so a commit that waited here sees every photo
		// the others recorded. Without the lock two commits at once (two
		// replicas, two halves) each counted without the other's photo,
		// and the last to write left the dataset short and a draft.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM lora_datasets WHERE id = $1 FOR NO KEY UPDATE`, datasetID); err != nil {
			return err
		}
		now := s.Now()
		b := &pgx.Batch{}
		for _, u := range ups {
			b.Queue(`INSERT INTO lora_dataset_items (dataset_id, name, storage_key, sha256, size_bytes, content_type, width, height, caption, caption_source, created_at)
			 VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $8, $9, $7) ON CONFLICT (dataset_id, storage_key) DO NOTHING`,
				datasetID, u.Name, u.Key, u.SHA256, u.Size, u.ContentType, now, u.Caption, sourceOf(u.Caption, studio.CaptionUser))
			b.Queue(`UPDATE lora_dataset_uploads SET committed_at = coalesce(committed_at, $3) WHERE dataset_id = $1 AND storage_key = $2`,
				datasetID, u.Key, now)
		}
		b.Queue(`UPDATE lora_datasets d SET
			image_count = (SELECT count(*) FROM lora_dataset_items WHERE dataset_id = d.id),
			status = CASE WHEN d.status = 'draft' AND NOT EXISTS (
				SELECT 1 FROM lora_dataset_uploads WHERE dataset_id = d.id AND committed_at IS NULL)
				THEN 'uploaded' ELSE d.status END,
			updated_at = $2
			WHERE id = $1`, datasetID, now)
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("pgstore: commit items: %w", err)
	}
	return nil
}

// Size is a photo's measured width and height.
type Size struct{ Width, Height int }

// SaveValidation stores the server's quality report, the status it gives,
// and each photo's measured size (keyed by storage key), in one
// transaction. The dataset's hash is computed there from its photos as
// uploaded and their captions (rehash), as caption edits and runs compute
// it: the bytes the worker trains on (it checks their sha256). The
// report's own hash is the engine's, over stripped copies of the stored
// bytes: the same for photos the desktop stripped before uploading them.
func (s *Store) SaveValidation(ctx context.Context, userID, datasetID string, report []byte, imageCount int, ok bool, sizes map[string]Size) (string, error) {
	status := studio.DatasetRejected
	if ok {
		status = studio.DatasetValidated
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		now := s.Now()
		tag, err := tx.Exec(ctx,
			`UPDATE lora_datasets SET quality_report_json = $3, image_count = $4, status = $5, updated_at = $6
			 WHERE id = $1 AND user_id = $2`, datasetID, userID, report, imageCount, status, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return studio.Errorf(studio.ENotFound, "no dataset %s", datasetID)
		}
		for key, sz := range sizes {
			if _, err := tx.Exec(ctx, `UPDATE lora_dataset_items SET width = $3, height = $4 WHERE dataset_id = $1 AND storage_key = $2`,
				datasetID, key, sz.Width, sz.Height); err != nil {
				return err
			}
		}
		return rehash(ctx, tx, datasetID, now)
	})
	if err != nil {
		if studio.ErrorCode(err) == studio.ENotFound {
			return "", err
		}
		return "", fmt.Errorf("pgstore: save validation: %w", err)
	}
	return status, nil
}

// DeleteDataset removes one of the user's datasets and returns the storage
// keys it had promised, for the caller to delete. Returns ENotFound.
func (s *Store) DeleteDataset(ctx context.Context, userID, id string) ([]string, error) {
	ups, err := s.Uploads(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	err = s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM lora_datasets WHERE id = $1 AND user_id = $2`, id, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return studio.Errorf(studio.ENotFound, "no dataset %s", id)
		}
		// Upload URLs signed before now may still write into its folder.
		return s.markErased(ctx, tx, []string{KeyPrefix(userID) + "datasets/" + id + "/"})
	})
	if studio.ErrorCode(err) == studio.ENotFound {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: delete dataset: %w", err)
	}
	keys := make([]string, len(ups))
	for i, u := range ups {
		keys[i] = u.Key
	}
	return keys, nil
}

// Models lists the user's models.
func (s *Store) Models(ctx context.Context, userID string) ([]studio.Model, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT id, user_id, name, created_at FROM lora_models WHERE user_id = $1 ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("pgstore: models: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (studio.Model, error) {
		var m studio.Model
		err := r.Scan(&m.ID, &m.UserID, &m.Name, &m.CreatedAt)
		return m, err
	})
}

// keyPrefix is where every object of a user lives; erasure deletes it.
func KeyPrefix(userID string) string { return "users/" + strings.ToLower(userID) + "/" }
