package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
	"github.com/promptforge/lorastudio/sync/client"
	"github.com/promptforge/lorastudio/sync/outbox"
	"github.com/promptforge/lorastudio/sync/synctest"
)

// flaky is a Sender that fails while down, as a machine offline does.
type flaky struct {
	next Sender
	mu   sync.Mutex
	down bool
	sent []string
}

type Sender = outbox.Sender

func (f *flaky) DoRaw(ctx context.Context, method, path string, body []byte, hdr http.Header, out any) error {
	f.mu.Lock()
	down := f.down
	f.sent = append(f.sent, path)
	f.mu.Unlock()
	if down {
		return studio.Wrap(errors.New("dial tcp: connection refused"), studio.EUnavailable, "cannot reach the server")
	}
	return f.next.DoRaw(ctx, method, path, body, hdr, out)
}

func (f *flaky) setDown(d bool) {
	f.mu.Lock()
	f.down = d
	f.mu.Unlock()
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestOfflineThenOnline queues a consent while offline against the real
// backend: it waits with growing, jittered delays, goes once the network
// is back, is removed, and the server has the consent.
func TestOfflineThenOnline(t *testing.T) {
	be := synctest.NewBackend(t, nil)
	ctx := context.Background()
	c := be.Client(t)
	if _, err := c.Register(ctx, wire.Credentials{Email: "a@example.com", Password: "a long passphrase"}); err != nil {
		t.Fatal(err)
	}
	text, err := c.ConsentText(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db := synctest.OpenDB(t, t.TempDir())
	net := &flaky{next: c, down: true}
	clk := &clock{t: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	var done []outbox.Entry
	var answers []json.RawMessage
	ob, err := outbox.New(outbox.Config{DB: db, Sender: net, Base: time.Second, Max: time.Minute, Now: clk.Now,
		Done: func(_ context.Context, e outbox.Entry, resp json.RawMessage, err error) {
			done = append(done, e)
			answers = append(answers, resp)
		}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := ob.Enqueue(ctx, outbox.Action{Kind: "consent", Path: wire.PathConsents, Ref: "local-consent",
		Body: wire.ConsentRequest{Version: text.Version, SHA256: text.SHA256, AttestSelf: true}})
	if err != nil {
		t.Fatal(err)
	}

	var delays []time.Duration
	for i := range 6 {
		rep, err := ob.Flush(ctx, false)
		if err != nil || rep.Sent != 0 || rep.Waiting != 1 {
			t.Fatalf("flush %d offline: %+v, %v", i, rep, err)
		}
		p, _ := ob.Pending(ctx)
		if len(p) != 1 || p[0].ID != id || p[0].Attempts != i+1 || p[0].LastCode != studio.EUnavailable {
			t.Fatalf("pending after flush %d: %+v", i, p)
		}
		d := p[0].NextAttemptAt.Sub(clk.Now())
		delays = append(delays, d)
		want := min(time.Second<<i, time.Minute)
		if d < want/2 || d > want {
			t.Errorf("delay after failure %d: %v, want in [%v, %v]", i+1, d, want/2, want)
		}
		// Not due yet: a flush sends nothing.
		before := len(net.sent)
		ob.Flush(ctx, false)
		if len(net.sent) != before {
			t.Errorf("flush before the entry is due sent it")
		}
		clk.Add(d)
	}
	t.Logf("backoff delays while offline: %v", delays)

	net.setDown(false)
	rep, err := ob.Flush(ctx, false)
	if err != nil || rep.Sent != 1 {
		t.Fatalf("flush online: %+v, %v", rep, err)
	}
	if p, _ := ob.Pending(ctx); len(p) != 0 {
		t.Errorf("still pending after success: %+v", p)
	}
	if len(done) != 1 || done[0].Ref != "local-consent" || !json.Valid(answers[0]) {
		t.Errorf("done callback: %+v %s", done, answers)
	}
	if cur, err := c.CurrentConsent(ctx); err != nil || cur.Version != text.Version {
		t.Errorf("server consent: %+v, %v", cur, err)
	}
}

// TestRefusals: a 4xx other than 408, 429 (and 401) fails the entry for
// good with the server's message, and the queue goes on; 408, 429, 5xx
// and 401 keep it pending.
func TestRefusals(t *testing.T) {
	be := synctest.NewBackend(t, nil)
	ctx := context.Background()
	c := be.SignUp(t, "a@example.com")
	tests := []struct {
		name    string
		action  outbox.Action
		token   string
		status  string
		code    string
		httpSts int
	}{
		{"outdated consent text is final", outbox.Action{Kind: "consent", Path: wire.PathConsents,
			Body: map[string]any{"version": "1999-01-01", "sha256": "0000000000000000000000000000000000000000000000000000000000000000", "attest_self": true}},
			c.Token(), outbox.StatusFailed, "consent_outdated", 403},
		{"malformed body is final", outbox.Action{Kind: "consent", Path: wire.PathConsents, Body: map[string]any{"nope": 1}},
			c.Token(), outbox.StatusFailed, "invalid", 400},
		{"signed out waits for a sign-in", outbox.Action{Kind: "consent", Path: wire.PathConsents, Body: map[string]any{}},
			"lst_forged", outbox.StatusPending, "unauthorized", 401},
		{"rate limited waits", outbox.Action{Kind: "probe", Path: "/test/status/429"}, c.Token(), outbox.StatusPending, studio.ERateLimited, 429},
		{"request timeout waits", outbox.Action{Kind: "probe", Path: "/test/status/408"}, c.Token(), outbox.StatusPending, studio.EInvalid, 408},
		{"server error waits", outbox.Action{Kind: "probe", Path: "/test/status/502"}, c.Token(), outbox.StatusPending, studio.EUnavailable, 502},
		{"idempotency key in flight waits", outbox.Action{Kind: "job", Path: "/test/status/409", IdempotencyKey: "k"}, c.Token(), outbox.StatusPending, studio.EIdempotencyKeyInFlight, 409},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := synctest.OpenDB(t, t.TempDir())
			var sender outbox.Sender = be.Client(t)
			sender.(*client.Client).SetToken(tt.token)
			if tt.action.Path[:6] == "/test/" {
				sender = statusSender(tt.httpSts)
			}
			ob, err := outbox.New(outbox.Config{DB: db, Sender: sender})
			if err != nil {
				t.Fatal(err)
			}
			ob.Enqueue(ctx, tt.action)
			if _, err := ob.Flush(ctx, false); err != nil {
				t.Fatal(err)
			}
			var got []outbox.Entry
			if tt.status == outbox.StatusFailed {
				got, _ = ob.Failed(ctx)
			} else {
				got, _ = ob.Pending(ctx)
			}
			if len(got) != 1 || got[0].LastCode != tt.code || got[0].LastStatus != tt.httpSts || got[0].LastError == "" {
				t.Fatalf("got %+v, want one %s entry with code %s, status %d and a message", got, tt.status, tt.code, tt.httpSts)
			}
			if tt.status == outbox.StatusFailed {
				if err := ob.Retry(ctx, got[0].ID); err != nil {
					t.Errorf("retry: %v", err)
				}
				if err := ob.Dismiss(ctx, got[0].ID); err != nil {
					t.Errorf("dismiss: %v", err)
				}
			}
		})
	}
}

// statusSender answers every request with one status, as a proxy might.
type statusSender int

func (s statusSender) DoRaw(context.Context, string, string, []byte, http.Header, any) error {
	code := map[int]string{408: studio.EInvalid, 409: studio.EIdempotencyKeyInFlight, 429: studio.ERateLimited, 502: studio.EUnavailable}[int(s)]
	return &studio.Error{Code: code, Message: http.StatusText(int(s)), Err: &client.StatusError{Status: int(s)}}
}

// TestOrderAndIdempotency: entries go in order, a failing head holds back
// the ones after it (a job never overtakes its consent), and the
// Idempotency-Key goes with the request.
func TestOrderAndIdempotency(t *testing.T) {
	ctx := context.Background()
	db := synctest.OpenDB(t, t.TempDir())
	rec := &recorder{fail: map[string]int{"/first": 2}}
	ob, err := outbox.New(outbox.Config{DB: db, Sender: rec, Base: time.Millisecond, Max: 4 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ob.Enqueue(ctx, outbox.Action{Kind: "consent", Path: "/first"})
	ob.Enqueue(ctx, outbox.Action{Kind: "job", Path: "/second", IdempotencyKey: "job-key-1", Body: map[string]string{"dataset_id": "d"}})
	ob.Enqueue(ctx, outbox.Action{Kind: "activate", Path: "/third"})
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	go ob.Run(rctx)
	for {
		if p, _ := ob.Pending(ctx); len(p) == 0 {
			break
		}
		if rctx.Err() != nil {
			t.Fatal("outbox did not drain")
		}
		time.Sleep(2 * time.Millisecond)
	}
	cancel()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	want := []string{"/first", "/first", "/first", "/second", "/third"}
	if len(rec.paths) != len(want) {
		t.Fatalf("sent %v, want %v", rec.paths, want)
	}
	for i := range want {
		if rec.paths[i] != want[i] {
			t.Fatalf("sent %v, want %v", rec.paths, want)
		}
	}
	if rec.keys["/second"] != "job-key-1" || string(rec.bodies["/second"]) != `{"dataset_id":"d"}` {
		t.Errorf("job sent with key %q body %s", rec.keys["/second"], rec.bodies["/second"])
	}
}

type recorder struct {
	mu     sync.Mutex
	fail   map[string]int
	paths  []string
	keys   map[string]string
	bodies map[string][]byte
}

func (r *recorder) DoRaw(_ context.Context, _, path string, body []byte, hdr http.Header, _ any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys == nil {
		r.keys, r.bodies = map[string]string{}, map[string][]byte{}
	}
	r.paths = append(r.paths, path)
	r.keys[path], r.bodies[path] = hdr.Get("Idempotency-Key"), body
	if r.fail[path] > 0 {
		r.fail[path]--
		return &studio.Error{Code: studio.EUnavailable, Message: "down", Err: &client.StatusError{Status: 503}}
	}
	return nil
}

// TestAccountsKeepTheirOwnEntries: two accounts share the database; each
// outbox sends, lists and dismisses only its own entries, so another
// account's withdrawal never goes with this account's token.
func TestAccountsKeepTheirOwnEntries(t *testing.T) {
	ctx := context.Background()
	db := synctest.OpenDB(t, t.TempDir())
	recA, recB := &recorder{}, &recorder{}
	a, _ := outbox.New(outbox.Config{DB: db, Sender: recA, Account: "a@example.com on http://s"})
	b, _ := outbox.New(outbox.Config{DB: db, Sender: recB, Account: "b@example.com on http://s"})
	idA, _ := a.Enqueue(ctx, outbox.Action{Kind: "consent_withdraw", Path: "/a-withdraw"})
	b.Enqueue(ctx, outbox.Action{Kind: "job", Path: "/b-job"})
	if p, _ := b.Pending(ctx); len(p) != 1 || p[0].Path != "/b-job" {
		t.Fatalf("b's pending: %+v, want only its job", p)
	}
	if err := b.Dismiss(ctx, idA); studio.ErrorCode(err) != studio.ENotFound {
		t.Errorf("b dismissing a's entry: got %v, want not found", err)
	}
	if rep, err := b.Flush(ctx, true); err != nil || rep.Sent != 1 {
		t.Fatalf("b's flush: %+v, %v", rep, err)
	}
	if len(recB.paths) != 1 || recB.paths[0] != "/b-job" {
		t.Errorf("b sent %v, want only /b-job", recB.paths)
	}
	if p, _ := a.Pending(ctx); len(p) != 1 || p[0].ID != idA {
		t.Fatalf("a's pending after b's flush: %+v, want its withdrawal still there", p)
	}
	if rep, _ := a.Flush(ctx, true); rep.Sent != 1 || len(recA.paths) != 1 || recA.paths[0] != "/a-withdraw" {
		t.Errorf("a's flush: %+v, sent %v", rep, recA.paths)
	}
}
