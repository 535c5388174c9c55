package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/internal/consent"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
	"github.com/promptforge/lorastudio/sync/client"
	"github.com/promptforge/lorastudio/sync/synctest"
)

func TestAccountAndConsent(t *testing.T) {
	be := synctest.NewBackend(t, nil)
	ctx := context.Background()
	c := be.Client(t)
	cred := wire.Credentials{Email: "alice@example.com", Password: "a long passphrase"}
	if _, err := c.Register(ctx, cred); err != nil || c.Token() == "" {
		t.Fatalf("register: %v", err)
	}
	if _, err := c.CurrentConsent(ctx); studio.ErrorCode(err) != "consent_required" || client.Status(err) != 403 {
		t.Errorf("consent before giving it: %v (status %d), want consent_required 403", err, client.Status(err))
	}
	text, err := c.ConsentText(ctx)
	if err != nil || text.Version == "" || len(text.SHA256) != 64 || text.Text == "" {
		t.Fatalf("consent text: %+v, %v", text, err)
	}
	given, err := c.GiveConsent(ctx, wire.ConsentRequest{Version: text.Version, SHA256: text.SHA256, AttestSelf: true})
	if err != nil || given.ID == "" || given.Version != text.Version {
		t.Fatalf("give consent: %+v, %v", given, err)
	}
	if cur, err := c.CurrentConsent(ctx); err != nil || cur.ID != given.ID || cur.Outdated {
		t.Errorf("current consent: %+v, %v", cur, err)
	}
	bms, err := c.BaseModels(ctx)
	if err != nil || len(bms) != len(studio.BaseModels()) || bms[0].Preset.Steps == 0 || bms[0].Preset.TriggerWord == "" {
		t.Errorf("base models: got %+v, %v; want every base model, each with its preset", bms, err)
	}
	if e, err := c.WithdrawConsent(ctx); err != nil || e.Consents != 1 {
		t.Errorf("withdraw: %+v, %v", e, err)
	}
	if err := c.Logout(ctx); err != nil || c.Token() != "" {
		t.Errorf("logout: %v, token %q", err, c.Token())
	}
	if _, err := c.Login(ctx, cred); err != nil || c.Token() == "" {
		t.Errorf("login: %v", err)
	}
}

// Every error answer becomes a *studio.Error with the server's code.
func TestErrors(t *testing.T) {
	be := synctest.NewBackend(t, nil)
	ctx := context.Background()
	alice := be.SignUp(t, "alice@example.com")
	anon := be.Client(t)
	forged := be.Client(t)
	forged.SetToken("lst_forged")
	offline, _ := client.New("http://127.0.0.1:1", nil)
	tests := []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"email taken", func() error {
			_, err := anon.Register(ctx, wire.Credentials{Email: "ALICE@example.com", Password: "a long passphrase"})
			return err
		}, "email_taken", 409},
		{"bad credentials", func() error {
			_, err := anon.Login(ctx, wire.Credentials{Email: "alice@example.com", Password: "wrong passphrase"})
			return err
		}, "bad_credentials", 401},
		{"no token", func() error { _, err := anon.BaseModels(ctx); return err }, studio.EUnauthorized, 401},
		{"forged token", func() error { _, err := forged.BaseModels(ctx); return err }, studio.EUnauthorized, 401},
		{"unknown dataset", func() error {
			_, err := alice.Dataset(ctx, "00000000-0000-0000-0000-000000000000")
			return err
		}, studio.ENotFound, 404},
		{"commit of nothing declared", func() error {
			_, err := alice.CommitDataset(ctx, wire.CommitRequest{DatasetID: "00000000-0000-0000-0000-000000000000", Files: []wire.CommitFile{{Key: "k"}}})
			return err
		}, studio.ENotFound, 404},
		{"schema violation", func() error {
			_, err := alice.InitDataset(ctx, "", wire.InitRequest{ModelName: "me", Files: []wire.FileDecl{
				{Name: "a.php", Size: 10, ContentType: "text/x-php", SHA256: "0000000000000000000000000000000000000000000000000000000000000000"}}})
			return err
		}, studio.EInvalid, 400},
		{"route the server lacks (plain-text 404)", func() error {
			return alice.Do(ctx, http.MethodGet, "/nothing/here", nil, nil, nil)
		}, studio.ENotFound, 404},
		{"server unreachable", func() error { _, err := offline.ConsentText(ctx); return err }, studio.EUnavailable, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if studio.ErrorCode(err) != tt.code || client.Status(err) != tt.status || studio.ErrorMessage(err) == "" {
				t.Errorf("got %v (status %d), want code %s status %d with a message", err, client.Status(err), tt.code, tt.status)
			}
			if want := tt.status == 0 || tt.status >= 500; client.Temporary(err) != want {
				t.Errorf("Temporary = %v, want %v", !want, want)
			}
		})
	}
}

