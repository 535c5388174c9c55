// Package pgstore is the backend's Postgres store. Every method that reads
// or writes a user's data takes the user's id and scopes its query to it, so
// another user's id answers ENotFound, never their data.
package pgstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/promptforge/lorastudio/internal/groupcommit"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/migrations"
)

// Store wraps a connection pool.
type Store struct {
	pool *pgxpool.Pool
	Now  func() time.Time
	// Queue, when set, receives the dispatch of every job CreateJob makes.
	Queue Enqueuer

	applyOnce sync.Once
	apply     *groupcommit.Group[JobEvent, Applied]
}

// ConnectTimeout bounds each new connection to Postgres when the URL sets
// no connect_timeout: a database that stops answering (rather than
// refusing) then fails requests with 503 unavailable instead of holding
// them for as long as the network lets a dial hang.
const ConnectTimeout = 5 * time.Second

// Open connects to url and applies pending migrations, ours then River's.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 { // the URL's connect_timeout wins
		cfg.ConnConfig.ConnectTimeout = ConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	if _, err := migrations.UpPostgres(ctx, db); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if _, err := MigrateRiver(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool, Now: time.Now}, nil
}

// New wraps an open pool without migrating it.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool, Now: time.Now} }

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

// Pool exposes the pool (health checks, River).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// DB returns a database/sql handle on the pool, for goose.
func (s *Store) DB() *sql.DB { return stdlib.OpenDBFromPool(s.pool) }

func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// notFound turns "no rows" into the domain's ENotFound with a message, and
// leaves other errors alone.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return studio.Errorf(studio.ENotFound, format, args...)
	}
	return err
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// validUUID keeps malformed ids from reaching Postgres, where they would be
// a 500 instead of the 404 they are.
func validUUID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i, c := range id {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
