// Package studio holds LoRA Studio's domain: the types of its tables, the
// registries of trainable base models and target platforms, and the one
// error type every layer speaks. It imports nothing of the project.
package studio

import (
	"errors"
	"fmt"
)

// Error is the error type of the domain. Code is one of the E* constants of
// codes.go, Message is
// written for the person who reads it and says what to do.
type Error struct {
	Code    string
	Message string
	Err     error // the cause, if any; never shown to users
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with the given code and message whose cause is err.
func Wrap(err error, code, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for nil,
// and EInternal for any other error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the user-facing message of err: the *Error's message,
// or a generic one for internal errors, whose details are for the logs only.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// CodeOfStatus names the generic code of an HTTP status, for errors that
// arrive with a status only: the backend's own framework errors, and
// answers a client could not decode. Statuses are plain ints here so the
// domain needs no HTTP package.
func CodeOfStatus(status int) string {
	switch status {
	case 400, 422:
		return EInvalid
	case 401:
		return EUnauthorized
	case 403:
		return EForbidden
	case 404:
		return ENotFound
	case 409:
		return EConflict
	case 413:
		return ETooLarge
	case 429:
		return ERateLimited
	case 502, 503, 504:
		return EUnavailable
	}
	if status >= 500 {
		return EInternal
	}
	return EInvalid
}
