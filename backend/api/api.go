// Package api is the backend's HTTP surface: routes declared with huma
// (schema validation, strict JSON, an OpenAPI document at /openapi.json),
// bearer-token auth scoped to one user, errors mapped from domain codes in
// one table, request ids on every log line, rate limits and metrics.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/getsentry/sentry-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/promptforge/lorastudio/backend/auth"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

// Pinger is what the health check needs of the database.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config holds a Server's dependencies. Store may be nil only for a server
// that answers health checks (the database is then reported unreachable).
type Config struct {
	DB       Pinger
	Store    Store // *pgstore.Store
	Blobs    Blobs
	Validate Validator
	Limiter  Limiter
	Log      *slog.Logger
	Version  string
	Sentry   bool // report panics and 5xx to Sentry

	// BlobHandler serves the local signed store's URLs under /blob/, if any.
	BlobHandler http.Handler

	Password      auth.Params   // argon2id parameters of new hashes, unless Hasher is set
	Hasher        *auth.Hasher  // nil: one with Password and the default budget (auth.NewHasher)
	TokenTTL      time.Duration // default 30 days
	UploadTTL     time.Duration // presigned URL lifetime, default 15 minutes
	MultipartFrom int64         // files at least this big go multipart, default 8 MiB
	PartSize      int64         // preferred part size, default 5 MiB
	Quota         pgstore.Quota // what one user's datasets may hold, default DefaultQuota
	DecodeMemory  int64         // bytes all validations' decodes may hold at once (more queue), default dataset.DefaultDecodeMemory
	Processors    []string      // named in every consent: the storage and the GPU provider
	RetentionDays int           // default 365

	Training Training // providers, dispatch queue and webhook ingestion
}

// DefaultQuota is what one user's datasets may hold: 2 GiB in 500 photos,
// some 25 datasets of 20 photos at their largest, counted from init.
var DefaultQuota = pgstore.Quota{Bytes: 2 << 30, Files: 500}

// Server serves the backend's routes.
type Server struct {
	cfg     Config
	mux     *routeMux
	api     huma.API
	metrics *metrics

	hasher   *auth.Hasher
	attempts AttemptLimiter // per-account sign-in backoff
	dummy    string         // a hash unknown emails are checked against, so they cost the same

	webhookReads   chan struct{}         // a slot per webhook body being read
	replicateReads chan struct{}         // the same for Replicate's larger ones
	decode         *dataset.DecodeBudget // shared by every validation
}

