package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/backend/auth"
	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/consent"
	"github.com/promptforge/lorastudio/internal/pgtest"
	"github.com/promptforge/lorastudio/internal/studio"
)

type env struct {
	t       *testing.T
	srv     *httptest.Server
	blobDir string // the local store's folder
}

func newEnv(t *testing.T, mod func(*api.Config)) *env {
	t.Helper()
	ctx := context.Background()
	store, err := pgstore.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	e := &env{t: t}
	var h http.Handler
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	e.blobDir = t.TempDir()
	local, err := blob.NewLocal(e.blobDir, e.srv.URL+"/blob", bytes.Repeat([]byte("k"), 32), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{Store: store, Blobs: local, BlobHandler: local.Handler(),
		Password: auth.Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}, Processors: []string{"storage: test", "training: test"}}
	if mod != nil {
		mod(&cfg)
	}
	h = api.New(cfg)
	return e
}

func (e *env) req(method, path, token string, body string, hdr ...string) (int, http.Header, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func (e *env) register(email string) string {
	e.t.Helper()
	code, _, body := e.req("POST", "/api/auth/register", "", `{"email":"`+email+`","password":"a long passphrase"}`)
	if code != 201 {
		e.t.Fatalf("register: %d %s", code, body)
	}
	var out struct{ Token string }
	json.Unmarshal([]byte(body), &out)
	return out.Token
}

func errorCode(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("not an error body {error:{code,message}}: %s", body)
	}
	return e.Error.Code
}

