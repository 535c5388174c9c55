package migrations_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite"

	"github.com/promptforge/lorastudio/internal/pgtest"
	"github.com/promptforge/lorastudio/migrations"
)

var seedTables = []string{
	"lora_models", "lora_datasets", "lora_dataset_items",
	"lora_versions", "lora_jobs", "user_identity_active",
	"users", "auth_tokens", "consents",
}

func TestUpDown(t *testing.T) {
	tests := []struct {
		name    string
		open    func(t *testing.T) *sql.DB
		dialect goose.Dialect
		tables  string // query listing the user tables
	}{
		{
			name: "postgres",
			open: func(t *testing.T) *sql.DB {
				db, err := sql.Open("pgx", pgtest.NewDatabase(t))
				if err != nil {
					t.Fatal(err)
				}
				return db
			},
			dialect: goose.DialectPostgres,
			tables:  `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version'`,
		},
		{
			name: "sqlite",
			open: func(t *testing.T) *sql.DB {
				db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "local.db")+"?_pragma=foreign_keys(1)")
				if err != nil {
					t.Fatal(err)
				}
				return db
			},
			dialect: goose.DialectSQLite3,
			tables:  `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := tt.open(t)
			defer db.Close()
			fsys := migrations.Postgres()
			if tt.dialect == goose.DialectSQLite3 {
				fsys = migrations.SQLite()
			}
			p, err := migrations.Provider(db, tt.dialect, fsys)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Up(ctx); err != nil {
				t.Fatalf("up: %v", err)
			}
			got := listTables(t, db, tt.tables)
			for _, want := range seedTables {
				if !slices.Contains(got, want) {
					t.Errorf("after up: table %s missing (have %v)", want, got)
				}
			}
			if _, err := p.DownTo(ctx, 0); err != nil {
				t.Fatalf("down: %v", err)
			}
			if got := listTables(t, db, tt.tables); len(got) != 0 {
				t.Errorf("after down: tables left: %v", got)
			}
			// And up again: down must leave a state up can start from.
			if _, err := p.Up(ctx); err != nil {
				t.Fatalf("up after down: %v", err)
			}
		})
	}
}

// The schema refuses what the domain forbids, so a bug above it cannot
// store, say, a LoRA trained on a target platform.
func TestPostgresConstraints(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("pgx", pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := migrations.UpPostgres(ctx, db); err != nil {
		t.Fatal(err)
	}
	var user, model string
	must(t, db.QueryRowContext(ctx, `INSERT INTO users (email, password_hash) VALUES ('a@example.com', 'x') RETURNING id`).Scan(&user))
	must(t, db.QueryRowContext(ctx, `INSERT INTO lora_models (user_id, name) VALUES ($1, 'me') RETURNING id`, user).Scan(&model))

	tests := []struct {
		name string
		sql  string
		args []any
	}{
		{"email unique ignoring case", `INSERT INTO users (email, password_hash) VALUES ('A@Example.com', 'x')`, nil},
		{"consent without attestation", `INSERT INTO consents (user_id, text_version, text_sha256, attest_self, purpose, processors, retention_days) VALUES ($1, 'v1', 'h', false, 'p', '{s3}', 30)`, []any{user}},
		{"consent in no language", `INSERT INTO consents (user_id, text_version, text_sha256, attest_self, purpose, processors, retention_days, text_language) VALUES ($1, 'v1', 'h', true, 'p', '{s3}', 30, '')`, []any{user}},
		{"consent language not a tag", `INSERT INTO consents (user_id, text_version, text_sha256, attest_self, purpose, processors, retention_days, text_language) VALUES ($1, 'v1', 'h', true, 'p', '{s3}', 30, 'pt BR')`, []any{user}},
		{"version on a target platform", `INSERT INTO lora_versions (user_id, lora_model_id, version_number, base_model, dataset_hash) VALUES ($1, $2, 1, 'sora-2', 'h')`, []any{user, model}},
		{"unknown job status", `INSERT INTO lora_jobs (user_id, lora_version_id, status) VALUES ($1, gen_random_uuid(), 'bogus')`, []any{user}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := db.ExecContext(ctx, tt.sql, tt.args...); err == nil {
				t.Errorf("insert succeeded, want a constraint violation")
			}
		})
	}
}

func listTables(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		must(t, rows.Scan(&n))
		names = append(names, n)
	}
	must(t, rows.Err())
	return names
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Actions queued before the outbox knew its account belong to the account
// signed in at the upgrade; with nobody signed in, to none.
func TestSQLiteOutboxAccount(t *testing.T) {
	tests := []struct {
		name     string
		settings [][2]string
		want     string
	}{
		{"signed in", [][2]string{{"server_url", "http://s"}, {"account_email", "a@example.com"}}, "a@example.com on http://s"},
		{"never signed in", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "local.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			p, err := migrations.Provider(db, goose.DialectSQLite3, migrations.SQLite())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, 2); err != nil {
				t.Fatal(err)
			}
			for _, kv := range tt.settings {
				if _, err := db.Exec(`INSERT INTO settings (key, value) VALUES (?, ?)`, kv[0], kv[1]); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.Exec(`INSERT INTO sync_outbox (kind, method, path, next_attempt_at) VALUES ('consent_withdraw', 'POST', '/w', '')`); err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, 3); err != nil {
				t.Fatal(err)
			}
			var got string
			if err := db.QueryRow(`SELECT account FROM sync_outbox`).Scan(&got); err != nil || got != tt.want {
				t.Errorf("account: %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// Consents recorded before the text had languages (schema 8) were to the
// English text, the only one then: the upgrade says so.
func TestPostgresConsentsBeforeLanguagesAreEnglish(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("pgx", pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := migrations.Provider(db, goose.DialectPostgres, migrations.Postgres())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 8); err != nil {
		t.Fatal(err)
	}
	var user string
	must(t, db.QueryRowContext(ctx, `INSERT INTO users (email, password_hash) VALUES ('a@example.com', 'x') RETURNING id`).Scan(&user))
	_, err = db.ExecContext(ctx, `INSERT INTO consents (user_id, text_version, text_sha256, attest_self, purpose, processors, retention_days) VALUES ($1, '2026-11-01', 'h', true, 'p', '{s3}', 30)`, user)
	must(t, err)
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	var lang string
	must(t, db.QueryRowContext(ctx, `SELECT text_language FROM consents WHERE user_id = $1`, user).Scan(&lang))
	if lang != "en" {
		t.Errorf("consent from before the upgrade: language %q, want en", lang)
	}
}
