package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/backend/auth"
)

// fromAddr returns a client whose connections come from 127.0.0.n, so the
// server sees a different client address for each n (Linux routes all of
// 127/8 to loopback).
func fromAddr(n int) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, byte(n/250), byte(2+n%250))}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 30 * time.Second}
}

func (e *env) post(c *http.Client, path, body string) (int, http.Header, string) {
	e.t.Helper()
	resp, err := c.Post(e.srv.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		e.t.Error(err)
		return 0, nil, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// 80 sign-ins at once from 80 addresses: the argon2 memory budget keeps the
// hashes running at once at its cap, and /healthz still answers at once.
func TestConcurrentLoginsStayWithinHashBudget(t *testing.T) {
	p := auth.Params{Memory: 8 << 10, Time: 1, Threads: 1, KeyLen: 32} // 8 MiB: slow enough to overlap
	h := auth.NewHasher(auth.HasherConfig{Params: p, MemoryBudget: 4 * 8 << 20, MaxWait: 20 * time.Second})
	if h.Slots() != 4 {
		t.Fatalf("slots: got %d, want 4", h.Slots())
	}
	e := newEnv(t, func(c *api.Config) { c.Hasher = h })
	e.register("real@example.com")

	const n = 80
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			email := fmt.Sprintf("nobody%d@example.com", i) // one account each: no per-account throttle
			if i == 0 {
				email = "real@example.com"
			}
			codes[i], _, _ = e.post(fromAddr(i), "/api/auth/login", `{"email":"`+email+`","password":"a wrong passphrase"}`)
		}()
	}
	// Health checks during the storm.
	done := make(chan struct{})
	var slowest time.Duration
	go func() {
		defer close(done)
		for range 10 {
			start := time.Now()
			if code, _, body := e.req("GET", "/healthz", "", ""); code != 200 {
				t.Errorf("healthz during logins: %d %s", code, body)
			}
			slowest = max(slowest, time.Since(start))
			time.Sleep(20 * time.Millisecond)
		}
	}()
	wg.Wait()
	<-done
	for i, c := range codes {
		if c != 401 {
			t.Errorf("login %d: got %d, want 401", i, c)
		}
	}
	if h.Peak() > h.Slots() {
		t.Errorf("argon2 hashes at once: got %d, want at most %d", h.Peak(), h.Slots())
	}
	if h.Peak() < 2 {
		t.Errorf("argon2 hashes at once: got %d; the logins never overlapped, so the test proves nothing", h.Peak())
	}
	if slowest > 3*time.Second {
		t.Errorf("slowest /healthz during the logins: %v, want under 3 s (generous: the test machine is shared)", slowest)
	}
	t.Logf("peak hashes %d of %d slots; slowest healthz %v", h.Peak(), h.Slots(), slowest)
}

// When no hashing memory frees up in time, a sign-in is refused with 503 and
// Retry-After instead of waiting without end.
func TestLoginBusyIsUnavailable(t *testing.T) {
	p := auth.Params{Memory: 32 << 10, Time: 2, Threads: 1, KeyLen: 32}
	h := auth.NewHasher(auth.HasherConfig{Params: p, MemoryBudget: 32 << 20, MaxWait: time.Millisecond})
	e := newEnv(t, func(c *api.Config) { c.Hasher = h })
	var mu sync.Mutex
	var busy int
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, hdr, body := e.post(fromAddr(i), "/api/auth/login", fmt.Sprintf(`{"email":"b%d@example.com","password":"a wrong passphrase"}`, i))
			if code == 503 {
				if errorCode(t, body) != "unavailable" || hdr.Get("Retry-After") == "" {
					t.Errorf("busy: got %s, Retry-After %q; want unavailable with Retry-After", body, hdr.Get("Retry-After"))
				}
				mu.Lock()
				busy++
				mu.Unlock()
			} else if code != 401 {
				t.Errorf("got %d %s, want 401 or 503", code, body)
			}
		}()
	}
	wg.Wait()
	if busy == 0 {
		t.Error("8 sign-ins at once through one slot with no wait: none refused as busy")
	}
}

