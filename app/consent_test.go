package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/app"
	"github.com/promptforge/lorastudio/internal/consent"
	"github.com/promptforge/lorastudio/internal/wire"
	"github.com/promptforge/lorastudio/sync/client"
	"github.com/promptforge/lorastudio/sync/synctest"
)

func TestConsentGatesPhotosAndWithdrawalErasesThem(t *testing.T) {
	dir := t.TempDir()
	a, _ := newApp(t, dir)
	if st, err := a.Consent.GetConsent(); err != nil || st.Given {
		t.Fatalf("fresh consent: %+v, %v; want none", st, err)
	}
	_, err := a.Dataset.ImportFiles([]string{person})
	if err == nil || !strings.HasPrefix(err.Error(), "consent_required: ") {
		t.Fatalf("import without consent: got %v, want consent_required", err)
	}
	if _, err := a.Consent.GiveConsent(consent.Current.Version, false); err == nil || !strings.HasPrefix(err.Error(), "attestation_required: ") {
		t.Fatalf("consent without attestation: got %v", err)
	}
	st, err := a.Consent.GiveConsent(consent.Current.Version, true)
	if err != nil || !st.Given || st.Outdated || st.Version != a.Consent.ConsentText(consent.English).Version {
		t.Fatalf("consent: %+v, %v", st, err)
	}
	if _, err := a.Dataset.ImportFiles([]string{person}); err != nil {
		t.Fatal(err)
	}
	erased, err := a.Consent.WithdrawConsent()
	if err != nil || erased.Photos != 24 {
		t.Fatalf("withdraw: %+v, %v; want 24 photos erased", erased, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "datasets")); !os.IsNotExist(err) {
		t.Errorf("photo copies still in the data folder: %v", err)
	}
	if items, _ := a.Dataset.DatasetItems(); len(items) != 0 {
		t.Errorf("%d photos listed after withdrawal", len(items))
	}
	if _, err := os.Stat(filepath.Join(person, "cap12_01.jpg")); err != nil {
		t.Errorf("the user's original was touched: %v", err)
	}
	if st, _ := a.Consent.GetConsent(); st.Given {
		t.Error("consent still on record after withdrawal")
	}
	if _, err := a.Dataset.ImportFiles([]string{person}); err == nil {
		t.Error("import accepted after withdrawal")
	}
}

// A consent to the Brazilian Portuguese text, given signed out, is
// recorded with its language, lets photos in, reaches the server through
// the outbox at sign-in, and the server records pt-BR too.
func TestConsentInPortuguese(t *testing.T) {
	be := synctest.NewBackend(t, nil)
	a, _ := newApp(t, t.TempDir())
	terms := a.Consent.ConsentText("pt-BR")
	pt := consent.In(consent.BrazilianPortuguese)
	if terms.Language != pt.Language || terms.Version != pt.Version || terms.SHA256 != pt.SHA256 || terms.Text != pt.Text || terms.Attestation != pt.Attestation {
		t.Fatalf("terms: %s %s, want the pt-BR text %s", terms.Language, terms.Version, pt.Version)
	}
	if fr := a.Consent.ConsentText("fr"); fr.Language != consent.English {
		t.Errorf("terms in French: got %s, want the English text", fr.Language)
	}
	st, err := a.Consent.GiveConsent(terms.Version, true)
	if err != nil || !st.Given || st.Outdated || st.Version != pt.Version || st.Language != pt.Language {
		t.Fatalf("consent: %+v, %v; want given to %s in pt-BR", st, err, pt.Version)
	}
	if _, err := a.Dataset.ImportFiles([]string{person}); err != nil {
		t.Fatalf("import after a pt-BR consent: %v", err)
	}
	if _, err := a.Account.SignIn(app.SignInRequest{ServerURL: be.URL, Email: "pt@example.com", Password: "a long passphrase", Create: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the pt-BR consent is on the server", func() bool { return synced(a) })
	c, err := client.New(be.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(t.Context(), wire.Credentials{Email: "pt@example.com", Password: "a long passphrase"}); err != nil {
		t.Fatal(err)
	}
	if srv, err := c.CurrentConsent(t.Context()); err != nil || srv.Version != pt.Version || srv.Language != pt.Language || srv.Outdated {
		t.Errorf("the server's consent: %+v, %v; want %s in pt-BR", srv, err, pt.Version)
	}
	if _, err := a.Consent.GiveConsent("1999-01-01", true); err == nil || !strings.HasPrefix(err.Error(), "consent_outdated: ") {
		t.Errorf("consent to a version not in force: got %v, want consent_outdated", err)
	}
}
