// Package telemetry sets up what every LoRA Studio program reports about
// itself: structured JSON logs through log/slog and, only when a DSN is
// configured, errors to Sentry. Nothing leaves the machine without a DSN.
package telemetry

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/getsentry/sentry-go"
)

// NewLogger returns a JSON logger writing to w at the given level
// ("debug", "info", "warn", "error"; empty means info).
func NewLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if level != "" {
		if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
			return nil, fmt.Errorf("telemetry: log level %q: want debug, info, warn or error", level)
		}
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// Sentry initialises the Sentry client when dsn is not empty and returns a
// flush function to call before the program exits. With an empty dsn it
// does nothing and reports false.
func Sentry(dsn, release, environment string) (enabled bool, flush func(), err error) {
	if dsn == "" {
		return false, func() {}, nil
	}
	err = sentry.Init(sentry.ClientOptions{
		Dsn:         dsn,
		Release:     release,
		Environment: environment,
		// Face photos are biometric data: never attach request bodies or
		// personal data to an event.
		SendDefaultPII: false,
	})
	if err != nil {
		return false, func() {}, fmt.Errorf("telemetry: sentry: %w", err)
	}
	return true, func() { sentry.Flush(2 * time.Second) }, nil
}
