package download_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/sync/download"
)

func payload(n int) ([]byte, string) {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	s := sha256.Sum256(b)
	return b, hex.EncodeToString(s[:])
}

// server serves body with ranges (http.ServeContent); cutAfter > 0 makes
// the first full response stop after that many bytes, as a dropped
// connection does; noRange ignores Range headers.
type server struct {
	body     []byte
	cutAfter int
	noRange  bool
	status   int
	ranges   atomic.Int32
	requests atomic.Int32
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if s.status != 0 {
		w.WriteHeader(s.status)
		return
	}
	if r.Header.Get("Range") != "" {
		s.ranges.Add(1)
		if s.noRange {
			r.Header.Del("Range")
		}
	}
	if s.cutAfter > 0 && r.Header.Get("Range") == "" {
		cut := s.cutAfter
		s.cutAfter = 0
		w.Header().Set("Content-Length", strconv.Itoa(len(s.body)))
		w.WriteHeader(200)
		w.Write(s.body[:cut])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the connection drops mid-body
	}
	http.ServeContent(w, r, "lora.safetensors", time.Time{}, bytes.NewReader(s.body))
}

func TestFetch(t *testing.T) {
	body, sum := payload(3<<20 + 17)
	tests := []struct {
		name     string
		srv      *server
		tries    int    // Fetch calls until success
		code     string // of the first call's error
		ranges   int32
		requests int32
	}{
		{"whole at once", &server{body: body}, 1, "", 0, 1},
		{"cut, then resumed with a range", &server{body: body, cutAfter: 1 << 20}, 2, studio.EUnavailable, 1, 2},
		{"cut, no ranges: starts over", &server{body: body, cutAfter: 1 << 20, noRange: true}, 2, studio.EUnavailable, 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(tt.srv)
			defer ts.Close()
			dest := filepath.Join(t.TempDir(), "alice-v1-flux-dev.safetensors")
			var last download.Progress
			f := &download.Fetcher{Progress: func(p download.Progress) { last = p }}
			target := download.Target{URL: ts.URL, SHA256: sum, Size: int64(len(body)), Dest: dest}
			var err error
			for i := 0; i < tt.tries; i++ {
				err = f.Fetch(context.Background(), target)
				if i == 0 && studio.ErrorCode(err) != tt.code {
					t.Fatalf("first try: got %v, want code %q", err, tt.code)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(dest)
			if !bytes.Equal(got, body) {
				t.Fatalf("got %d bytes, want the %d served", len(got), len(body))
			}
			if _, err := os.Stat(download.PartPath(dest)); !os.IsNotExist(err) {
				t.Errorf("the .part file is still there: %v", err)
			}
			if last.Done != int64(len(body)) || last.Total != int64(len(body)) {
				t.Errorf("last progress %+v, want all of %d", last, len(body))
			}
			if r, q := tt.srv.ranges.Load(), tt.srv.requests.Load(); r != tt.ranges || q != tt.requests {
				t.Errorf("got %d range requests of %d, want %d of %d", r, q, tt.ranges, tt.requests)
			}
			// Fetching again finds the file right and asks nothing.
			if err := f.Fetch(context.Background(), target); err != nil || tt.srv.requests.Load() != tt.requests {
				t.Errorf("again: %v after %d requests, want none sent", err, tt.srv.requests.Load())
			}
		})
	}
}

func TestFetchRefuses(t *testing.T) {
	body, sum := payload(100_000)
	_, otherSum := payload(99)
	tests := []struct {
		name   string
		srv    *server
		target func(url, dest string) download.Target
		code   string
	}{
		{"bytes differ from the checksum", &server{body: body}, func(u, d string) download.Target {
			return download.Target{URL: u, SHA256: otherSum, Size: int64(len(body)), Dest: d}
		}, studio.EDownloadCorrupt},
		{"the server sends fewer bytes", &server{body: body[:500]}, func(u, d string) download.Target {
			return download.Target{URL: u, SHA256: sum, Size: int64(len(body)), Dest: d}
		}, studio.EUnavailable},
		{"expired link", &server{status: 403}, func(u, d string) download.Target {
			return download.Target{URL: u, SHA256: sum, Size: int64(len(body)), Dest: d}
		}, studio.EDownloadURLExpired},
		{"no checksum to check against", &server{body: body}, func(u, d string) download.Target {
			return download.Target{URL: u, Size: int64(len(body)), Dest: d}
		}, studio.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(tt.srv)
			defer ts.Close()
			dest := filepath.Join(t.TempDir(), "x.safetensors")
			err := (&download.Fetcher{}).Fetch(context.Background(), tt.target(ts.URL, dest))
			if studio.ErrorCode(err) != tt.code {
				t.Fatalf("got %v, want code %s", err, tt.code)
			}
			if _, err := os.Stat(dest); !os.IsNotExist(err) {
				t.Errorf("a file is at the destination after a failure: %v", err)
			}
			if tt.code == studio.EDownloadCorrupt {
				if _, err := os.Stat(download.PartPath(dest)); !os.IsNotExist(err) {
					t.Errorf("corrupt bytes were kept for a resume: %v", err)
				}
			}
		})
	}
}
