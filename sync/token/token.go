// Package token keeps the signed-in user's bearer token in the OS keyring
// (go-keyring: Keychain, Windows Credential Manager, Secret Service), and,
// where the machine has no keyring (a headless Linux without a Secret
// Service, say), in the local store's auth_tokens table, saying so.
package token

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/zalando/go-keyring"

	"github.com/promptforge/lorastudio/internal/studio"
)

// Service is the keyring service name of LoRA Studio's tokens.
const Service = "lorastudio"

// Where a Store keeps tokens.
const (
	BackendKeyring = "keyring"
	BackendSQLite  = "sqlite"
)

// Account names whose token it is: one per server and email.
type Account struct {
	ServerURL string `json:"server_url"`
	Email     string `json:"email"`
}

// user is the keyring's user name for a: "email@server".
func (a Account) user() string {
	return strings.ToLower(strings.TrimSpace(a.Email)) + " on " + strings.TrimSuffix(a.ServerURL, "/")
}

// id is the users row of a in the fallback: stable, derived from a.
func (a Account) id() string {
	h := sha256.Sum256([]byte(a.user()))
	return "acct-" + hex.EncodeToString(h[:16])
}

// Store keeps tokens. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	log     *slog.Logger
	keyring bool
	reason  string
}

// Open returns a Store over db (the local store's, migrated), probing the
// keyring once: when it cannot be reached, tokens go to SQLite and Reason
// says why (the settings screen shows it).
func Open(ctx context.Context, db *sql.DB, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{db: db, log: log, keyring: true}
	if _, err := keyring.Get(Service, "probe"); err != nil && !errors.Is(err, keyring.ErrNotFound) {
		s.keyring = false
		s.reason = "no OS keyring is available (" + err.Error() + "); the token is kept in the local database instead"
		log.Warn("token: keyring unavailable; falling back to the local database", "err", err)
	}
	return s
}

// Backend returns where tokens are kept: BackendKeyring or BackendSQLite.
func (s *Store) Backend() string {
	if s.keyring {
		return BackendKeyring
	}
	return BackendSQLite
}

// Reason says why tokens are in SQLite, "" when they are in the keyring.
func (s *Store) Reason() string { return s.reason }

// Save keeps a's token, replacing any previous one. When the keyring
// refuses it, the token goes to SQLite.
func (s *Store) Save(ctx context.Context, a Account, token string) error {
	if token == "" || a.Email == "" || a.ServerURL == "" {
		return studio.Errorf(studio.EInvalid, "token: an account (server and email) and a token are required")
	}
	if s.keyring {
		err := keyring.Set(Service, a.user(), token)
		if err == nil {
			// A copy left in SQLite by an earlier fallback must not outlive it.
			return s.deleteRow(ctx, a)
		}
		s.log.Warn("token: keyring refused the token; keeping it in the local database", "err", err)
	}
	return s.saveRow(ctx, a, token)
}

// Load returns a's token. Returns ENotFound when there is none (the user
// must sign in).
func (s *Store) Load(ctx context.Context, a Account) (string, error) {
	if s.keyring {
		tok, err := keyring.Get(Service, a.user())
		if err == nil {
			return tok, nil
		}
		if !errors.Is(err, keyring.ErrNotFound) {
			s.log.Warn("token: keyring read failed; trying the local database", "err", err)
		}
	}
	var tok string
	err := s.db.QueryRowContext(ctx, `SELECT token FROM auth_tokens WHERE user_id = ?`, a.id()).Scan(&tok)
	if errors.Is(err, sql.ErrNoRows) {
		return "", studio.Errorf(studio.ENotFound, "not signed in to %s as %s", a.ServerURL, a.Email)
	}
	if err != nil {
		return "", fmt.Errorf("token: load: %w", err)
	}
	return tok, nil
}

// Delete forgets a's token wherever it is (sign out). No token is not an error.
func (s *Store) Delete(ctx context.Context, a Account) error {
	if s.keyring {
		if err := keyring.Delete(Service, a.user()); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return fmt.Errorf("token: keyring delete: %w", err)
		}
	}
	return s.deleteRow(ctx, a)
}

func (s *Store) saveRow(ctx context.Context, a Account, token string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO users (id, email, server_url) VALUES (?, ?, ?)
		 ON CONFLICT (id) DO UPDATE SET email = excluded.email, server_url = excluded.server_url`,
		a.id(), strings.ToLower(strings.TrimSpace(a.Email)), strings.TrimSuffix(a.ServerURL, "/")); err != nil {
		return fmt.Errorf("token: save user: %w", err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO auth_tokens (user_id, token) VALUES (?, ?)
		 ON CONFLICT (user_id) DO UPDATE SET token = excluded.token, created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
		a.id(), token); err != nil {
		return fmt.Errorf("token: save: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("token: save: %w", err)
	}
	return nil
}

func (s *Store) deleteRow(ctx context.Context, a Account) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM auth_tokens WHERE user_id = ?`, a.id()); err != nil {
		return fmt.Errorf("token: delete: %w", err)
	}
	return nil
}
