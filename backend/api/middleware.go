package api

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/promptforge/lorastudio/backend/auth"
	"github.com/promptforge/lorastudio/internal/studio"
)

var bearer = []map[string][]string{{"bearer": {}}}

// authenticate resolves the bearer token of every operation that declares
// bearer security and puts the user's id in the context. Without a valid
// token the handler never runs.
func (s *Server) authenticate(ctx huma.Context, next func(huma.Context)) {
	if len(ctx.Operation().Security) == 0 {
		next(ctx)
		return
	}
	h := ctx.Header("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" {
		s.writeErr(ctx, studio.Errorf(studio.EUnauthorized, "sign in first: send Authorization: Bearer <token>"))
		return
	}
	id, err := s.cfg.Store.UserIDByToken(ctx.Context(), auth.HashToken(token))
	if err != nil {
		s.writeErr(ctx, err)
		return
	}
	next(huma.WithValue(ctx, userKey, id))
}

// rateLimit applies the limit named in an operation's metadata, per user
// (or per client address before sign-in).
func (s *Server) rateLimit(ctx huma.Context, next func(huma.Context)) {
	bucket, _ := ctx.Operation().Metadata["rate_limit"].(string)
	if bucket == "" {
		next(ctx)
		return
	}
	who := userID(ctx.Context())
	if who == "" {
		who = "ip:" + clientIP(ctx.RemoteAddr())
	}
	ok, retry, err := s.cfg.Limiter.Allow(ctx.Context(), bucket, who)
	if err != nil {
		// Never "allow everything": the Redis limiter falls back to memory
		// itself, so an error here is a limiter that cannot decide at all.
		s.writeErr(ctx, retryLater(studio.Wrap(err, studio.EUnavailable, "the rate limiter is unavailable; retry shortly"), time.Second))
		return
	}
	if !ok {
		s.writeErr(ctx, retryLater(studio.Errorf(studio.ERateLimited, "too many requests; retry in %d s", retrySeconds(retry)), retry))
		return
	}
	next(ctx)
}

func (s *Server) writeErr(ctx huma.Context, err error) {
	e := toAPIError(ctx.Context(), err).(*apiError)
	for k, v := range e.GetHeaders() {
		ctx.SetHeader(k, v[0])
	}
	ctx.SetHeader("Content-Type", "application/json")
	ctx.SetStatus(e.status)
	if err := json.NewEncoder(ctx.BodyWriter()).Encode(e); err != nil {
		logger(ctx.Context()).Warn("write error body", "err", err)
	}
}

func clientIP(remote string) string {
	if i := strings.LastIndexByte(remote, ':'); i > 0 {
		return strings.Trim(remote[:i], "[]")
	}
	return remote
}

// register wraps a handler so every error it returns goes through the one
// mapping of codes to statuses, and no handler sees a request string with
// control or invisible formatting characters (checkText).
func register[I, O any](s *Server, op huma.Operation, h func(ctx context.Context, in *I) (*O, error)) {
	if op.MaxBodyBytes == 0 {
		op.MaxBodyBytes = 64 << 10 // JSON requests here are small; photos go to storage
	}
	huma.Register(s.api, op, func(ctx context.Context, in *I) (*O, error) {
		if err := checkText(in); err != nil {
			return nil, toAPIError(ctx, err)
		}
		out, err := h(ctx, in)
		if err != nil {
			return nil, toAPIError(ctx, err)
		}
		return out, nil
	})
}