// Every /api/lora route answers 401 without a token, before any work.
func TestEveryLoraRouteNeedsAToken(t *testing.T) {
	e := newEnv(t, nil)
	code, _, body := e.req("GET", "/openapi.json", "", "")
	if code != 200 {
		t.Fatalf("openapi: %d", code)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for p, ops := range doc.Paths {
		if !strings.HasPrefix(p, "/api/lora/") || p == "/api/lora/webhook" {
			continue
		}
		for method := range ops {
			n++
			path := strings.ReplaceAll(p, "{id}", "00000000-0000-0000-0000-000000000000")
			for _, tok := range []string{"", "lst_forged"} {
				code, _, body := e.req(strings.ToUpper(method), path, tok, `{}`)
				if code != 401 || errorCode(t, body) != "unauthorized" {
					t.Errorf("%s %s with token %q: got %d %s, want 401 unauthorized", method, p, tok, code, body)
				}
			}
		}
	}
	if n < 8 {
		t.Errorf("only %d /api/lora operations in the OpenAPI document", n)
	}
}

func TestStrictInput(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.register("a@example.com")
	sha := strings.Repeat("a", 64)
	tests := []struct {
		name, path, body string
		status           int
		code             string
	}{
		{"unknown field", "/api/lora/consents", `{"version":"x","sha256":"` + sha + `","attest_self":true,"admin":true}`, 400, "invalid"},
		{"malformed JSON", "/api/lora/consents", `{"version":`, 400, "invalid"},
		{"bad sha256", "/api/lora/consents", `{"version":"x","sha256":"zz","attest_self":true}`, 400, "invalid"},
		{"outdated text", "/api/lora/consents", `{"version":"1999-01-01","sha256":"` + sha + `","attest_self":true}`, 403, "consent_outdated"},
		{"no attestation", "/api/lora/consents", `{"version":"` + consent.Current.Version + `","sha256":"` + sha + `","attest_self":false}`, 400, "consent_mismatch"},
		{"huge body", "/api/lora/consents", `{"version":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "too_large"},
		{"init without consent", "/api/lora/datasets/init", `{"model_name":"me","files":[{"name":"a.jpg","size":10,"content_type":"image/jpeg","sha256":"` + sha + `"}]}`, 403, "consent_required"},
		{"no files", "/api/lora/datasets/init", `{"model_name":"me","files":null}`, 400, "invalid"},
		{"content type not a photo", "/api/lora/datasets/init", `{"model_name":"me","files":[{"name":"a.php","size":10,"content_type":"text/x-php","sha256":"` + sha + `"}]}`, 400, "invalid"},
		{"bad email", "/api/auth/register", `{"email":"not-an-email","password":"a long passphrase"}`, 400, "invalid"},
		{"weak password", "/api/auth/register", `{"email":"b@example.com","password":"short"}`, 400, "weak_password"},
		{"taken email", "/api/auth/register", `{"email":"A@example.com","password":"a long passphrase"}`, 409, "email_taken"},
		{"wrong password", "/api/auth/login", `{"email":"a@example.com","password":"wrong passphrase"}`, 401, "bad_credentials"},
		{"unknown email", "/api/auth/login", `{"email":"nobody@example.com","password":"wrong passphrase"}`, 401, "bad_credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := e.req("POST", tt.path, tok, tt.body)
			if code != tt.status || errorCode(t, body) != tt.code {
				t.Errorf("got %d %s, want %d %s", code, body, tt.status, tt.code)
			}
		})
	}
}

func TestLoginLogout(t *testing.T) {
	e := newEnv(t, nil)
	e.register("a@example.com")
	code, _, body := e.req("POST", "/api/auth/login", "", `{"email":"A@Example.com","password":"a long passphrase"}`)
	if code != 200 {
		t.Fatalf("login: %d %s", code, body)
	}
	var out struct{ Token string }
	json.Unmarshal([]byte(body), &out)
	if code, _, _ := e.req("GET", "/api/lora/datasets", out.Token, ""); code != 200 {
		t.Fatalf("with a fresh token: %d", code)
	}
	if code, _, _ := e.req("POST", "/api/auth/logout", out.Token, ""); code != 204 {
		t.Fatalf("logout: %d", code)
	}
	if code, _, _ := e.req("GET", "/api/lora/datasets", out.Token, ""); code != 401 {
		t.Errorf("after logout: got %d, want 401", code)
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, func(c *api.Config) {
		c.Limiter = api.NewMemoryLimiter(map[string]api.Limit{"auth": {PerMinute: 1, Burst: 2}})
	})
	var last int
	var hdr http.Header
	for range 3 {
		last, hdr, _ = e.req("POST", "/api/auth/login", "", `{"email":"x@example.com","password":"whatever it is"}`)
	}
	if last != 429 {
		t.Fatalf("third request in a burst of 2: got %d, want 429", last)
	}
	if ra := hdr.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After: got %q, want seconds to wait", ra)
	}
}

func TestRedisLimiterSharesBuckets(t *testing.T) {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	// Two limiters are two replicas: together they allow the burst once.
	l1, err := api.NewRedisLimiter(url, map[string]api.Limit{"jobs": {PerMinute: 1, Burst: 3}})
	if err != nil {
		t.Fatal(err)
	}
	l2, _ := api.NewRedisLimiter(url, map[string]api.Limit{"jobs": {PerMinute: 1, Burst: 3}})
	who := "test-" + time.Now().Format("150405.000000000")
	allowed := 0
	for i := range 6 {
		l := l1
		if i%2 == 1 {
			l = l2
		}
		ok, retry, err := l.Allow(context.Background(), "jobs", who)
		if err != nil {
			t.Fatalf("redis at %s: %v (CI starts Redis; set REDIS_URL elsewhere)", url, err)
		}
		if ok {
			allowed++
		} else if retry <= 0 {
			t.Errorf("refused without a retry delay")
		}
	}
	if allowed != 3 {
		t.Errorf("two replicas allowed %d requests, want the shared burst of 3", allowed)
	}
}

func TestHTTPStatusTable(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{studio.Errorf(studio.ENotFound, "x"), 404},
		{studio.Errorf(studio.EConsentRequired, "x"), 403},
		{studio.Errorf(studio.EEmailTaken, "x"), 409},
		{studio.Errorf(studio.EWeightOutOfRange, "x"), 400},
		{studio.Errorf("never_heard_of_it", "x"), 500},
		{io.EOF, 500},
	}
	for _, tt := range tests {
		if got := api.HTTPStatus(tt.err); got != tt.want {
			t.Errorf("HTTPStatus(%v): got %d, want %d", tt.err, got, tt.want)
		}
	}
}

// TestEveryCodeHasStatus: the table covers the closed set of codes, and
// holds no code outside it; only EInternal answers 500.
func TestEveryCodeHasStatus(t *testing.T) {
	set := map[string]bool{}
	for _, c := range studio.Codes() {
		set[c] = true
		s, ok := api.StatusOf[c]
		switch {
		case !ok:
			t.Errorf("code %q has no HTTP status in backend/api/errors.go", c)
		case s < 400 || s > 599:
			t.Errorf("code %q maps to %d, not an error status", c, s)
		case s == 500 && c != studio.EInternal:
			t.Errorf("code %q maps to 500, which only internal errors answer", c)
		}
	}
	for c := range api.StatusOf {
		if !set[c] {
			t.Errorf("the status table maps %q, which is not one of studio.Codes()", c)
		}
	}
}

// A 5xx reaches Sentry when a DSN is set: a local fake endpoint receives it.
func TestSentryGetsInternalErrors(t *testing.T) {
	var mu sync.Mutex
	var got []string
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(b))
		mu.Unlock()
	}))
	defer fake.Close()
	dsn := strings.Replace(fake.URL, "http://", "http://public@", 1) + "/1"
	if err := sentry.Init(sentry.ClientOptions{Dsn: dsn}); err != nil {
		t.Fatal(err)
	}
	defer sentry.Init(sentry.ClientOptions{})
	broken := errors500{}
	e := newEnv(t, func(c *api.Config) { c.Sentry = true; c.Blobs = broken })
	tok := e.register("s@example.com")
	code, _, body := e.req("POST", "/api/lora/consents/withdraw", tok, "")
	if code != 503 || errorCode(t, body) != "storage_unavailable" || strings.Contains(body, "disk on fire") {
		t.Fatalf("withdraw with broken storage: got %d %s, want 503 without the cause", code, body)
	}
	// A panic is recovered, answered as a plain 500, and reported too.
	p := newEnv(t, func(c *api.Config) { c.Sentry = true; c.Blobs = panicky{} })
	tok = p.register("p@example.com")
	code, _, body = p.req("POST", "/api/lora/consents/withdraw", tok, "")
	if code != 500 || errorCode(t, body) != "internal" || strings.Contains(body, "wires crossed") {
		t.Fatalf("withdraw with panicking storage: got %d %s, want 500 internal without the cause", code, body)
	}
	sentry.Flush(5 * time.Second)
	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(got, "")
	if !strings.Contains(all, "disk on fire") || !strings.Contains(all, "wires crossed") {
		t.Errorf("sentry received %d events, want the 5xx cause and the panic", len(got))
	}
}

// panicky is a storage with a bug.
type panicky struct{ blob.Store }

func (panicky) DeletePrefix(context.Context, string) error { panic("wires crossed") }

// errors500 is a storage that always fails.
type errors500 struct{ blob.Store }

func (errors500) DeletePrefix(context.Context, string) error { return errors.New("disk on fire") }

func TestMetricsCountRequestsByRoute(t *testing.T) {
	e := newEnv(t, nil)
	e.req("GET", "/healthz", "", "")
	e.req("GET", "/api/lora/datasets", "", "") // 401, still counted under its route
	code, _, body := e.req("GET", "/metrics", "", "")
	if code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	for _, want := range []string{
		`lorastudio_http_requests_total{route="GET /healthz",status="200"} 1`,
		`lorastudio_http_requests_total{route="GET /api/lora/datasets",status="401"} 1`,
		`lorastudio_http_request_duration_seconds_bucket{route="GET /healthz"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// onlyFlux is a provider that trains Flux dev only; embedding the interface
// leaves the methods this test never calls unimplemented.
type onlyFlux struct{ training.Provider }

func (onlyFlux) BaseModels(context.Context) ([]string, error) { return []string{"flux-dev"}, nil }

// newModels is a provider that trains two of the late-2026 base models.
type newModels struct{ training.Provider }

func (newModels) BaseModels(context.Context) ([]string, error) {
	return []string{"wan-2.2", "flux-2-dev"}, nil
}

func TestBaseModelsAreTheProvidersWithPresets(t *testing.T) {
	tests := []struct {
		name     string
		provider training.Provider
		want     []string
	}{
		{"no provider: the registry", nil, []string{"flux-dev", "flux-schnell", "sdxl", "flux-2-dev", "flux-2-klein-9b", "flux-2-klein-4b", "qwen-image", "z-image", "z-image-turbo", "wan-2.2"}},
		{"a provider: what it trains", onlyFlux{}, []string{"flux-dev"}},
		{"a worker given the new models", newModels{}, []string{"flux-2-dev", "wan-2.2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *api.Config) { c.Training.Provider = tt.provider })
			code, _, body := e.req("GET", "/api/lora/base-models", e.register("b@example.com"), "")
			var got []struct {
				ID        string
				VRAMClass string `json:"vram_class"`
				License   struct {
					Note          string `json:"note"`
					CommercialUse *bool  `json:"commercial_use"`
				}
				Preset struct {
					Steps       int    `json:"steps"`
					TriggerWord string `json:"trigger_word"`
				}
			}
			if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
				t.Fatalf("got %d %s", code, body)
			}
			var ids []string
			for _, m := range got {
				ids = append(ids, m.ID)
				if m.Preset.Steps == 0 || m.Preset.TriggerWord == "" {
					t.Errorf("%s: no preset in %s", m.ID, body)
				}
				// What the picker shows beside each model.
				if m.VRAMClass == "" || m.License.Note == "" {
					t.Errorf("%s: no VRAM class or licence note in %s", m.ID, body)
				}
				if m.ID == "flux-2-dev" && (m.License.CommercialUse == nil || *m.License.CommercialUse) {
					t.Errorf("flux-2-dev is listed as commercial: %s", body)
				}
			}
			if strings.Join(ids, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got %v, want %v", ids, tt.want)
			}
		})
	}
}

// Replicas share buckets only under the same key prefix: two deployments
// (or two parallel test clusters) on one Redis do not limit each other.
func TestRedisLimiterPrefixSeparates(t *testing.T) {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	limits := map[string]api.Limit{"jobs": {PerMinute: 1, Burst: 2}}
	stamp := time.Now().Format("150405.000000000")
	a1, _ := api.NewRedisLimiterPrefix(url, "test-a-"+stamp+":", limits)
	a2, _ := api.NewRedisLimiterPrefix(url, "test-a-"+stamp+":", limits)
	b, _ := api.NewRedisLimiterPrefix(url, "test-b-"+stamp+":", limits)
	allow := func(l api.Limiter) bool {
		ok, _, err := l.Allow(context.Background(), "jobs", "who")
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	got := []bool{allow(a1), allow(a2), allow(a1), allow(b), allow(b), allow(b)}
	want := []bool{true, true, false, true, true, false}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v: a1 and a2 share a burst of 2, b has its own", got, want)
	}
}
