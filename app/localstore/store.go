// Package localstore is the desktop app's SQLite database: the replica of
// the server's state and the drafts only the desktop owns. It opens with
// WAL, foreign keys on and the embedded migrations applied.
package localstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/promptforge/lorastudio/internal/sqlitedb"
	"github.com/promptforge/lorastudio/internal/studio"
)

// Store is the local database.
type Store struct {
	db  *sql.DB
	Now func() time.Time // injectable clock
}

// Open opens (creating if needed) lorastudio.db in dir and migrates it.
func Open(ctx context.Context, dir string) (*Store, error) {
	db, err := sqlitedb.Open(ctx, filepath.Join(dir, "lorastudio.db"))
	if err != nil {
		return nil, fmt.Errorf("localstore: %w", err)
	}
	return &Store{db: db, Now: time.Now}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// DB exposes the handle to the packages that own the other tables.
func (s *Store) DB() *sql.DB { return s.db }

// Setting returns the value stored under key.
// Returns ENotFound if there is none.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", studio.Errorf(studio.ENotFound, "no setting %q", key)
	}
	if err != nil {
		return "", fmt.Errorf("localstore: setting %s: %w", key, err)
	}
	return v, nil
}

// SetSettings stores every key and value of kv in one transaction, so a
// crash leaves either all of them or none.
func (s *Store) SetSettings(ctx context.Context, kv map[string]string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("localstore: %w", err)
	}
	defer tx.Rollback()
	now := s.Now().UTC().Format(time.RFC3339Nano)
	for k, v := range kv {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
			 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			k, v, now); err != nil {
			return fmt.Errorf("localstore: set %s: %w", k, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("localstore: %w", err)
	}
	return nil
}

// DeleteSetting removes key; a missing key is not an error.
func (s *Store) DeleteSetting(ctx context.Context, key string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, key); err != nil {
		return fmt.Errorf("localstore: delete setting %s: %w", key, err)
	}
	return nil
}

func notFoundErr(msg string) error { return studio.Errorf(studio.ENotFound, "%s", msg) }
