// Package pgtest gives tests a throwaway database on a real Postgres server:
// the one DATABASE_URL names, or the local one. It never skips: a test that
// needs Postgres and cannot reach it fails, and says how to start one.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/promptforge/lorastudio/migrations"
)

// ServerURL returns DATABASE_URL, or migrations.DefaultPostgresURL when it is unset.
func ServerURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return migrations.DefaultPostgresURL
}

// TB is the part of testing.TB this package uses, so a benchmark program
// can create a database too (clustertest.Program).
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
	Cleanup(func())
}

// NewDatabase creates an empty database with a random name on the server,
// drops it when the test ends, and returns its URL. Tests that use it can
// run in parallel, across packages too, without seeing each other's rows.
func NewDatabase(tb TB) string {
	tb.Helper()
	base := ServerURL()
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" {
		tb.Fatalf("pgtest: DATABASE_URL must be a postgres:// URL, got %q", base)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("pgtest: cannot reach Postgres at %s: %v\n"+
			"start one (make test does it for you) or set DATABASE_URL", redact(u), err)
	}
	defer admin.Close(context.Background())

	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	name := "lorastudio_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("pgtest: drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

func redact(u *url.URL) string {
	c := *u
	if _, ok := c.User.Password(); ok {
		c.User = url.UserPassword(c.User.Username(), "xxx")
	}
	return fmt.Sprint(&c)
}
