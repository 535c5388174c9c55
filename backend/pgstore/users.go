package pgstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/promptforge/lorastudio/internal/studio"
)

// User is an account.
type User struct {
	ID           string
	Email        string
	PasswordHash string
	CreatedAt    time.Time
}

// CreateUser stores a new account. Returns "email_taken" (EConflict) if the
// email is already registered, in any case.
func (s *Store) CreateUser(ctx context.Context, email, passwordHash string) (User, error) {
	u := User{Email: strings.TrimSpace(email), PasswordHash: passwordHash}
	err := s.pool.QueryRow(ctx,
		`INSERT INTO users (email, password_hash) VALUES ($1, $2) RETURNING id, created_at`,
		u.Email, passwordHash).Scan(&u.ID, &u.CreatedAt)
	if isUniqueViolation(err) {
		return User{}, studio.Errorf(studio.EEmailTaken, "an account with this email already exists; sign in instead")
	}
	if err != nil {
		return User{}, fmt.Errorf("pgstore: create user: %w", err)
	}
	return u, nil
}

// UserByEmail finds an account by email, ignoring case. Returns ENotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	err := s.pool.QueryRow(ctx,
		`SELECT id, email, password_hash, created_at FROM users WHERE lower(email) = lower($1)`,
		strings.TrimSpace(email)).Scan(&u.ID, &u.Email, &u.PasswordHash, &u.CreatedAt)
	if err != nil {
		return User{}, notFound(err, "no such account")
	}
	return u, nil
}

// CreateToken stores the hash of a new bearer token for user.
func (s *Store) CreateToken(ctx context.Context, userID string, hash []byte, ttl time.Duration) error {
	_, err := s.pool.Exec(ctx,
		`INSERT INTO auth_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)`,
		hash, userID, s.Now().Add(ttl))
	if err != nil {
		return fmt.Errorf("pgstore: create token: %w", err)
	}
	return nil
}

// UserIDByToken returns the user a live token belongs to.
// Returns EUnauthorized for an unknown, expired or revoked token.
func (s *Store) UserIDByToken(ctx context.Context, hash []byte) (string, error) {
	var id string
	err := s.pool.QueryRow(ctx,
		`SELECT user_id FROM auth_tokens WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2`,
		hash, s.Now()).Scan(&id)
	if err == pgx.ErrNoRows {
		return "", studio.Errorf(studio.EUnauthorized, "the token is unknown, expired or signed out; sign in again")
	}
	if err != nil {
		return "", fmt.Errorf("pgstore: token: %w", err)
	}
	return id, nil
}

// RevokeToken signs a token out. Revoking twice is not an error.
func (s *Store) RevokeToken(ctx context.Context, hash []byte) error {
	_, err := s.pool.Exec(ctx,
		`UPDATE auth_tokens SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL`, hash, s.Now())
	if err != nil {
		return fmt.Errorf("pgstore: revoke token: %w", err)
	}
	return nil
}
