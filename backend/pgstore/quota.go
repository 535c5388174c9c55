package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/promptforge/lorastudio/internal/studio"
)

// Quota bounds what one user keeps in storage over all their datasets: the
// photos committed and those declared and still uploading (their URLs are
// signed, so their bytes may arrive). A zero field does not bound.
type Quota struct {
	Bytes int64
	Files int
}

// Usage is what a user stores or is uploading.
type Usage struct {
	Bytes int64
	Files int
}

type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func usage(ctx context.Context, q rowQuerier, userID string) (Usage, error) {
	var u Usage
	err := q.QueryRow(ctx,
		`SELECT coalesce(sum(u.size_bytes), 0), count(*)
		 FROM lora_dataset_uploads u JOIN lora_datasets d ON d.id = u.dataset_id WHERE d.user_id = $1`,
		userID).Scan(&u.Bytes, &u.Files)
	if err != nil {
		return u, fmt.Errorf("pgstore: storage usage: %w", err)
	}
	return u, nil
}

// check refuses with studio.EQuotaExceeded when used plus add is over q.
func (q Quota) check(used, add Usage) error {
	if (q.Bytes <= 0 || used.Bytes+add.Bytes <= q.Bytes) && (q.Files <= 0 || used.Files+add.Files <= q.Files) {
		return nil
	}
	adds := ""
	if add.Files > 0 {
		adds = fmt.Sprintf(" and this upload adds %s in %d", size(add.Bytes), add.Files)
	}
	return studio.Errorf(studio.EQuotaExceeded,
		"storage quota exceeded: your datasets hold %s in %d photos%s, over the limit of %s and %d photos per account; delete datasets you no longer need (DELETE /api/lora/datasets/{id}), then try again",
		size(used.Bytes), used.Files, adds, size(q.Bytes), q.Files)
}

// size spells a byte count for people.
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// StorageUsage returns what the user's datasets hold or are uploading.
func (s *Store) StorageUsage(ctx context.Context, userID string) (Usage, error) {
	return usage(ctx, s.pool, userID)
}

// CheckQuota returns studio.EQuotaExceeded if the user already holds more than
// q allows (the quota was lowered since their uploads were declared).
func (s *Store) CheckQuota(ctx context.Context, userID string, q Quota) error {
	used, err := s.StorageUsage(ctx, userID)
	if err != nil {
		return err
	}
	return q.check(used, Usage{})
}
