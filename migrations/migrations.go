// Package migrations embeds the SQL schemas of the backend (Postgres) and
// of the desktop app's local store (SQLite), and applies them with goose.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// DefaultPostgresURL is the local server of development machines and CI,
// used by the CLI and the tests when DATABASE_URL is unset.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Postgres returns the backend's migrations.
func Postgres() fs.FS { return sub("postgres") }

// SQLite returns the desktop store's migrations.
func SQLite() fs.FS { return sub("sqlite") }

func sub(dir string) fs.FS {
	f, err := fs.Sub(files, dir)
	if err != nil {
		panic(err) // the directory is embedded: only a build mistake gets here
	}
	return f
}

// Provider returns a goose provider for db: dialect is goose.DialectPostgres
// with Postgres() or goose.DialectSQLite3 with SQLite().
func Provider(db *sql.DB, dialect goose.Dialect, fsys fs.FS) (*goose.Provider, error) {
	p, err := goose.NewProvider(dialect, db, fsys)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// UpPostgres applies every pending backend migration.
func UpPostgres(ctx context.Context, db *sql.DB) ([]*goose.MigrationResult, error) {
	return up(ctx, db, goose.DialectPostgres, Postgres())
}

// UpSQLite applies every pending local-store migration.
func UpSQLite(ctx context.Context, db *sql.DB) ([]*goose.MigrationResult, error) {
	return up(ctx, db, goose.DialectSQLite3, SQLite())
}

func up(ctx context.Context, db *sql.DB, dialect goose.Dialect, fsys fs.FS) ([]*goose.MigrationResult, error) {
	p, err := Provider(db, dialect, fsys)
	if err != nil {
		return nil, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return res, fmt.Errorf("migrations: up: %w", err)
	}
	return res, nil
}
