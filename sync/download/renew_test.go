package download_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/sync/download"
)

// A link that expires mid-download is renewed and the download resumes
// from the bytes it has; a dropped connection is retried after a pause.
func TestFetchFromRenewsAndRetries(t *testing.T) {
	body, sum := payload(2<<20 + 5)
	srv := &server{body: body, cutAfter: 700 << 10}
	var expired atomic.Bool
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The first link works until the connection drops, then it has expired.
		if strings.HasSuffix(r.URL.Path, "/1") && expired.Swap(true) {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		srv.ServeHTTP(w, r)
	}))
	defer ts.Close()
	dest := filepath.Join(t.TempDir(), "alice-v1-flux-dev.safetensors")
	var asked atomic.Int32
	src := func(context.Context) (download.Target, error) {
		n := asked.Add(1)
		return download.Target{URL: ts.URL + "/" + string(rune('0'+n)), SHA256: sum, Size: int64(len(body)), Dest: dest}, nil
	}
	var told []string
	f := &download.Fetcher{}
	if _, err := f.FetchFrom(context.Background(), src, download.Retry{Backoff: 10 * time.Millisecond}, func(r download.Renewal) { told = append(told, r.Code) }); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dest)
	if !bytes.Equal(got, body) {
		t.Fatalf("got %d bytes, want the %d served", len(got), len(body))
	}
	if want := []string{studio.EUnavailable, studio.EDownloadURLExpired}; strings.Join(told, ",") != strings.Join(want, ",") {
		t.Errorf("told %v, want %v", told, want)
	}
	if asked.Load() != 2 || srv.ranges.Load() != 1 {
		t.Errorf("asked for %d links with %d range requests, want 2 links and 1 resume", asked.Load(), srv.ranges.Load())
	}

	// A link that stays refused gives up after the renewals allowed.
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) }))
	defer dead.Close()
	asked.Store(0)
	other := filepath.Join(t.TempDir(), "x.safetensors")
	_, err := f.FetchFrom(context.Background(), func(context.Context) (download.Target, error) {
		asked.Add(1)
		return download.Target{URL: dead.URL, SHA256: sum, Size: int64(len(body)), Dest: other}, nil
	}, download.Retry{Renewals: 2}, nil)
	if studio.ErrorCode(err) != studio.EDownloadURLExpired || asked.Load() != 3 {
		t.Errorf("refused link: got %v after %d links, want %s after 3", err, asked.Load(), studio.EDownloadURLExpired)
	}
}