func TestNewRefusesBadURL(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "localhost:8080", "http://"} {
		if _, err := client.New(u, nil); studio.ErrorCode(err) != studio.EInvalid {
			t.Errorf("New(%q): %v, want invalid", u, err)
		}
	}
}

// A server that does not answer before the caller's deadline is
// unavailable (worth a retry); a caller's own cancellation stays as is.
func TestDeadlineIsUnavailable(t *testing.T) {
	be := synctest.NewBackend(t, nil)
	be.SetSlow(time.Minute)
	defer be.SetSlow(0)
	c := be.Client(t)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := c.ConsentText(ctx)
	if studio.ErrorCode(err) != studio.EUnavailable || !client.Temporary(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("past the deadline: %v (code %s); want unavailable, temporary, wrapping the deadline", err, studio.ErrorCode(err))
	}
	cctx, ccancel := context.WithCancel(t.Context())
	go func() { time.Sleep(100 * time.Millisecond); ccancel() }()
	if _, err := c.ConsentText(cctx); !errors.Is(err, context.Canceled) || studio.ErrorCode(err) == studio.EUnavailable {
		t.Errorf("canceled by the caller: %v; want context.Canceled as is", err)
	}
}

// The client asks for the text in each language, gets the same bytes the
// desktop embeds, records a consent to it, and reads its language back.
func TestConsentLanguages(t *testing.T) {
	be := synctest.NewBackend(t, nil)
	ctx := context.Background()
	tests := []struct{ ask, want string }{
		{"", consent.English},
		{consent.English, consent.English},
		{consent.BrazilianPortuguese, consent.BrazilianPortuguese},
		{"pt", consent.BrazilianPortuguese},
		{"fr", consent.English}, // not offered: English, and the answer says so
	}
	for i, tt := range tests {
		t.Run("ask "+tt.ask, func(t *testing.T) {
			c := be.Client(t)
			if _, err := c.Register(ctx, wire.Credentials{Email: fmt.Sprintf("u%d@example.com", i), Password: "a long passphrase"}); err != nil {
				t.Fatal(err)
			}
			text, err := c.ConsentTextIn(ctx, tt.ask)
			want := consent.In(tt.want)
			if err != nil || text.Language != tt.want || text.Version != want.Version || text.SHA256 != want.SHA256 || text.Text != want.Text {
				t.Fatalf("text: %s %s %v, want the %s text %s as the desktop embeds it", text.Language, text.Version, err, tt.want, want.Version)
			}
			if !slices.Equal(text.Languages, consent.Languages()) {
				t.Errorf("languages: got %v, want %v", text.Languages, consent.Languages())
			}
			given, err := c.GiveConsent(ctx, wire.ConsentRequest{Version: text.Version, SHA256: text.SHA256, AttestSelf: true})
			if err != nil || given.Language != tt.want || given.Version != want.Version {
				t.Fatalf("give consent: %+v, %v; want %s", given, err, tt.want)
			}
			if cur, err := c.CurrentConsent(ctx); err != nil || cur.ID != given.ID || cur.Language != tt.want {
				t.Errorf("current consent: %+v, %v; want %s in %s", cur, err, given.ID, tt.want)
			}
		})
	}
}
