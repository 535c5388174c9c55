package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/purge"
	"github.com/promptforge/lorastudio/internal/consent"
)

const initBody = `{"model_name":"me","files":[{"name":"a.jpg","size":10,"content_type":"image/jpeg","sha256":"` +
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" + `"}]}`

func (e *env) consent(tok string) {
	e.t.Helper()
	c := consent.Current
	if code, _, body := e.req("POST", "/api/lora/consents", tok, `{"version":"`+c.Version+`","sha256":"`+c.SHA256+`","attest_self":true}`); code != 201 {
		e.t.Fatalf("consent: %d %s", code, body)
	}
}

// A consent names the processors configured when it was given. Once the
// operator changes them (another GPU provider, another storage), the
// consent no longer covers new uploads or training: the user reads who
// processes their photos now and consents again.
func TestConsentToOtherProcessorsIsOutdated(t *testing.T) {
	var cfg api.Config
	e := newEnv(t, func(c *api.Config) { cfg = *c })
	tok := e.register("p@example.com")
	e.consent(tok)
	cfg.Processors = []string{"storage: test", "training: Replicate, Inc. (GPU training)"}
	moved := &env{t: t, srv: httptest.NewServer(api.New(cfg))}
	t.Cleanup(moved.srv.Close)

	for _, tt := range []struct {
		name         string
		e            *env
		wantOutdated bool
	}{{"same processors", e, false}, {"other processors", moved, true}} {
		code, _, body := tt.e.req("GET", "/api/lora/consents/current", tok, "")
		var cur struct{ Outdated bool }
		if code != 200 || json.Unmarshal([]byte(body), &cur) != nil || cur.Outdated != tt.wantOutdated {
			t.Errorf("%s: current consent %d %s, want outdated %v", tt.name, code, body, tt.wantOutdated)
		}
	}
	code, _, body := moved.req("POST", "/api/lora/datasets/init", tok, initBody)
	if code != 403 || errorCode(t, body) != "consent_outdated" || !strings.Contains(body, "Replicate") {
		t.Errorf("upload after the processors changed: %d %s, want 403 consent_outdated naming the new processor", code, body)
	}
	// Consenting again to what is configured now lets the upload through.
	moved.consent(tok)
	if code, _, body := moved.req("POST", "/api/lora/datasets/init", tok, initBody); code != 200 && code != 201 {
		t.Errorf("upload after consenting again: %d %s", code, body)
	}
}

// When the purge ends a consent because its retention ran out, the consent
// status the desktop reads says so, with the date and the period, and
// uploads are refused with the same words until the user consents again.
func TestConsentStatusAfterRetentionExpiry(t *testing.T) {
	var cfg api.Config
	e := newEnv(t, func(c *api.Config) { c.RetentionDays = 30; cfg = *c })
	tok := e.register("r@example.com")
	e.consent(tok)
	at := time.Now().AddDate(0, 0, 31)
	r, err := purge.Once(context.Background(), purge.Config{Store: cfg.Store.(*pgstore.Store), Blobs: cfg.Blobs, Now: func() time.Time { return at }})
	if err != nil || r.Expired != 1 {
		t.Fatalf("purge: %+v, %v; want one consent expired", r, err)
	}
	date := at.UTC().Format("2 January 2006")
	for _, req := range [][3]string{{"GET", "/api/lora/consents/current", ""}, {"POST", "/api/lora/datasets/init", initBody}} {
		code, _, body := e.req(req[0], req[1], tok, req[2])
		if code != http.StatusForbidden || errorCode(t, body) != "consent_expired" || !strings.Contains(body, date) || !strings.Contains(body, "30-day retention period") {
			t.Errorf("%s %s: %d %s, want 403 consent_expired saying when and which period", req[0], req[1], code, body)
		}
	}
	e.consent(tok)
	if code, _, body := e.req("GET", "/api/lora/consents/current", tok, ""); code != 200 {
		t.Errorf("after consenting again: %d %s", code, body)
	}
}
