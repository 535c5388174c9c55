package api

import (
	"errors"
	"io"
	"net/http"

	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/studio"
)

// maxWebhookBody bounds a webhook: Replicate's carry the training's logs.
const maxWebhookBody = 1 << 20

// webhook is a plain handler, not huma: the signature covers the raw
// bytes, which must reach the verifier untouched and before any parsing.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	in := s.cfg.Training.Ingester
	if in == nil {
		writeError(w, r, studio.Errorf("training_unavailable", "this server takes no webhooks"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		writeError(w, r, studio.Errorf(studio.ETooLarge, "webhook bodies are at most %d bytes", maxWebhookBody))
		return
	}
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
