package api

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/studio"
)

// maxWebhookBody bounds a webhook: Replicate's carry the training's logs.
const maxWebhookBody = 1 << 20

// Defaults of Training.WebhookReadTimeout and WebhookReads: a sender gets
// 10 s to deliver a body of at most 1 MiB (a slow one held a connection
// and its buffers as long as it liked), and at most 64 bodies are read at
// once; more are answered 503 with Retry-After, which senders retry.
const (
	DefaultWebhookReadTimeout = 10 * time.Second
	DefaultWebhookReads       = 64
	webhookRetryAfter         = 1 // seconds
)

// webhook is a plain handler, not huma: the signature covers the raw
// bytes, which must reach the verifier untouched and before any parsing.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	in := s.cfg.Training.Ingester
	if in == nil {
		writeError(w, r, studio.Errorf("training_unavailable", "this server takes no webhooks"))
		return
	}
	rc := http.NewResponseController(w)
	select {
	case s.webhookReads <- struct{}{}:
	default:
		// Not read, and not drained either: the connection closes at once.
		rc.SetReadDeadline(time.Now())
		w.Header().Set("Connection", "close")
		w.Header().Set("Retry-After", strconv.Itoa(webhookRetryAfter))
		writeError(w, r, studio.Errorf(studio.EUnavailable, "too many webhooks are being received; retry in %d s", webhookRetryAfter))
		return
	}
	rc.SetReadDeadline(time.Now().Add(s.cfg.Training.WebhookReadTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	<-s.webhookReads
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, r, studio.Errorf(studio.ETooLarge, "webhook bodies are at most %d bytes", maxWebhookBody))
		return
	case errors.Is(err, os.ErrDeadlineExceeded):
		w.Header().Set("Connection", "close")
		writeError(w, r, studio.Errorf("webhook_too_slow", "the body did not arrive within %s; send it again", s.cfg.Training.WebhookReadTimeout))
		return
	case err != nil:
		writeError(w, r, studio.Errorf(studio.EInvalid, "could not read the webhook body: %v", err))
		return
	}
	rc.SetReadDeadline(time.Time{})
	res, err := in.Ingest(r.Context(), r.Header, r.URL.Query(), body)
	switch {
	case errors.Is(err, training.ErrUnauthenticated):
		logger(r.Context()).Warn("webhook refused", "err", err)
		writeError(w, r, studio.Errorf("webhook_unauthenticated", "the webhook signature or timestamp is invalid"))
	case errors.Is(err, training.ErrMalformed):
		writeError(w, r, studio.Errorf("webhook_malformed", "%s", err.Error()))
	case err != nil:
		writeError(w, r, err) // 5xx: the sender retries
	default:
		writeJSON(w, http.StatusOK, res)
	}
}
