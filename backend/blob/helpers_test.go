package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/blob"
)

const (
	ttl = 10 * time.Minute
	MiB = 1 << 20
)

// testData returns n deterministic pseudo-random bytes.
func testData(n int, seed uint64) []byte {
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	b := make([]byte, n)
	rand.NewChaCha8(s).Read(b)
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// b64 is the x-amz-checksum-sha256 value of b.
func b64(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

func objectFor(key string, b []byte) blob.Object {
	return blob.Object{Key: key, Size: int64(len(b)), ContentType: "image/jpeg", SHA256: sha(b)}
}

// send sends r with body the way a client must: exactly r.Headers.
func send(t testing.TB, r blob.Request, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := blob.NewHTTPRequest(context.Background(), r, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func do(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// errorCode reads the code of a {"error":{"code","message"}} body.
func errorCode(t testing.TB, b []byte) string {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body %q is not the JSON error shape: %v", b, err)
	}
	return e.Error.Code
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var testSecret = []byte("0123456789abcdef0123456789abcdef-test")

// newLocal starts a local store mounted at /blob/ of a real HTTP server, the
// way the backend mounts it.
func newLocal(t testing.TB) (*blob.Local, *clock, string) {
	t.Helper()
	clk := newClock()
	var h http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	l, err := blob.NewLocal(dir, ts.URL+"/blob", testSecret, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/blob/", l.Handler())
	h = mux
	return l, clk, dir
}
