package update_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/internal/update"
)

type memStore struct{ s update.State }

func (m *memStore) LoadUpdate(context.Context) (update.State, error) { return m.s, nil }
func (m *memStore) SaveUpdate(_ context.Context, s update.State) error {
	m.s = s
	return nil
}

func newKey(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func sign(t *testing.T, m update.Manifest, key ed25519.PrivateKey) []byte {
	t.Helper()
	b, err := update.Sign(m, key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// server serves body at /release.json over TLS and counts the requests.
func server(t *testing.T, body func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		body(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func serve(b []byte) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) { w.Write(b) }
}

var release = update.Manifest{Version: "0.5.0", URL: "https://example.com/download", Notes: "Faster training.", Published: "2026-12-01"}

func TestCheckOffersOnlyANewerSignedRelease(t *testing.T) {
	pub, priv := newKey(t)
	_, other := newKey(t)
	good := sign(t, release, priv)
	tampered := func() []byte {
		var env update.Envelope
		json.Unmarshal(good, &env)
		payload, _ := base64.StdEncoding.DecodeString(env.Payload)
		env.Payload = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(payload), "example.com", "evil.example", 1)))
		b, _ := json.Marshal(env)
		return b
	}()
	// A valid envelope padded past the cap: refused for its size alone.
	oversize := append(append([]byte{}, good...), []byte(strings.Repeat(" ", update.MaxBody))...)
	cases := []struct {
		name    string
		current string
		body    []byte
		status  int
		offered bool
		note    string
	}{
		{"newer", "0.4.2", good, 200, true, ""},
		{"newer than a prerelease of itself", "0.5.0-rc.1", good, 200, true, ""},
		{"equal", "0.5.0", good, 200, false, ""},
		{"older", "0.6.0", good, 200, false, ""},
		{"signed with another key", "0.4.2", sign(t, release, other), 200, false, "signature does not verify"},
		{"tampered payload", "0.4.2", tampered, 200, false, "signature does not verify"},
		{"malformed JSON", "0.4.2", []byte(`{"payload": "`), 200, false, "not JSON"},
		{"oversize", "0.4.2", oversize, 200, false, "over 65536 bytes"},
		{"server error", "0.4.2", good, 503, false, "503"},
		{"http download page", "0.4.2", signRaw(t, `{"version":"0.5.0","url":"http://example.com/download"}`, priv), 200, false, "not https"},
		{"javascript download page", "0.4.2", signRaw(t, `{"version":"0.5.0","url":"javascript:alert(1)"}`, priv), 200, false, "not an absolute URL"},
		{"version not semver", "0.4.2", signRaw(t, `{"version":"latest","url":"https://example.com/d"}`, priv), 200, false, "not semver"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, hits := server(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				w.Write(tc.body)
			})
			c := &update.Checker{URL: srv.URL + "/release.json", Key: pub, Current: tc.current, Store: &memStore{}, Client: srv.Client()}
			st, err := c.CheckDaily(context.Background())
			if hits.Load() != 1 {
				t.Fatalf("%d requests, want 1", hits.Load())
			}
			if got := st.Available != nil; got != tc.offered {
				t.Fatalf("offered %v (%+v), want %v; err %v", got, st.Available, tc.offered, err)
			}
			if tc.offered && *st.Available != release {
				t.Errorf("offer: got %+v, want %+v", *st.Available, release)
			}
			if tc.note == "" && (err != nil || st.Note != "") {
				t.Errorf("err %v, note %q; want none", err, st.Note)
			}
			if tc.note != "" && (err == nil || !strings.Contains(st.Note, tc.note)) {
				t.Errorf("err %v, note %q; want one saying %q", err, st.Note, tc.note)
			}
		})
	}
}

func signRaw(t *testing.T, payload string, key ed25519.PrivateKey) []byte {
	b, _ := json.Marshal(update.Envelope{
		Payload:   base64.StdEncoding.EncodeToString([]byte(payload)),
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(key, []byte(payload))),
	})
	return b
}

