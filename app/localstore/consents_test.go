package localstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite"

	"github.com/promptforge/lorastudio/app/localstore"
	"github.com/promptforge/lorastudio/internal/consent"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/migrations"
)

// The consent recorded on this computer says which text the user accepted:
// its version and its language, which must agree.
func TestRecordConsentLanguage(t *testing.T) {
	en, pt := consent.In(consent.English), consent.In(consent.BrazilianPortuguese)
	tests := []struct {
		name           string
		version, sha   string
		lang, wantLang string
		wantCode       string
	}{
		{"English, language from the version", en.Version, en.SHA256, "", consent.English, ""},
		{"pt-BR, language from the version", pt.Version, pt.SHA256, "", consent.BrazilianPortuguese, ""},
		{"pt-BR, language given", pt.Version, pt.SHA256, consent.BrazilianPortuguese, consent.BrazilianPortuguese, ""},
		{"pt-BR version said to be English", pt.Version, pt.SHA256, consent.English, "", studio.EInvalid},
		{"English version, pt-BR hash", en.Version, pt.SHA256, "", "", studio.EInvalid},
		{"pt-BR version, English hash", pt.Version, en.SHA256, consent.BrazilianPortuguese, "", studio.EInvalid},
		{"version not in force, no language", "1999-01-01", en.SHA256, "", "", studio.EInvalid},
		{"version not in force, language given", "1999-01-01", "h", consent.English, consent.English, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, err := localstore.Open(ctx, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			err = s.RecordConsent(ctx, localstore.Consent{ID: localstore.NewID(), TextVersion: tt.version, TextSHA256: tt.sha,
				TextLanguage: tt.lang, Purpose: en.Purpose, Processors: "[]"})
			if tt.wantCode != "" {
				if studio.ErrorCode(err) != tt.wantCode {
					t.Fatalf("got %v, want %s", err, tt.wantCode)
				}
				if _, err := s.LatestConsent(ctx); studio.ErrorCode(err) != studio.ENotFound {
					t.Errorf("after the refusal: %v, want no consent on record", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c, err := s.LatestConsent(ctx)
			if err != nil || c.TextVersion != tt.version || c.TextSHA256 != tt.sha || c.TextLanguage != tt.wantLang {
				t.Errorf("read back %+v, %v; want %s %s", c, err, tt.version, tt.wantLang)
			}
		})
	}
}

// A consent recorded before the language was (schema 5) was to the English
// text, the only one then: after the upgrade it reads back as English.
func TestConsentBeforeLanguagesIsEnglish(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(dir, "lorastudio.db"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := migrations.Provider(db, goose.DialectSQLite3, migrations.SQLite())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	c := consent.Current
	if _, err := db.ExecContext(ctx, `INSERT INTO consents (id, text_version, text_sha256, attest_self, purpose, processors, retention_days)
		VALUES ('old', ?, ?, 1, ?, '[]', 0)`, c.Version, c.SHA256, c.Purpose); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := localstore.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.LatestConsent(ctx)
	if err != nil || got.ID != "old" || got.TextVersion != c.Version || got.TextLanguage != consent.English {
		t.Errorf("after the upgrade: %+v, %v; want consent old to %s in English", got, err, c.Version)
	}
}
