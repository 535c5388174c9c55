package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SweepDelay is how long after an erasure its keys are deleted again: longer
// than any presigned URL the backend signs (photo uploads 15 minutes,
// artifact uploads 24 hours), so a late PUT through one cannot keep bytes.
const SweepDelay = 25 * time.Hour

// markErased records keys (a prefix ends in "/") to delete again after
// SweepDelay, in tx.
func (s *Store) markErased(ctx context.Context, tx pgx.Tx, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx,
		`INSERT INTO erased_keys (key, sweep_after) SELECT unnest($1::text[]), $2
		 ON CONFLICT (key) DO UPDATE SET sweep_after = greatest(erased_keys.sweep_after, excluded.sweep_after)`,
		keys, s.Now().Add(SweepDelay))
	return err
}

// DueErasedKeys returns up to limit keys and prefixes whose sweep is due at
// now, oldest first.
func (s *Store) DueErasedKeys(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT key FROM erased_keys WHERE sweep_after <= $1 ORDER BY sweep_after, key LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: due erased keys: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// SweptErasedKey forgets a key once its sweep is done.
func (s *Store) SweptErasedKey(ctx context.Context, key string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM erased_keys WHERE key = $1`, key); err != nil {
		return fmt.Errorf("pgstore: swept %s: %w", key, err)
	}
	return nil
}
