// Package api is the backend's HTTP surface: routing, JSON errors mapped
// from domain codes in one table, request ids, panic recovery and health.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/promptforge/lorastudio/internal/studio"
)

// Pinger is what the health check needs of the database.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config holds a Server's dependencies.
type Config struct {
	DB      Pinger
	Log     *slog.Logger
	Version string
	Sentry  bool // report panics and 5xx to Sentry
}

// Server serves the backend's routes.
type Server struct {
	cfg Config
	mux *http.ServeMux
}

// New returns a Server with every route registered.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("X-Request-Id")
	if !validRequestID(id) {
		id = newRequestID()
	}
	w.Header().Set("X-Request-Id", id)
	log := s.cfg.Log.With("request_id", id)
	ctx := withLogger(r.Context(), log)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			log.Error("panic", "panic", p, "method", r.Method, "path", r.URL.Path)
			if s.cfg.Sentry {
				sentry.CurrentHub().Clone().Recover(p)
			}
			if !rec.wrote {
				writeError(rec, r.WithContext(ctx), studio.Errorf(studio.EInternal, "internal error"))
			}
		}
		log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"duration_ms", float64(time.Since(start).Microseconds())/1000)
	}()
	s.mux.ServeHTTP(rec, r.WithContext(ctx))
}

type health struct {
	Status   string `json:"status"`
	Database string `json:"database"`
	Version  string `json:"version,omitempty"`
	Error    string `json:"error,omitempty"`
}

// healthz answers 200 when the database answers, 503 otherwise, and says
// which in its body so a load balancer and a person both understand it.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	h := health{Status: "ok", Database: "ok", Version: s.cfg.Version}
	status := http.StatusOK
	if s.cfg.DB == nil {
		h.Status, h.Database, status = "unavailable", "not configured", http.StatusServiceUnavailable
	} else if err := s.cfg.DB.Ping(ctx); err != nil {
		logger(r.Context()).Warn("health: database unreachable", "err", err)
		h.Status, h.Database, h.Error, status = "unavailable", "unreachable", "database unreachable", http.StatusServiceUnavailable
	}
	writeJSON(w, status, h)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

type ctxKey struct{}

func withLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// logger returns the request's logger, which carries its request id.
func logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(ctxKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.New(slog.DiscardHandler)
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validRequestID accepts a caller's id only if it is short and plain, so a
// hostile header cannot forge log lines.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
