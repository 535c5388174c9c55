package token_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/sync/synctest"
	"github.com/promptforge/lorastudio/sync/token"
)

var alice = token.Account{ServerURL: "https://api.example.com/", Email: "Alice@Example.com"}

func rows(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM auth_tokens`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// roundTrip saves, loads, replaces and deletes a token, and returns how
// many rows auth_tokens had while it was saved.
func roundTrip(t *testing.T, s *token.Store, db *sql.DB) int {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Load(ctx, alice); studio.ErrorCode(err) != studio.ENotFound {
		t.Fatalf("load before save: %v, want not_found", err)
	}
	if err := s.Save(ctx, alice, "lst_one"); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, token.Account{ServerURL: "https://api.example.com", Email: "alice@example.com"}, "lst_two"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx, alice)
	if err != nil || got != "lst_two" {
		t.Fatalf("load: %q, %v; want the replaced token (same account, spelt differently)", got, err)
	}
	n := rows(t, db)
	if err := s.Delete(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, alice); studio.ErrorCode(err) != studio.ENotFound {
		t.Errorf("load after delete: %v, want not_found", err)
	}
	if err := s.Delete(ctx, alice); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
	return n
}

// This machine (headless, no Secret Service) has no keyring: tokens go to
// SQLite and the store says why. It runs first, before any mock replaces
// go-keyring's provider.
func TestNoKeyringOnThisMachine(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		t.Skip("a session bus is here; a keyring may be too")
	}
	db := synctest.OpenDB(t, t.TempDir())
	s := token.Open(context.Background(), db, nil)
	if s.Backend() != token.BackendSQLite || s.Reason() == "" {
		t.Fatalf("backend %s (%q), want sqlite with a reason", s.Backend(), s.Reason())
	}
	t.Logf("fallback reason: %s", s.Reason())
	if n := roundTrip(t, s, db); n != 1 {
		t.Errorf("%d rows in auth_tokens while saved, want 1", n)
	}
}

func TestBackends(t *testing.T) {
	tests := []struct {
		name    string
		init    func()
		backend string
		rows    int
	}{
		{"keyring present", keyring.MockInit, token.BackendKeyring, 0},
		{"keyring fails", func() { keyring.MockInitWithError(errors.New("org.freedesktop.secrets was not provided")) }, token.BackendSQLite, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.init()
			db := synctest.OpenDB(t, t.TempDir())
			s := token.Open(context.Background(), db, nil)
			if s.Backend() != tt.backend {
				t.Fatalf("backend %s (%s), want %s", s.Backend(), s.Reason(), tt.backend)
			}
			if n := roundTrip(t, s, db); n != tt.rows {
				t.Errorf("%d rows in auth_tokens while saved, want %d", n, tt.rows)
			}
		})
	}
}

// A token left in SQLite while the keyring was missing moves out of it
// once the keyring takes a new one.
func TestKeyringReplacesFallbackCopy(t *testing.T) {
	ctx := context.Background()
	db := synctest.OpenDB(t, t.TempDir())
	keyring.MockInitWithError(errors.New("no keyring"))
	if err := token.Open(ctx, db, nil).Save(ctx, alice, "lst_old"); err != nil {
		t.Fatal(err)
	}
	keyring.MockInit()
	s := token.Open(ctx, db, nil)
	if got, err := s.Load(ctx, alice); err != nil || got != "lst_old" {
		t.Fatalf("the fallback copy is still readable: %q, %v", got, err)
	}
	if err := s.Save(ctx, alice, "lst_new"); err != nil {
		t.Fatal(err)
	}
	if n := rows(t, db); n != 0 {
		t.Errorf("%d rows left in auth_tokens, want 0", n)
	}
	if got, _ := s.Load(ctx, alice); got != "lst_new" {
		t.Errorf("load: %q, want lst_new", got)
	}
}

func TestSaveRefusesEmpty(t *testing.T) {
	keyring.MockInit()
	s := token.Open(context.Background(), synctest.OpenDB(t, t.TempDir()), nil)
	if err := s.Save(context.Background(), token.Account{}, "x"); studio.ErrorCode(err) != studio.EInvalid {
		t.Errorf("got %v, want invalid", err)
	}
}
