package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io/fs"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/backend/auth"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/consent"
)

type consentTextBody struct {
	Version, Language, Text, SHA256 string
	Languages                       []string
	Processors                      []string
	RetentionDays                   int `json:"retention_days"`
}

// GET /api/lora/consent gives the text in the language asked for: lang,
// else Accept-Language, else English, and says which one it gave.
func TestConsentTextLanguage(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.RetentionDays = 30 })
	tok := e.register("lang@example.com")
	tests := []struct {
		name, lang, accept, want string
	}{
		{"default", "", "", consent.English},
		{"lang pt-BR", "pt-BR", "", consent.BrazilianPortuguese},
		{"lang in lower case", "pt-br", "", consent.BrazilianPortuguese},
		{"lang pt", "pt", "", consent.BrazilianPortuguese},
		{"lang en", "en", "", consent.English},
		{"lang not offered", "fr", "", consent.English},
		{"Accept-Language pt-BR", "", "pt-BR,pt;q=0.9,en;q=0.8", consent.BrazilianPortuguese},
		{"Accept-Language prefers English", "", "en-US,en;q=0.9,pt-BR;q=0.8", consent.English},
		{"Accept-Language none offered", "", "de-DE,fr;q=0.5", consent.English},
		{"lang wins over Accept-Language", "en", "pt-BR", consent.English},
		{"lang not offered, then Accept-Language", "fr", "pt-PT", consent.BrazilianPortuguese},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/api/lora/consent"
			if tt.lang != "" {
				path += "?lang=" + url.QueryEscape(tt.lang)
			}
			var hdr []string
			if tt.accept != "" {
				hdr = []string{"Accept-Language", tt.accept}
			}
			code, h, body := e.req("GET", path, tok, "", hdr...)
			var got consentTextBody
			if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
				t.Fatalf("got %d %s", code, body)
			}
			want := consent.In(tt.want)
			if got.Language != tt.want || got.Version != want.Version || got.SHA256 != want.SHA256 || got.Text != want.Text {
				t.Errorf("got %s %s %s, want the %s text %s %s", got.Language, got.Version, got.SHA256, tt.want, want.Version, want.SHA256)
			}
			if cl := h.Get("Content-Language"); cl != tt.want {
				t.Errorf("Content-Language: got %q, want %q", cl, tt.want)
			}
			if !strings.Contains(h.Get("Vary"), "Accept-Language") {
				t.Errorf("Vary: got %q, want Accept-Language (the answer depends on it)", h.Get("Vary"))
			}
			// The terms shown with the text are the same in every language.
			if !slices.Equal(got.Languages, consent.Languages()) || got.RetentionDays != 30 || len(got.Processors) != 2 {
				t.Errorf("languages %v, retention %d, processors %v: want %v, 30 and the configured two", got.Languages, got.RetentionDays, got.Processors, consent.Languages())
			}
		})
	}
}

// A consent to either language's text is recorded with its language, read
// back with it, lets photos up, and its withdrawal erases them: what the
// text promises holds whichever language the user read it in.
func TestConsentLanguages(t *testing.T) {
	var cfg api.Config
	e := newEnv(t, func(c *api.Config) { c.RetentionDays = 30; cfg = *c })
	for _, text := range consent.InForce() {
		t.Run(text.Language, func(t *testing.T) {
			ctx := context.Background()
			tok := e.register("user-" + strings.ToLower(text.Language) + "@example.com")
			code, _, body := e.req("GET", "/api/lora/consent?lang="+text.Language, tok, "")
			var shown consentTextBody
			if code != 200 || json.Unmarshal([]byte(body), &shown) != nil || shown.Language != text.Language {
				t.Fatalf("text: %d %s", code, body)
			}
			code, _, body = e.req("POST", "/api/lora/consents", tok, `{"version":"`+shown.Version+`","sha256":"`+shown.SHA256+`","attest_self":true}`)
			var given struct{ ID, Version, Language string }
			if code != 201 || json.Unmarshal([]byte(body), &given) != nil || given.Version != text.Version || given.Language != text.Language {
				t.Fatalf("consent: %d %s, want 201 recording %s (%s)", code, body, text.Version, text.Language)
			}
			code, _, body = e.req("GET", "/api/lora/consents/current", tok, "")
			var cur struct {
				ID, Version, Language string
				Outdated              bool
			}
			if code != 200 || json.Unmarshal([]byte(body), &cur) != nil || cur.ID != given.ID || cur.Language != text.Language || cur.Outdated {
				t.Errorf("current: %d %s, want %s in %s, not outdated", code, body, given.ID, text.Language)
			}
			uid, err := cfg.Store.UserIDByToken(ctx, auth.HashToken(tok))
			if err != nil {
				t.Fatal(err)
			}
			rec, err := cfg.Store.LatestConsent(ctx, uid)
			if err != nil || rec.TextLanguage != text.Language || rec.TextVersion != text.Version || rec.TextSHA256 != text.SHA256 {
				t.Fatalf("stored: %+v, %v; want %s %s %s", rec, err, text.Version, text.Language, text.SHA256)
			}

			// Photos go up under this consent ...
			dir := filepath.Join(e.blobDir, "objects", pgstore.KeyPrefix(uid))
			uploadDataset(e, tok, map[string][]byte{"a.png": pngOf(t, len(text.Language))})
			if n := countFiles(t, dir); n == 0 {
				t.Fatalf("after upload: no file under %s, want the photo", dir)
			}
			// ... and its withdrawal erases them, rows and bytes.
			code, _, body = e.req("POST", "/api/lora/consents/withdraw", tok, "")
			var erased pgstore.Erasure
			if code != 200 || json.Unmarshal([]byte(body), &erased) != nil || erased.Consents != 1 || erased.Items != 1 || erased.Datasets != 1 {
				t.Fatalf("withdraw: %d %s, want one consent, dataset and photo erased", code, body)
			}
			if n := countFiles(t, dir); n != 0 {
				t.Errorf("after withdrawal: %d files left under %s", n, dir)
			}
			if code, _, body := e.req("POST", "/api/lora/datasets/init", tok, initBody); code != 403 || errorCode(t, body) != "consent_required" {
				t.Errorf("upload after withdrawal: %d %s, want 403 consent_required", code, body)
			}
			last, err := cfg.Store.LastConsent(ctx, uid)
			if err != nil || last.TextLanguage != text.Language || last.EndedReason != pgstore.EndWithdrawn {
				t.Errorf("withdrawn consent: %+v, %v; want %s, withdrawn", last, err, text.Language)
			}
		})
	}
}