func redisURL() string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// closedRedis is the URL of a port nothing listens on: Redis is down.
func closedRedis(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "redis://" + addr + "/0"
}

// Failed sign-ins to one account from many addresses back off: five, then
// 429 with Retry-After, even for the right password; a success resets.
func TestLoginBacksOffPerAccount(t *testing.T) {
	limiters := map[string]func(t *testing.T) api.Limiter{
		"memory": func(*testing.T) api.Limiter { return api.NewMemoryLimiter(api.DefaultLimits) },
		"redis": func(t *testing.T) api.Limiter {
			l, err := api.NewRedisLimiter(redisURL(), api.DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			return l
		},
		"redis down": func(t *testing.T) api.Limiter {
			l, err := api.NewRedisLimiter(closedRedis(t), api.DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			return l
		},
	}
	for name, mk := range limiters {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, func(c *api.Config) { c.Limiter = mk(t) })
			// Fresh addresses per database so Redis keys of earlier runs do not matter.
			victim := fmt.Sprintf("v%d@example.com", time.Now().UnixNano())
			other := fmt.Sprintf("o%d@example.com", time.Now().UnixNano())
			e.register(victim)
			e.register(other)
			login := func(addr int, email, password string) (int, http.Header, string) {
				return e.post(fromAddr(addr), "/api/auth/login", `{"email":"`+email+`","password":"`+password+`"}`)
			}
			// A success resets: 4 failures, a success, 4 more failures are all answered.
			for i := range 4 {
				if code, _, body := login(i, other, "a wrong passphrase"); code != 401 {
					t.Fatalf("failure %d: got %d %s, want 401", i+1, code, body)
				}
			}
			if code, _, body := login(10, other, "a long passphrase"); code != 200 {
				t.Fatalf("right password after 4 failures: got %d %s", code, body)
			}
			for i := range 4 {
				if code, _, body := login(20+i, other, "a wrong passphrase"); code != 401 {
					t.Fatalf("failure %d after a success: got %d %s, want 401 (a success resets)", i+1, code, body)
				}
			}
			// Five failures from five addresses, then the account waits.
			for i := range 5 {
				if code, _, body := login(30+i, victim, "a wrong passphrase"); code != 401 {
					t.Fatalf("failure %d: got %d %s, want 401", i+1, code, body)
				}
			}
			code, hdr, body := login(40, victim, "a long passphrase")
			if code != 429 || errorCode(t, body) != "rate_limited" || hdr.Get("Retry-After") != "1" {
				t.Fatalf("6th try from a 6th address: got %d %s Retry-After %q; want 429 rate_limited, Retry-After 1", code, body, hdr.Get("Retry-After"))
			}
			time.Sleep(1100 * time.Millisecond)
			if code, _, body := login(41, victim, "a long passphrase"); code != 200 {
				t.Errorf("after the wait, the right password: got %d %s", code, body)
			}
		})
	}
}

