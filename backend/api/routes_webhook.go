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

// maxWebhookBody bounds our own worker's webhooks, which carry no logs.
// Replicate's carry the training's whole log and get
// training.MaxReplicateTraining (16 MiB).
const maxWebhookBody = 1 << 20

// Defaults of Training.WebhookReadTimeout, WebhookReads and
// ReplicateWebhookReads: a sender gets 10 s to deliver its body (a slow one
// held a connection and its buffers as long as it liked); at most 64 of
// our worker's bodies and 4 of Replicate's are read and parsed at once;
// more are answered 503 with Retry-After, which senders retry (and the
// reconciliation polls a job whose webhooks never got through).
//
// A body is held whole (the signature covers its raw bytes) while it is
// verified and parsed, and parsing allocates about twice its size more (the
// unquoted log and its string: BenchmarkReadReplicateLongLog measures 2.0×);
// after that only the parsed event is kept. So the webhooks' memory is at
// most about 3 × (64 × 1 MiB + 4 × 16 MiB) = 384 MiB.
const (
	DefaultWebhookReadTimeout    = 10 * time.Second
	DefaultWebhookReads          = 64
	DefaultReplicateWebhookReads = 4
	webhookRetryAfter            = 1 // seconds
)

// webhook is a plain handler, not huma: the signature covers the raw
// bytes, which must reach the verifier untouched and before any parsing.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	in := s.cfg.Training.Ingester
	if in == nil {
		writeError(w, r, studio.Errorf(studio.ETrainingUnavailable, "this server takes no webhooks"))
		return
	}
	msg, answered, err := s.readWebhook(w, r, in)
	if answered {
		return
	}
	var res training.Result
	if err == nil {
		res, err = in.Apply(r.Context(), msg)
	}
	switch {
	case errors.Is(err, training.ErrUnauthenticated):
		logger(r.Context()).Warn("webhook refused", "err", err)
		writeError(w, r, studio.Errorf(studio.EWebhookUnauthenticated, "the webhook signature or timestamp is invalid"))
	case errors.Is(err, training.ErrMalformed):
		writeError(w, r, studio.Errorf(studio.EWebhookMalformed, "%s", err.Error()))
	case err != nil:
		writeError(w, r, err) // 5xx: the sender retries
	default:
		writeJSON(w, http.StatusOK, res)
	}
}

// readWebhook reads, verifies and parses a webhook in one of the read
// slots of its kind, freed before the message is applied (which may copy
// Replicate's weights for minutes). It reports whether it answered already
// (refused the body); an error is Read's, for the caller to answer.
func (s *Server) readWebhook(w http.ResponseWriter, r *http.Request, in *training.Ingester) (msg training.Message, answered bool, err error) {
	limit, slots := int64(maxWebhookBody), s.webhookReads
	if r.URL.Query().Get("provider") == "replicate" {
		limit, slots = training.MaxReplicateTraining, s.replicateReads
	}
	rc := http.NewResponseController(w)
	select {
	case slots <- struct{}{}:
		defer func() { <-slots }()
	default:
		// Not read, and not drained either: the connection closes at once.
		rc.SetReadDeadline(time.Now())
		w.Header().Set("Connection", "close")
		w.Header().Set("Retry-After", strconv.Itoa(webhookRetryAfter))
		writeError(w, r, studio.Errorf(studio.EUnavailable, "too many webhooks are being received; retry in %d s", webhookRetryAfter))
		return msg, true, nil
	}
	rc.SetReadDeadline(time.Now().Add(s.cfg.Training.WebhookReadTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, r, studio.Errorf(studio.ETooLarge, "webhook bodies are at most %d bytes", limit))
		return msg, true, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		w.Header().Set("Connection", "close")
		writeError(w, r, studio.Errorf(studio.EWebhookTooSlow, "the body did not arrive within %s; send it again", s.cfg.Training.WebhookReadTimeout))
		return msg, true, nil
	case err != nil:
		writeError(w, r, studio.Errorf(studio.EInvalid, "could not read the webhook body: %v", err))
		return msg, true, nil
	}
	rc.SetReadDeadline(time.Time{})
	msg, err = in.Read(r.Context(), r.Header, r.URL.Query(), body)
	return msg, false, err
}
