package app_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/app"
	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/internal/consent"
	"github.com/promptforge/lorastudio/sync/synctest"
)

// Signed in, the desktop shows and records the server's retention period
// and processors, not numbers of its own; when the server erases the user
// because that period ended, the consent status says so in words and asks
// for consent again.
func TestConsentTermsAndRetentionExpiry(t *testing.T) {
	procs := []string{"storage: test", "training: Replicate, Inc. (GPU training)"}
	be := synctest.NewBackend(t, func(c *api.Config) { c.RetentionDays = 30; c.Processors = procs })
	a, _ := newApp(t, t.TempDir())
	if _, err := a.Account.SignIn(app.SignInRequest{ServerURL: be.URL, Email: "r@example.com", Password: "a long passphrase", Create: true}); err != nil {
		t.Fatal(err)
	}
	if terms := a.Consent.ConsentText(consent.English); terms.RetentionDays != 30 || !slices.Equal(terms.Processors, procs) {
		t.Fatalf("consent terms %d days, %q; want the server's 30 days and %q", terms.RetentionDays, terms.Processors, procs)
	}
	if _, err := a.Consent.GiveConsent(consent.Current.Version, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the consent is on the server", func() bool { return synced(a) })
	if st, err := a.Consent.GetConsent(); err != nil || st.Retention != 30 || st.Outdated || st.Notice != "" {
		t.Fatalf("consent: %+v, %v; want 30 days, current, no notice", st, err)
	}

	at := time.Now().AddDate(0, 0, 31)
	if r, err := be.Purge(t.Context(), at); err != nil || r.Expired != 1 {
		t.Fatalf("purge: %+v, %v; want the consent expired", r, err)
	}
	st, err := a.Consent.GetConsent()
	want := "Your photos and trained versions were deleted on " + at.UTC().Format("2 January 2006") +
		" because the 30-day retention period you agreed to ended. Give consent again to continue."
	if err != nil || !st.Outdated || st.Notice != want {
		t.Fatalf("after expiry: %+v, %v; want outdated with notice %q", st, err, want)
	}

	if _, err := a.Consent.GiveConsent(consent.Current.Version, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new consent is on the server", func() bool { st, _ := a.Consent.GetConsent(); return st.Synced && !st.Outdated })
	if st, _ := a.Consent.GetConsent(); st.Notice != "" || !strings.Contains(a.Consent.ConsentText(consent.English).Text, "retention period") {
		t.Errorf("after consenting again: %+v; want no notice", st)
	}
}