// New returns a Server with every route registered.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if p, ok := cfg.Store.(Pinger); ok && cfg.DB == nil {
		cfg.DB = p
	}
	if cfg.Hasher == nil {
		cfg.Hasher = auth.NewHasher(auth.HasherConfig{Params: cfg.Password})
	}
	cfg.Password = cfg.Hasher.Params()
	setDefault(&cfg.TokenTTL, 30*24*time.Hour)
	setDefault(&cfg.UploadTTL, 15*time.Minute)
	setDefault(&cfg.MultipartFrom, 8<<20)
	setDefault(&cfg.PartSize, 5<<20)
	setDefault(&cfg.Quota, DefaultQuota)
	setDefault(&cfg.DecodeMemory, dataset.DefaultDecodeMemory)
	setDefault(&cfg.RetentionDays, 365)
	setDefault(&cfg.Training.IdempotencyTTL, DefaultIdempotencyTTL)
	setDefault(&cfg.Training.IdempotencyLock, time.Minute)
	setDefault(&cfg.Training.WebhookReadTimeout, DefaultWebhookReadTimeout)
	setDefault(&cfg.Training.WebhookReads, DefaultWebhookReads)
	setDefault(&cfg.Training.ReplicateWebhookReads, DefaultReplicateWebhookReads)
	if cfg.Limiter == nil {
		cfg.Limiter = NewMemoryLimiter(DefaultLimits)
	}

	s := &Server{cfg: cfg, mux: &routeMux{ServeMux: http.NewServeMux()}, metrics: newMetrics(), hasher: cfg.Hasher, dummy: cfg.Hasher.DummyHash(),
		decode:         dataset.NewDecodeBudget(cfg.DecodeMemory),
		webhookReads:   make(chan struct{}, cfg.Training.WebhookReads),
		replicateReads: make(chan struct{}, cfg.Training.ReplicateWebhookReads)}
	if a, ok := cfg.Limiter.(AttemptLimiter); ok {
		s.attempts = a // shared through Redis when the limiter is
	} else {
		s.attempts = newMemoryLimiter(nil, DefaultBackoff, time.Now)
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	if cfg.BlobHandler != nil {
		s.mux.Handle("/blob/", cfg.BlobHandler) // it reads the key after its own base path
	}

	hc := huma.DefaultConfig("LoRA Studio API", "1.0.0")
	hc.OpenAPIPath = "/openapi"
	hc.DocsPath = ""
	hc.SchemasPath = ""
	hc.CreateHooks = nil // no "$schema" links added to responses: the contract's shapes are exact
	hc.Components.Schemas = huma.NewMapRegistry("#/components/schemas/", schemaName)
	hc.Info.Description = apiDescription()
	hc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "a token from /api/auth/register or /api/auth/login"},
	}
	s.api = humago.New(s.mux, hc)
	s.api.UseMiddleware(s.authenticate, s.rateLimit)
	s.registerAuth()
	s.registerConsent()
	s.registerDatasets()
	s.registerModels()
	s.registerJobs()
	s.registerVersions()
	s.registerCheckpoints()
	s.registerArtifact()
	s.mux.HandleFunc("POST "+wire.PathWebhook, s.webhook) // raw body: verified before it is parsed
	s.registerPresign()
	s.documentPlainRoutes()
	return s
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("X-Request-Id")
	if !validRequestID(id) {
		id = newRequestID()
	}
	w.Header().Set("X-Request-Id", id)
	log := s.cfg.Log.With("request_id", id)
	ctx := withLogger(r.Context(), log)
	if s.cfg.Sentry {
		hub := sentry.CurrentHub().Clone()
		hub.Scope().SetTag("request_id", id)
		ctx = sentry.SetHubOnContext(ctx, hub)
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	req := r.WithContext(ctx)
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			log.Error("panic", "panic", p, "method", r.Method, "path", r.URL.Path)
			if hub := sentry.GetHubFromContext(ctx); hub != nil {
				hub.Recover(p)
			}
			if !rec.wrote {
				writeError(rec, req, studio.Errorf(studio.EInternal, "internal error"))
			}
		}
		elapsed := time.Since(start)
		route := req.Pattern // set by the mux on the request it dispatched
		if route == "" {
			route = "unmatched"
		}
		s.metrics.observe(route, rec.status, elapsed)
		log.Info("request", "method", r.Method, "path", r.URL.Path, "route", route, "status", rec.status,
			"duration_ms", float64(elapsed.Microseconds())/1000)
	}()
	s.mux.ServeHTTP(rec, req)
}

// healthz answers 200 when the database answers, 503 otherwise, and says
// which in its body so a load balancer and a person both understand it.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	h := wire.Health{Status: "ok", Database: "ok", Version: s.cfg.Version}
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

type ctxKey int

const (
	loggerKey ctxKey = iota
	userKey
)

func withLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey, l)
}

// logger returns the request's logger, which carries its request id.
func logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.New(slog.DiscardHandler)
}

// userID returns the authenticated user of the request; the auth middleware
// guarantees it on every operation that declares bearer security.
func userID(ctx context.Context) string {
	id, _ := ctx.Value(userKey).(string)
	return id
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

type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lorastudio_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "lorastudio_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	m.reg.MustRegister(m.requests, m.latency, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}