// The wait doubles from First up to Max and never grows past it, through
// either limiter; Forget wipes it.
func TestBackoffIsBounded(t *testing.T) {
	b := api.Backoff{Free: 3, First: time.Second, Max: 10 * time.Second, Forget: time.Hour}
	var now time.Time
	clock := func() time.Time { return now }
	redisLim, err := api.NewRedisLimiterAt(redisURL(), nil, b, clock)
	if err != nil {
		t.Fatal(err)
	}
	downLim, _ := api.NewRedisLimiterAt(closedRedis(t), nil, b, clock)
	for name, l := range map[string]api.Limiter{
		"memory":     api.NewMemoryLimiterAt(nil, b, clock),
		"redis":      redisLim,
		"redis down": downLim,
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			a := l.(api.AttemptLimiter)
			now = time.Unix(1_900_000_000, 0)
			key := fmt.Sprintf("bounded-%d", time.Now().UnixNano())
			var got []time.Duration
			for range 9 {
				retry, err := a.Attempt(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, retry)
				if retry > 0 { // wait as told: the next attempt is let through
					now = now.Add(retry)
					if retry, err := a.Attempt(ctx, key); err != nil || retry != 0 {
						t.Fatalf("attempt after waiting %v: refused for %v more, %v", got[len(got)-1], retry, err)
					}
				}
			}
			want := []time.Duration{0, 0, 0, 1, 2, 4, 8, 10, 10}
			for i := range want {
				want[i] *= time.Second
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("waits: got %v, want %v", got, want)
			}
			now = now.Add(2 * time.Hour)
			if retry, _ := a.Attempt(ctx, key); retry != 0 {
				t.Errorf("after Forget: got a wait of %v", retry)
			}
			if retry, _ := a.Attempt(ctx, key); retry != 0 {
				t.Errorf("after Forget, the 2nd attempt: got a wait of %v, want a fresh count", retry)
			}
		})
	}
}

// With Redis down the per-address limits still hold, in this process.
func TestRateLimitWithRedisDown(t *testing.T) {
	e := newEnv(t, func(c *api.Config) {
		l, err := api.NewRedisLimiter(closedRedis(t), map[string]api.Limit{"auth": {PerMinute: 1, Burst: 2}})
		if err != nil {
			t.Fatal(err)
		}
		c.Limiter = l
	})
	var last int
	var hdr http.Header
	for i := range 3 {
		last, hdr, _ = e.req("POST", "/api/auth/login", "", fmt.Sprintf(`{"email":"x%d@example.com","password":"whatever it is"}`, i))
	}
	if last != 429 || hdr.Get("Retry-After") == "" {
		t.Fatalf("third request in a burst of 2 with Redis down: got %d, want 429 with Retry-After", last)
	}
}

func credentialsJSON(email, password string) string {
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	return string(b)
}

// Register refuses weak passwords and disguised emails over real HTTP; the
// same address typed differently signs in to the same account.
func TestRegisterPasswordAndEmailRules(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.Limiter = api.NewMemoryLimiter(nil) }) // many requests from one address
	e.register("user@example.com")
	tests := []struct {
		name, email, password string
		status                int
		code                  string
	}{
		{"ten spaces", "a@example.com", strings.Repeat(" ", 10), 400, "weak_password"},
		// Invisible characters are refused for every request string before
		// the password and email rules run (backend/auth tests those rules).
		{"ten NULs", "a@example.com", strings.Repeat("\x00", 10), 400, "invalid_text"},
		{"the email itself", "jane@example.com", "jane@example.com", 400, "weak_password"},
		{"a common password", "a@example.com", "iloveyou", 400, "weak_password"},
		{"seven characters", "a@example.com", "x7#kQ!2", 400, "weak_password"},
		{"zero-width space after a taken email", "user@example.com\u200b", "a long passphrase", 400, "invalid_text"},
		{"BOM before", "\ufeffuser@example.com", "a long passphrase", 400, "invalid_text"},
		{"bidi override", "user@exam\u202eple.com", "a long passphrase", 400, "invalid_text"},
		{"full-width form of a taken email", "ｕｓｅｒ@ｅｘａｍｐｌｅ.ｃｏｍ", "a long passphrase", 409, "email_taken"},
		{"a 64-character passphrase", "long@example.com", strings.Repeat("Tr0ub4dor&3 ", 5) + "abcd", 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := e.req("POST", "/api/auth/register", "", credentialsJSON(tt.email, tt.password))
			if code != tt.status || (tt.code != "" && errorCode(t, body) != tt.code) {
				t.Errorf("got %d %s, want %d %s", code, body, tt.status, tt.code)
			}
		})
	}
	// Login normalises the same way: case, spaces and full-width forms find
	// the account; a zero-width space is refused, not a different account.
	for _, email := range []string{" USER@example.com ", "ｕｓｅｒ@ｅｘａｍｐｌｅ.ｃｏｍ"} {
		if code, _, body := e.req("POST", "/api/auth/login", "", credentialsJSON(email, "a long passphrase")); code != 200 {
			t.Errorf("login as %q: got %d %s, want 200", email, code, body)
		}
	}
	code, _, body := e.req("POST", "/api/auth/login", "", credentialsJSON("user@example.com\u200b", "a long passphrase"))
	if code != 400 || errorCode(t, body) != "invalid_text" {
		t.Errorf("login with a zero-width space: got %d %s, want 400 invalid_text", code, body)
	}
}

