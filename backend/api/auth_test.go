package api_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
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
