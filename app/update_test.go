package app_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/app"
	"github.com/promptforge/lorastudio/internal/update"
)

func TestUpdateNoticeFromStartupToDismissal(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	env, err := update.Sign(update.Manifest{Version: "0.5.0", URL: "https://example.com/download", Notes: "n"}, priv)
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(env)
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfg := func(c *app.Config) {
		c.Version = "0.4.0"
		c.UpdateKey = pub
		c.Getenv = func(k string) string {
			return map[string]string{"LORASTUDIO_DATA_DIR": dir, "LORASTUDIO_UPDATE_URL": srv.URL + "/release.json"}[k]
		}
	}
	a, rt := newAppWith(t, dir, cfg)
	if st, err := a.Update.UpdateStatus(); err != nil || !st.Enabled || st.Available != nil {
		t.Fatalf("before the first check: %+v, %v", st, err)
	}
	if err := a.Update.OpenUpdatePage(); err == nil {
		t.Error("opened a page with no release offered")
	}

	app.Startup(a)(context.Background())
	waitEvent(t, rt, app.EventUpdateStatus)
	st, err := a.Update.UpdateStatus()
	if err != nil || st.Available == nil || st.Available.Version != "0.5.0" || st.Current != "0.4.0" {
		t.Fatalf("after the check: %+v, %v; want 0.5.0 offered", st, err)
	}
	if err := a.Update.OpenUpdatePage(); err != nil {
		t.Fatal(err)
	}
	if !hasEvent(rt, "open https://example.com/download") {
		t.Errorf("events %v: the download page was not opened", rt.events)
	}
	if st, err := a.Update.DismissUpdate("0.5.0"); err != nil || st.Available != nil {
		t.Fatalf("after dismissing: %+v, %v", st, err)
	}
	app.Shutdown(a)(context.Background())

	// After a restart the same day: still dismissed, and the server is not asked again.
	b, rt2 := newAppWith(t, dir, cfg)
	app.Startup(b)(context.Background())
	waitEvent(t, rt2, app.EventUpdateStatus)
	if st, err := b.Update.UpdateStatus(); err != nil || st.Available != nil || st.CheckedAt.IsZero() {
		t.Errorf("after a restart: %+v, %v; want checked and dismissed", st, err)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("%d requests to the release URL in one day, want 1", n)
	}
}

func TestNoUpdateCheckInADevBuild(t *testing.T) {
	a, _ := newApp(t, t.TempDir()) // version "test", no URL
	st, err := a.Update.UpdateStatus()
	if err != nil || st.Enabled || st.Note == "" {
		t.Errorf("got %+v, %v; want off with a reason", st, err)
	}
	if _, err := a.Update.DismissUpdate("1.0.0"); err != nil {
		t.Errorf("dismiss while off: %v", err)
	}
}

func hasEvent(rt *fakeRuntime, name string) bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return slices.Contains(rt.events, name)
}

func waitEvent(t *testing.T, rt *fakeRuntime, name string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if hasEvent(rt, name) {
			return
		}
	}
	t.Fatalf("no %s event within 10 s", name)
}