// A password registered in one Unicode form signs in when typed in another.
func TestLoginNormalisesPassword(t *testing.T) {
	e := newEnv(t, nil)
	if code, _, body := e.req("POST", "/api/auth/register", "", credentialsJSON("c@example.com", "caf\u00e9 au lait 2026")); code != 201 {
		t.Fatalf("register: %d %s", code, body)
	}
	if code, _, body := e.req("POST", "/api/auth/login", "", credentialsJSON("c@example.com", "cafe\u0301 au lait ２０２６")); code != 200 {
		t.Errorf("login with decomposed é and full-width digits: got %d %s, want 200", code, body)
	}
}

// proxy forwards a local port to Redis and can be cut and restored, so a
// test sees Redis go away and come back at the same address.
type proxy struct {
	t     *testing.T
	addr  string
	mu    sync.Mutex
	l     net.Listener
	conns []net.Conn
}

func (p *proxy) up() {
	l, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.l, p.addr = l, l.Addr().String()
	p.mu.Unlock()
	target := strings.TrimPrefix(strings.TrimSuffix(redisURL(), "/0"), "redis://")
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			r, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, r)
			p.mu.Unlock()
			go func() { io.Copy(r, c); r.Close() }()
			go func() { io.Copy(c, r); c.Close() }()
		}
	}()
}

func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.l.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// While Redis is down the limits hold in this process; once it answers
// again, the limits are shared through it again.
func TestRedisLimiterRecovers(t *testing.T) {
	p := &proxy{t: t, addr: "127.0.0.1:0"}
	p.up()
	t.Cleanup(p.down)
	limits := map[string]api.Limit{"jobs": {PerMinute: 1, Burst: 2}}
	now := time.Now()
	clock := func() time.Time { return now }
	viaProxy, err := api.NewRedisLimiterAt("redis://"+p.addr+"/0", limits, api.DefaultBackoff, clock)
	if err != nil {
		t.Fatal(err)
	}
	direct, _ := api.NewRedisLimiterAt(redisURL(), limits, api.DefaultBackoff, clock)
	ctx := context.Background()
	allowed := func(l api.Limiter, who string, n int) int {
		k := 0
		for range n {
			ok, _, err := l.Allow(ctx, "jobs", who)
			if err != nil {
				t.Fatalf("limiter error: %v", err)
			}
			if ok {
				k++
			}
		}
		return k
	}
	who := fmt.Sprintf("recover-%d", time.Now().UnixNano())
	if got := allowed(direct, who+"a", 2) + allowed(viaProxy, who+"a", 1); got != 2 {
		t.Fatalf("Redis up: two replicas allowed %d, want the shared burst of 2", got)
	}
	p.down()
	if got := allowed(viaProxy, who+"b", 3); got != 2 {
		t.Fatalf("Redis down: allowed %d of 3, want the burst of 2 kept in memory", got)
	}
	p.up()
	now = now.Add(2 * time.Second) // past the next probe
	if got := allowed(direct, who+"c", 2) + allowed(viaProxy, who+"c", 1); got != 2 {
		t.Errorf("Redis back: two replicas allowed %d, want the shared burst of 2 again", got)
	}
}
