package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"github.com/promptforge/lorastudio/backend/pgstore"
)

func TestUnreachable(t *testing.T) {
	pg := func(code string) error { return fmt.Errorf("pgstore: x: %w", &pgconn.PgError{Code: code}) }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"admin shutdown", pg("57P01"), true},
		{"cannot connect now", pg("57P03"), true},
		{"connection failure", pg("08006"), true},
		{"too many connections", pg("53300"), true},
		{"closed pool", fmt.Errorf("q: %w", puddle.ErrClosedPool), true},
		{"deadline acquiring", fmt.Errorf("acquire: %w", context.DeadlineExceeded), true},
		{"connection dropped mid-reply", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"unique violation", pg("23505"), false},
		{"NUL in text", pg("22021"), false},
		{"no rows", pgx.ErrNoRows, false},
		{"canceled by the caller", context.Canceled, false},
		{"plain bug", errors.New("nil map"), false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		if got := pgstore.Unreachable(tt.err); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	// A real failed connect is a *pgconn.ConnectError.
	_, err := pgx.Connect(context.Background(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=2")
	if err == nil || !pgstore.Unreachable(err) {
		t.Errorf("failed connect %v: got not unreachable", err)
	}
}
