package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	if _, err := a.Consent.GiveConsent(false); err == nil || !strings.HasPrefix(err.Error(), "attestation_required: ") {
		t.Fatalf("consent without attestation: got %v", err)
	}
	st, err := a.Consent.GiveConsent(true)
	if err != nil || !st.Given || st.Outdated || st.Version != a.Consent.ConsentText().Version {
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
