package pgstore_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/pgtest"
)

// openStore opens a store on a fresh database, closed when the test ends.
func openStore(t *testing.T) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// openStoreWithUser is openStore with one user in it.
func openStoreWithUser(t *testing.T, email string) (*pgstore.Store, string) {
	t.Helper()
	s := openStore(t)
	u, err := s.CreateUser(context.Background(), email, "hash")
	if err != nil {
		t.Fatal(err)
	}
	return s, u.ID
}

// A database that accepts connections and then says nothing must not hold
// the caller for ever: each connection gives up after ConnectTimeout.
func TestOpenGivesUpOnASilentDatabase(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accepted, never answered
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 3*pgstore.ConnectTimeout)
	defer cancel()
	start := time.Now()
	_, err = pgstore.Open(ctx, "postgres://postgres@"+ln.Addr().String()+"/test?sslmode=disable")
	if err == nil {
		t.Fatal("opened a database that never answered")
	}
	if took := time.Since(start); took > 2*pgstore.ConnectTimeout {
		t.Errorf("gave up after %v, want about %v", took, pgstore.ConnectTimeout)
	}
}
