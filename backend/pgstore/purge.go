package pgstore

import (
	"context"
	"fmt"
	"time"
)

// PurgeExpired deletes the idempotency keys past their expiry that no
// request still holds, and the webhook ids received before keepEvents ago
// (far beyond the signature tolerance, so none of them can be replayed),
// and returns how many of each went.
func (s *Store) PurgeExpired(ctx context.Context, keepEvents time.Duration) (keys, events int64, err error) {
	now := s.Now()
	tag, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE expires_at <= $1 AND locked_until < $1`, now)
	if err != nil {
		return 0, 0, fmt.Errorf("pgstore: purge idempotency keys: %w", err)
	}
	keys = tag.RowsAffected()
	tag, err = s.pool.Exec(ctx, `DELETE FROM webhook_events WHERE received_at < $1`, now.Add(-keepEvents))
	if err != nil {
		return keys, 0, fmt.Errorf("pgstore: purge webhook ids: %w", err)
	}
	return keys, tag.RowsAffected(), nil
}