// The version names the text: a hash of another text, even the same
// edition's in another language, is refused and nothing is recorded.
func TestConsentVersionAndHashMustBeOneText(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.register("mix@example.com")
	en, pt := consent.In(consent.English), consent.In(consent.BrazilianPortuguese)
	tests := []struct {
		name, version, sha, code string
		status                   int
		says                     string // in the message
	}{
		{"pt-BR version, English hash", pt.Version, en.SHA256, "consent_mismatch", 400, "that hash is of version " + en.Version + " (en)"},
		{"English version, pt-BR hash", en.Version, pt.SHA256, "consent_mismatch", 400, "that hash is of version " + pt.Version + " (pt-BR)"},
		{"pt-BR version, unknown hash", pt.Version, strings.Repeat("0", 64), "consent_mismatch", 400, "differs from version " + pt.Version + " (pt-BR)"},
		{"a language tag for a version", "pt-BR", pt.SHA256, "consent_outdated", 403, pt.Version + " (pt-BR)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := e.req("POST", "/api/lora/consents", tok, `{"version":"`+tt.version+`","sha256":"`+tt.sha+`","attest_self":true}`)
			if code != tt.status || errorCode(t, body) != tt.code || !strings.Contains(body, tt.says) {
				t.Errorf("got %d %s, want %d %s saying %q", code, body, tt.status, tt.code, tt.says)
			}
		})
	}
	if code, _, body := e.req("GET", "/api/lora/consents/current", tok, ""); code != 403 || errorCode(t, body) != "consent_required" {
		t.Errorf("after the refusals: %d %s, want no consent on record", code, body)
	}
}

// A client of the previous release sends the English version and hash,
// without a language, and reads no language back: it keeps working, and
// the record says English.
func TestConsentWithoutLanguageIsEnglish(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.register("old@example.com")
	c := consent.Current
	code, _, body := e.req("POST", "/api/lora/consents", tok, `{"version":"`+c.Version+`","sha256":"`+c.SHA256+`","attest_self":true}`)
	var got struct{ Version, Language string }
	if code != 201 || json.Unmarshal([]byte(body), &got) != nil || got.Version != c.Version || got.Language != consent.English {
		t.Fatalf("got %d %s, want 201 recording %s in English", code, body, c.Version)
	}
	if code, _, body := e.req("POST", "/api/lora/datasets/init", tok, initBody); code != 200 {
		t.Errorf("upload: %d %s", code, body)
	}
}

// pngOf is a small PNG, different for each n.
func pngOf(t *testing.T, n int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 8+n, 8))
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		if err != nil && d == nil {
			return nil // the folder is gone: nothing in it
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A consent to an older edition of a language's text is outdated, and the
// message names the version in force in that language.
func TestOlderEditionOutdatedInItsLanguage(t *testing.T) {
	var cfg api.Config
	e := newEnv(t, func(c *api.Config) { c.RetentionDays = 30; cfg = *c })
	tok := e.register("older@example.com")
	uid, err := cfg.Store.UserIDByToken(context.Background(), auth.HashToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	pt := consent.In(consent.BrazilianPortuguese)
	if _, err := cfg.Store.RecordConsent(context.Background(), pgstore.Consent{UserID: uid, TextVersion: "2025-06-01.pt-BR", TextSHA256: strings.Repeat("1", 64),
		TextLanguage: pt.Language, AttestSelf: true, Purpose: pt.Purpose, Processors: cfg.Processors, RetentionDays: 30}); err != nil {
		t.Fatal(err)
	}
	code, _, body := e.req("GET", "/api/lora/consents/current", tok, "")
	var cur struct {
		Language string
		Outdated bool
	}
	if code != 200 || json.Unmarshal([]byte(body), &cur) != nil || !cur.Outdated || cur.Language != pt.Language {
		t.Errorf("current: %d %s, want outdated, in pt-BR", code, body)
	}
	code, _, body = e.req("POST", "/api/lora/datasets/init", tok, initBody)
	if code != 403 || errorCode(t, body) != "consent_outdated" || !strings.Contains(body, "now "+pt.Version) {
		t.Errorf("upload: %d %s, want 403 consent_outdated naming %s", code, body, pt.Version)
	}
}
