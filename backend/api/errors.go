package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/getsentry/sentry-go"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

// statusOf is the one place where domain error codes become HTTP statuses.
// It covers every code of studio.Codes (a test fails otherwise), the
// desktop's own codes too, so any code that reaches the server answers a
// deliberate status.
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
	studio.ECanceled:     http.StatusRequestTimeout,
	studio.EInvalidText:  http.StatusBadRequest,

	studio.EEmailTaken:     http.StatusConflict,
	studio.EBadCredentials: http.StatusUnauthorized,
	studio.EWeakPassword:   http.StatusBadRequest,
	studio.EInvalidEmail:   http.StatusBadRequest,

	studio.EConsentRequired:     http.StatusForbidden,
	studio.EConsentOutdated:     http.StatusForbidden,
	studio.EConsentMismatch:     http.StatusBadRequest,
	studio.EConsentExpired:      http.StatusForbidden,
	studio.EAttestationRequired: http.StatusBadRequest,
	studio.EConsentRefused:      http.StatusForbidden,

	studio.EUnknownBaseModel: http.StatusBadRequest,
	studio.EUnknownPlatform:  http.StatusBadRequest,

	studio.EDuplicateFile:      http.StatusBadRequest,
	studio.EFileTooLarge:       http.StatusRequestEntityTooLarge,
	studio.EUnsupportedFormat:  http.StatusUnsupportedMediaType,
	studio.ECorrupt:            http.StatusBadRequest,
	studio.ETooManyPixels:      http.StatusRequestEntityTooLarge,
	studio.EUnreadable:         http.StatusBadRequest,
	studio.EUploadMissing:      http.StatusConflict,
	studio.EUploadMismatch:     http.StatusConflict,
	studio.EUnknownUpload:      http.StatusBadRequest,
	studio.EUploadRefused:      http.StatusBadRequest,
	studio.ENotUploaded:        http.StatusConflict,
	studio.EStorageUnavailable: http.StatusServiceUnavailable,
	studio.EQuotaExceeded:      http.StatusForbidden,

	studio.EIdempotencyKeyRequired: http.StatusBadRequest,
	studio.EIdempotencyKeyInvalid:  http.StatusBadRequest,
	studio.EIdempotencyKeyReused:   http.StatusUnprocessableEntity,
	studio.EIdempotencyKeyInFlight: http.StatusConflict,
	studio.EDatasetNotValidated:    http.StatusConflict,
	studio.EBaseModelUnsupported:   http.StatusBadRequest,
	studio.EParamOutOfBounds:       http.StatusBadRequest,
	studio.EProviderUnavailable:    http.StatusServiceUnavailable,
	studio.ETrainingUnavailable:    http.StatusServiceUnavailable,
	studio.EVersionNotReady:        http.StatusConflict,
	studio.EJobFinished:            http.StatusConflict,
	studio.EJobNotSucceeded:        http.StatusConflict,
	studio.EInvalidCaption:         http.StatusUnprocessableEntity,
	studio.ECaptioningInProgress:   http.StatusConflict,
	studio.ECaptionsUnreviewed:     http.StatusConflict,
	studio.ECaptionerUnavailable:   http.StatusServiceUnavailable,

	studio.EWebhookUnauthenticated: http.StatusUnauthorized,
	studio.EWebhookMalformed:       http.StatusBadRequest,
	studio.EWebhookTooSlow:         http.StatusRequestTimeout,

	studio.EWeightOutOfRange:  http.StatusBadRequest,
	studio.EInvalidIdentity:   http.StatusBadRequest,
	studio.EInvalidPrompt:     http.StatusBadRequest,
	studio.EEmptyPrompt:       http.StatusBadRequest,
	studio.EPromptTooLong:     http.StatusBadRequest,
	studio.EInvalidSize:       http.StatusBadRequest,
	studio.EInvalidDuration:   http.StatusBadRequest,
	studio.EInvalidReference:  http.StatusBadRequest,
	studio.ENoReferences:      http.StatusBadRequest,
	studio.ETooManyReferences: http.StatusBadRequest,
	studio.ELoRAPipeline:      http.StatusBadRequest,
	studio.EInvalidLoRA:       http.StatusBadRequest,

	studio.EInvalidPack:  http.StatusBadRequest,
	studio.EPackTampered: http.StatusBadRequest,

	// The desktop's own: never raised by the server, mapped all the same.
	studio.EDownloadCanceled:     http.StatusRequestTimeout,
	studio.EDownloadRunning:      http.StatusConflict,
	studio.EDownloadCorrupt:      http.StatusBadGateway,
	studio.EDownloadURLExpired:   http.StatusForbidden,
	studio.EInstallConflict:      http.StatusConflict,
	studio.EInstallFolderMissing: http.StatusNotFound,
}

