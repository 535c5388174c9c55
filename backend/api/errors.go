package api

import (
	"net/http"

	"github.com/getsentry/sentry-go"

	"github.com/promptforge/lorastudio/internal/studio"
)

// statusOf is the one place where domain error codes become HTTP statuses.
// A code missing here is a bug and answers 500, so it gets noticed.
var statusOf = map[string]int{
	studio.EInvalid:      http.StatusBadRequest,
	studio.ENotFound:     http.StatusNotFound,
	studio.EConflict:     http.StatusConflict,
	studio.EUnauthorized: http.StatusUnauthorized,
	studio.EForbidden:    http.StatusForbidden,
	studio.ETooLarge:     http.StatusRequestEntityTooLarge,
	studio.ERateLimited:  http.StatusTooManyRequests,
	studio.EUnavailable:  http.StatusServiceUnavailable,
	studio.ENotImpl:      http.StatusNotImplemented,
	studio.EInternal:     http.StatusInternalServerError,

	"unknown_base_model": http.StatusBadRequest,
	"unknown_platform":   http.StatusBadRequest,
}

// HTTPStatus returns the status for err's code.
func HTTPStatus(err error) int {
	if s, ok := statusOf[studio.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError answers {"error":{"code","message"}}. Internal errors are
// logged (and sent to Sentry when enabled) with their cause; the client only
// ever sees the generic message.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := HTTPStatus(err)
	var body errorBody
	body.Error.Code = studio.ErrorCode(err)
	body.Error.Message = studio.ErrorMessage(err)
	if status >= 500 {
		logger(r.Context()).Error("request failed", "err", err, "code", body.Error.Code)
		if hub := sentry.GetHubFromContext(r.Context()); hub != nil {
			hub.CaptureException(err)
		} else if sentry.CurrentHub().Client() != nil {
			sentry.CaptureException(err)
		}
	}
	writeJSON(w, status, body)
}
