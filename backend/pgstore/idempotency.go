package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Idempotency claim outcomes.
const (
	IdemNew      = "new"       // the caller holds the key: run the request
	IdemReplay   = "replay"    // finished before: send Status and Body again
	IdemMismatch = "mismatch"  // the key was used with another body
	IdemInFlight = "in_flight" // the first request with this key still runs
)

// IdemResult is the state of one idempotency key.
type IdemResult struct {
	State  string
	Status int
	Body   []byte
}

// ClaimIdempotencyKey claims (userID, key) for a request whose body hashes
// to hash. A finished key replays; an expired one is forgotten first; an
// unfinished claim older than lock (its request died with its process) is
// taken over, since nothing of it was committed: the work and the stored
// response commit together in one transaction (see NewJob.IdempotencyKey).
func (s *Store) ClaimIdempotencyKey(ctx context.Context, userID, key, hash string, ttl, lock time.Duration) (IdemResult, error) {
	now := s.Now()
	var r IdemResult
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND expires_at <= $3`, userID, key, now); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx,
			`INSERT INTO idempotency_keys (user_id, key, request_hash, locked_until, created_at, expires_at)
			 VALUES ($1, $2, $3, $4, $5, $6)
			 ON CONFLICT (user_id, key) DO UPDATE SET locked_until = excluded.locked_until
			 WHERE idempotency_keys.response_status IS NULL AND idempotency_keys.locked_until < $5
			   AND idempotency_keys.request_hash = excluded.request_hash`,
			userID, key, hash, now.Add(lock), now, now.Add(ttl))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			r.State = IdemNew
			return nil
		}
		var stored string
		var status *int
		err = tx.QueryRow(ctx, `SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
			userID, key).Scan(&stored, &status, &r.Body)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			r.State = IdemInFlight // deleted between the two statements: the client retries
		case err != nil:
			return err
		case stored != hash:
			r.State = IdemMismatch
		case status == nil:
			r.State = IdemInFlight
		default:
			r.State, r.Status = IdemReplay, *status
		}
		return nil
	})
	if err != nil {
		return IdemResult{}, fmt.Errorf("pgstore: claim idempotency key: %w", err)
	}
	return r, nil
}

// finishIdempotencyKey stores the response of a claimed key inside tx, the
// transaction of the work itself.
func finishIdempotencyKey(ctx context.Context, tx pgx.Tx, userID, key string, status int, body []byte) error {
	_, err := tx.Exec(ctx, `UPDATE idempotency_keys SET response_status = $3, response_body = $4 WHERE user_id = $1 AND key = $2`,
		userID, key, status, body)
	return err
}

// ReleaseIdempotencyKey forgets an unfinished claim, after a request that
// failed: the client may retry with the same key once it fixed the cause.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, userID, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND response_status IS NULL`, userID, key)
	if err != nil {
		return fmt.Errorf("pgstore: release idempotency key: %w", err)
	}
	return nil
}

// PurgeIdempotencyKeys deletes expired keys and returns how many.
func (s *Store) PurgeIdempotencyKeys(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE expires_at <= $1`, s.Now())
	if err != nil {
		return 0, fmt.Errorf("pgstore: purge idempotency keys: %w", err)
	}
	return tag.RowsAffected(), nil
}
