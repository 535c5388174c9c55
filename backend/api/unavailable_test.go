package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/pgtest"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
)

// While the database cannot be reached every route answers 503
// "unavailable" with Retry-After (it was 500 "internal"), huma routes and
// the plain webhook alike; when it is back, so is the service.
func TestDatabaseUnreachable(t *testing.T) {
	secret, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	e := newJobsEnv(t, func(s *pgstore.Store, b blob.Store) *training.Ingester {
		return &training.Ingester{Store: s, Blobs: b, Verifier: stdwebhook.Verifier{Secrets: [][]byte{secret}}}
	})
	tok, _ := e.validatedUser("down@example.com")
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	db := e.store.Pool().Config().ConnConfig.Database
	allow := func(on bool) {
		t.Helper()
		if _, err := admin.Exec(ctx, `ALTER DATABASE `+pgx.Identifier{db}.Sanitize()+` ALLOW_CONNECTIONS `+map[bool]string{true: "true", false: "false"}[on]); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { allow(true); admin.Close(ctx) })
	// Cut it off: no new connections, and the pool's are terminated.
	allow(false)
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, db); err != nil {
		t.Fatal(err)
	}
	webhook := `{"job_id":"00000000-0000-0000-0000-000000000000","status":"running"}`
	wh := http.Header{}
	stdwebhook.SetHeaders(wh, secret, "msg_down", time.Now(), []byte(webhook))
	routes := []struct {
		name, method, path, token, body string
		hdr                             []string
	}{
		{"authenticated read", "GET", "/api/lora/jobs", tok, "", nil},
		{"authenticated write", "POST", "/api/lora/datasets/init", tok, `{"model_name":"me","files":[{"name":"a.jpg","size":1,"content_type":"image/jpeg","sha256":"` + sha64("a") + `"}]}`, nil},
		{"sign in", "POST", "/api/auth/login", "", `{"email":"down@example.com","password":"a long passphrase"}`, nil},
		{"plain webhook route", "POST", "/api/lora/webhook", "", webhook,
			[]string{"webhook-id", wh.Get("webhook-id"), "webhook-timestamp", wh.Get("webhook-timestamp"), "webhook-signature", wh.Get("webhook-signature")}},
	}
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			code, hdr, body := e.req(r.method, r.path, r.token, r.body, r.hdr...)
			if code != 503 || errorCode(t, body) != "unavailable" || hdr.Get("Retry-After") != "5" {
				t.Errorf("got %d %s (Retry-After %q), want 503 unavailable with Retry-After 5", code, body, hdr.Get("Retry-After"))
			}
		})
	}
	if code, _, body := e.req("GET", "/healthz", "", ""); code != 503 {
		t.Errorf("healthz: got %d %s, want 503", code, body)
	}

	allow(true)
	if code, _, body := e.req("GET", "/api/lora/jobs", tok, ""); code != 200 {
		t.Errorf("after the database is back: got %d %s, want 200", code, body)
	}
	if code, _, body := e.req("GET", "/healthz", "", ""); code != 200 {
		t.Errorf("healthz after: got %d %s, want 200", code, body)
	}
}

func sha64(c string) string {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c[0]
	}
	return string(b)
}
