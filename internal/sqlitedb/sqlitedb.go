// Package sqlitedb opens the desktop's SQLite database the one way every
// part of the desktop (and the tests of sync/) needs it: WAL, foreign keys,
// a busy timeout, immediate transactions, and the schema migrated.
package sqlitedb

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	_ "modernc.org/sqlite"

	"github.com/promptforge/lorastudio/migrations"
)

// Open opens (creating if needed) the database file at path and applies
// the pending migrations.
func Open(ctx context.Context, path string) (*sql.DB, error) {
	q := url.Values{}
	// WAL keeps readers and the writer apart; busy_timeout rides over the
	// brief locks of a checkpoint; foreign keys are off by default in SQLite.
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Transactions take the write lock when they begin: one that read first
	// and wrote later would fail at once (SQLITE_BUSY_SNAPSHOT, no
	// busy_timeout) when the outbox or an upload wrote in between.
	q.Add("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlitedb: open %s: %w", path, err)
	}
	if _, err := migrations.UpSQLite(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlitedb: %s: %w", path, err)
	}
	return db, nil
}
