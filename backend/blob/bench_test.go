package blob_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/blob"
)

// BenchmarkUpload64MiB uploads the same 64 MiB over loopback HTTP, side by
// side, to the local signed store (signature and length checks, sha256 while
// streaming, fsync, atomic rename) and to its peer, a bare handler doing
// io.Copy into a file (what `curl -T` to a trivial server costs). A third
// peer adds fsync to the bare copy, to show where the difference goes.
// Metrics: MB/s of each and signed/plain as a ratio.
func BenchmarkUpload64MiB(b *testing.B) {
	ctx := context.Background()
	data := testData(64*MiB, 77)
	l, _, _ := newLocal(b)
	o := objectFor("users/u1/datasets/d1/"+sha(data)+".bin", data)

	peerDir := b.TempDir()
	peer := func(sync bool) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f, err := os.CreateTemp(peerDir, "up-")
			if err == nil {
				_, err = io.Copy(f, r.Body)
			}
			if err == nil && sync {
				err = f.Sync()
			}
			if f != nil {
				f.Close()
			}
			if err == nil {
				err = os.Rename(f.Name(), filepath.Join(peerDir, "object"))
			}
			if err != nil {
				http.Error(w, err.Error(), 500)
			}
		}))
	}
	plain, synced := peer(false), peer(true)
	defer plain.Close()
	defer synced.Close()

	put := func(r blob.Request) time.Duration {
		req, err := blob.NewHTTPRequest(ctx, r, bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("PUT %s: %d", r.URL, resp.StatusCode)
		}
		return d
	}
	bare := func(u string) blob.Request {
		return blob.Request{Method: "PUT", URL: u, Headers: map[string]string{"Content-Length": "67108864"}}
	}

	var tSigned, tPlain, tSynced time.Duration
	n := 0
	for b.Loop() {
		r, err := l.PresignPut(ctx, o, ttl)
		if err != nil {
			b.Fatal(err)
		}
		// Rotate the order so that no side always runs on a warm cache.
		switch n % 3 {
		case 0:
			tSigned += put(r)
			tPlain += put(bare(plain.URL))
			tSynced += put(bare(synced.URL))
		case 1:
			tPlain += put(bare(plain.URL))
			tSynced += put(bare(synced.URL))
			tSigned += put(r)
		default:
			tSynced += put(bare(synced.URL))
			tSigned += put(r)
			tPlain += put(bare(plain.URL))
		}
		n++
	}
	mbps := func(d time.Duration) float64 { return float64(n) * 64 * MiB / 1e6 / d.Seconds() }
	b.ReportMetric(mbps(tSigned), "signed-MB/s")
	b.ReportMetric(mbps(tPlain), "plain-MB/s")
	b.ReportMetric(mbps(tSynced), "plain+fsync-MB/s")
	b.ReportMetric(tPlain.Seconds()/tSigned.Seconds(), "signed/plain")
}