func TestCheckIsDaily(t *testing.T) {
	pub, priv := newKey(t)
	body := sign(t, update.Manifest{Version: "0.4.0", URL: "https://example.com/d"}, priv)
	srv, hits := server(t, func(w http.ResponseWriter, r *http.Request) { w.Write(body) })
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	store := &memStore{}
	c := &update.Checker{URL: srv.URL, Key: pub, Current: "0.4.0", Store: store, Client: srv.Client(), Now: func() time.Time { return now }}
	check := func(wantHits int32) update.Status {
		t.Helper()
		st, _ := c.CheckDaily(context.Background())
		if hits.Load() != wantHits {
			t.Fatalf("at %s: %d requests, want %d", now.Format(time.Kitchen), hits.Load(), wantHits)
		}
		return st
	}
	check(1)
	now = now.Add(23 * time.Hour)
	check(1)
	// A newer release appears; it is seen at the next day's check.
	body = sign(t, release, priv)
	if st := check(1); st.Available != nil {
		t.Fatal("offered before the day was over")
	}
	now = now.Add(time.Hour + time.Second)
	if st := check(2); st.Available == nil || st.Available.Version != "0.5.0" {
		t.Fatalf("after a day: got %+v, want 0.5.0 offered", st.Available)
	}
	// The offer outlives the process: a new Checker on the store shows it without asking.
	c2 := *c
	if st, _ := c2.CheckDaily(context.Background()); st.Available == nil || hits.Load() != 2 {
		t.Fatalf("after a restart: offer %+v, %d requests; want the offer and no request", st.Available, hits.Load())
	}
	// A failing server is asked once a day too, and keeps the verified offer.
	body = []byte("garbage")
	now = now.Add(25 * time.Hour)
	if st := check(3); st.Available == nil || st.Note == "" {
		t.Fatalf("after a failed check: offer %+v, note %q; want the old offer and a note", st.Available, st.Note)
	}
	check(3)
	// A clock set back does not stop checks for good.
	now = now.Add(-72 * time.Hour)
	check(4)
}

func TestCheckTimesOut(t *testing.T) {
	pub, _ := newKey(t)
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c := &update.Checker{URL: srv.URL, Key: pub, Current: "0.4.0", Store: &memStore{}, Client: srv.Client()}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	st, err := c.CheckDaily(ctx)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the check took %v", d)
	}
	if err == nil || st.Available != nil || !strings.Contains(st.Note, "deadline") {
		t.Fatalf("got %+v, %v; want a deadline error and no offer", st, err)
	}
}

func TestDismiss(t *testing.T) {
	pub, priv := newKey(t)
	body := sign(t, release, priv)
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) { w.Write(body) })
	now := time.Now()
	c := &update.Checker{URL: srv.URL, Key: pub, Current: "0.4.0", Store: &memStore{}, Client: srv.Client(), Now: func() time.Time { return now }}
	if st, _ := c.CheckDaily(context.Background()); st.Available == nil {
		t.Fatal("not offered")
	}
	if st, err := c.Dismiss(context.Background(), "0.5.0"); err != nil || st.Available != nil {
		t.Fatalf("after dismissing: %+v, %v", st, err)
	}
	body = sign(t, update.Manifest{Version: "0.5.1", URL: "https://example.com/d"}, priv)
	now = now.Add(update.Interval)
	if st, _ := c.CheckDaily(context.Background()); st.Available == nil || st.Available.Version != "0.5.1" {
		t.Fatalf("a newer release after a dismissed one: got %+v", st.Available)
	}
}

func TestCheckIsOffWithoutWhatItNeeds(t *testing.T) {
	pub, _ := newKey(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	loopback := srv.URL // http://127.0.0.1:port
	cases := []struct {
		name string
		c    update.Checker
		note string
	}{
		{"no URL", update.Checker{Key: pub, Current: "0.4.0"}, "no release URL"},
		{"no key", update.Checker{URL: loopback, Current: "0.4.0"}, "no release key"},
		{"a dev build", update.Checker{URL: loopback, Key: pub, Current: "dev"}, "not a release version"},
		{"plain http off this computer", update.Checker{URL: "http://example.com/release.json", Key: pub, Current: "0.4.0"}, "not https"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.Store = &memStore{}
			st, err := tc.c.CheckDaily(context.Background())
			if err != nil || st.Enabled || st.Available != nil || !strings.Contains(st.Note, tc.note) {
				t.Errorf("got %+v, %v; want off with a note saying %q", st, err, tc.note)
			}
		})
	}
	if hits.Load() != 0 {
		t.Errorf("%d requests while off", hits.Load())
	}
	// http to this computer is allowed: the signature is what is trusted.
	c := update.Checker{URL: loopback, Key: pub, Current: "0.4.0", Store: &memStore{}}
	if st, _ := c.CheckDaily(context.Background()); !st.Enabled || hits.Load() != 1 {
		t.Errorf("loopback http: enabled %v, %d requests; want on and 1", st.Enabled, hits.Load())
	}
}

func TestParseKey(t *testing.T) {
	pub, _ := newKey(t)
	if k, err := update.ParseKey(base64.StdEncoding.EncodeToString(pub) + "\n"); err != nil || !k.Equal(pub) {
		t.Errorf("got %v, %v", k, err)
	}
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString([]byte("short"))} {
		if _, err := update.ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}

func TestDismissWhileOffKeepsNothing(t *testing.T) {
	c := &update.Checker{Current: "0.4.0"} // no URL, no key, no store
	if st, err := c.Dismiss(context.Background(), "0.5.0"); err != nil || st.Enabled {
		t.Errorf("got %+v, %v; want off", st, err)
	}
}
