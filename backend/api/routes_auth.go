package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/promptforge/lorastudio/backend/auth"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

type credentials struct{ Body wire.Credentials }

type tokenOut struct{ Body wire.Token }

func (s *Server) registerAuth() {
	register(s, huma.Operation{
		OperationID: "register", Method: http.MethodPost, Path: "/api/auth/register",
		Summary: "Create an account and sign in", DefaultStatus: http.StatusCreated,
		Metadata: map[string]any{"rate_limit": "auth"}, Tags: []string{"auth"},
	}, s.registerUser)
	register(s, huma.Operation{
		OperationID: "login", Method: http.MethodPost, Path: "/api/auth/login",
		Summary: "Sign in", Metadata: map[string]any{"rate_limit": "auth"}, Tags: []string{"auth"},
	}, s.login)
	register(s, huma.Operation{
		OperationID: "logout", Method: http.MethodPost, Path: "/api/auth/logout",
		Summary: "Sign out: the token stops working", Security: bearer, DefaultStatus: http.StatusNoContent, Tags: []string{"auth"},
	}, s.logout)
}

func (s *Server) registerUser(ctx context.Context, in *credentials) (*tokenOut, error) {
	email, err := auth.NormalizeEmail(in.Body.Email)
	if err != nil {
		return nil, err
	}
	if err := auth.CheckPasswordPolicy(in.Body.Password, email); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, auth.NormalizePassword(in.Body.Password))
	if err != nil {
		return nil, s.hashErr(err)
	}
	u, err := s.cfg.Store.CreateUser(ctx, email, hash)
	if err != nil {
		return nil, err
	}
	return s.issueToken(ctx, u.ID)
}

func (s *Server) login(ctx context.Context, in *credentials) (*tokenOut, error) {
	// One answer for a wrong email and a wrong password, so the route does
	// not tell who has an account.
	bad := studio.Errorf(studio.EBadCredentials, "email or password is wrong")
	// Throttled per account before any hashing, whatever the address, and
	// the same for an unknown email as for a known one.
	email, err := auth.NormalizeEmail(in.Body.Email)
	if err != nil {
		return nil, err
	}
	account := accountKey(email)
	retry, err := s.attempts.Attempt(ctx, account)
	if err != nil {
		return nil, retryLater(studio.Wrap(err, studio.EUnavailable, "sign-in is unavailable; retry shortly"), time.Second)
	}
	if retry > 0 {
		return nil, retryLater(studio.Errorf(studio.ERateLimited,
			"too many failed sign-ins to this account; wait %d s before trying again", retrySeconds(retry)), retry)
	}
	password := auth.NormalizePassword(in.Body.Password)
	u, err := s.cfg.Store.UserByEmail(ctx, email)
	if studio.ErrorCode(err) == studio.ENotFound {
		// The same cost as a real check, under the same memory budget.
		if _, err := s.hasher.Check(ctx, password, s.dummy); err != nil {
			return nil, s.hashErr(err)
		}
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	ok, err := s.hasher.Check(ctx, password, u.PasswordHash)
	if !ok && err == nil && password != in.Body.Password {
		// Hashes made before passwords were normalised hold the raw form.
		ok, err = s.hasher.Check(ctx, in.Body.Password, u.PasswordHash)
	}
	if err != nil {
		return nil, s.hashErr(err)
	}
	if !ok {
		return nil, bad
	}
	if err := s.attempts.Succeeded(ctx, account); err != nil {
		logger(ctx).Warn("reset sign-in attempts", "err", err)
	}
	return s.issueToken(ctx, u.ID)
}

func (s *Server) issueToken(ctx context.Context, userID string) (*tokenOut, error) {
	tok, hash, err := auth.NewToken()
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Store.CreateToken(ctx, userID, hash, s.cfg.TokenTTL); err != nil {
		return nil, err
	}
	out := &tokenOut{}
	out.Body.Token = tok
	return out, nil
}

type authHeader struct {
	Authorization string `header:"Authorization"`
}

func (s *Server) logout(ctx context.Context, in *authHeader) (*struct{}, error) {
	tok := strings.TrimPrefix(in.Authorization, "Bearer ")
	return nil, s.cfg.Store.RevokeToken(ctx, auth.HashToken(tok))
}

// accountKey names an account in the attempt limiter without putting the
// address itself in Redis or in memory dumps.
func accountKey(email string) string {
	h := sha256.Sum256([]byte(email)) // already normalised
	return hex.EncodeToString(h[:16])
}

// hashErr turns a hasher at capacity into 503 with Retry-After, so a client
// backs off instead of the server queueing sign-ins without end.
func (s *Server) hashErr(err error) error {
	if errors.Is(err, auth.ErrBusy) {
		return retryLater(studio.Wrap(err, studio.EUnavailable, "the server is busy signing other people in; retry shortly"), s.hasher.MaxWait())
	}
	return err
}