// HTTPStatus returns the status for err's code.
func HTTPStatus(err error) int {
	if s, ok := statusOf[studio.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// apiError is the body of every error: {"error":{"code","message"}}.
type apiError struct {
	status     int
	Body       wire.ErrorDetail `json:"error"`
	retryAfter string
}

func (e *apiError) Error() string  { return e.Body.Code + ": " + e.Body.Message }
func (e *apiError) GetStatus() int { return e.status }

// ContentType keeps errors plain JSON rather than problem+json.
func (e *apiError) ContentType(string) string { return "application/json" }

// unavailableRetryAfter is the Retry-After, in seconds, of an
// "unavailable" answer (the database cannot be reached).
const unavailableRetryAfter = "5"

// GetHeaders lets a 429 and a 503 carry Retry-After.
func (e *apiError) GetHeaders() http.Header {
	if e.retryAfter == "" {
		return nil
	}
	return http.Header{"Retry-After": []string{e.retryAfter}}
}

func init() {
	// Errors huma raises itself: a validation failure lists every problem
	// with its location, so the client can fix them all at once.
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		if status == http.StatusUnprocessableEntity {
			status = http.StatusBadRequest // schema violations are plain invalid input here
		}
		e := &apiError{status: status}
		e.Body.Code = studio.CodeOfStatus(status)
		var parts []string
		for _, err := range errs {
			var d *huma.ErrorDetail
			if errors.As(err, &d) {
				parts = append(parts, strings.TrimSpace(d.Location+": "+d.Message))
			} else if err != nil {
				parts = append(parts, err.Error())
			}
		}
		e.Body.Message = msg
		if len(parts) > 0 {
			e.Body.Message += ": " + strings.Join(parts, "; ")
		}
		return e
	}
}

// retryable is an error the client may retry after a delay: its answer
// carries Retry-After.
type retryable struct {
	err   error
	after time.Duration
}

func (e *retryable) Error() string { return e.err.Error() }
func (e *retryable) Unwrap() error { return e.err }

// retryLater marks err as worth retrying after d.
func retryLater(err error, d time.Duration) error { return &retryable{err: err, after: d} }

// toAPIError converts a domain error for huma, logging internal ones with
// their cause (and sending them to Sentry when it is on) and hiding that
// cause from the client.
func toAPIError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	if studio.ErrorCode(err) == studio.EInternal && pgstore.Unreachable(err) {
		err = studio.Wrap(err, studio.EUnavailable, "the database cannot be reached; retry in a few seconds")
	}
	e := &apiError{status: HTTPStatus(err)}
	e.Body.Code = studio.ErrorCode(err)
	e.Body.Message = studio.ErrorMessage(err)
	var rl *retryable
	if errors.As(err, &rl) {
		e.retryAfter = strconv.Itoa(retrySeconds(rl.after))
	} else if e.Body.Code == studio.EUnavailable {
		e.retryAfter = unavailableRetryAfter
	}
	if e.status >= 500 {
		logger(ctx).Error("request failed", "err", err, "code", e.Body.Code)
		if hub := sentry.GetHubFromContext(ctx); hub != nil {
			hub.CaptureException(err)
		}
	}
	return e
}

// writeError answers a plain net/http route with the same error body and
// headers (Retry-After).
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := toAPIError(r.Context(), err).(*apiError)
	for k, v := range e.GetHeaders() {
		w.Header()[k] = v
	}
	writeJSON(w, e.status, e)
}
