// Command backend measures the backend on this machine, against the local
// Postgres and the local signed store, over real loopback HTTP:
//
//  1. datasets/init + PUT + commit at a fixed request rate (open loop: a
//     slow response does not slow the arrivals), reporting throughput and
//     p50/p99 of init and commit, beside GET /healthz (one database round
//     trip) at the same rate as the floor to compare with;
//
//  2. upload throughput of one large file with curl to a presigned URL of
//     the signed store, beside curl -T of the same file to a bare PUT sink
//     served by the same process.
//
//     go run ./bench/backend [-rate 40] [-duration 15s] [-upload-mib 64]
//
// It creates a throwaway database on DATABASE_URL's server and drops it.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/consent"
	"github.com/promptforge/lorastudio/migrations"
)

func main() {
	rate := flag.Int("rate", 40, "init+PUT+commit sequences started per second")
	dur := flag.Duration("duration", 15*time.Second, "how long to keep the rate")
	users := flag.Int("users", 8, "users the load is spread over")
	uploadMiB := flag.Int("upload-mib", 64, "size of the file for the upload comparison (at most studio.MaxPhotoBytes, 64)")
	flag.Parse()
	ctx := context.Background()

	dbURL, drop := throwawayDB(ctx)
	defer drop()
	store, err := pgstore.Open(ctx, dbURL)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	defer srv.Close()
	blobDir, _ := os.MkdirTemp("", "lorastudio-bench-blob-")
	defer os.RemoveAll(blobDir)
	local, err := blob.NewLocal(blobDir, srv.URL+"/blob", bytes.Repeat([]byte("b"), 32), time.Now)
	if err != nil {
		log.Fatal(err)
	}
	// The load comes from a few users far faster than a person: lift the
	// per-user rate limits so they measure the server, not the limiter.
	unlimited := map[string]api.Limit{"upload": {PerMinute: 1 << 20, Burst: 1 << 20}}
	h = api.New(api.Config{Store: store, Blobs: local, BlobHandler: local.Handler(),
		Limiter: api.NewMemoryLimiter(unlimited), MultipartFrom: 1 << 40,
		Processors: []string{"storage: bench", "training: bench"}})

	tokens := make([]string, *users)
	for i := range tokens {
		tokens[i] = setupUser(srv.URL, i)
	}
	photo := make([]byte, 48<<10) // a small photo's worth of bytes; the server does not decode on commit
	fmt.Printf("cores %d; %d/s for %v over %d users\n\n", runtime.NumCPU(), *rate, *dur, *users)

	floor := fixedRate(*rate, *dur, func(i int) map[string]time.Duration {
		start := time.Now()
		mustDo("GET", srv.URL+"/healthz", "", nil, nil, 200)
		return map[string]time.Duration{"healthz": time.Since(start)}
	})
	load := fixedRate(*rate, *dur, func(i int) map[string]time.Duration {
		return initPutCommit(srv.URL, tokens[i%len(tokens)], photo, i)
	})
	fmt.Println("| request | rate (/s) | done | errors | p50 (ms) | p99 (ms) |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: |")
	floor.print("GET /healthz (one DB round trip)", "healthz")
	load.print("POST datasets/init", "init")
	load.print("POST datasets/commit", "commit")
	fmt.Printf("\ncommit p99 / healthz p99: %.1fx\n\n", load.p("commit", 0.99)/floor.p("healthz", 0.99))

	uploadComparison(srv, tokens[0], *uploadMiB)
}

// stats collects latencies by name.
type stats struct {
	mu     sync.Mutex
	lat    map[string][]time.Duration
	errors int
	rate   float64
}

// p returns the q quantile of the latencies of k, in milliseconds.
func (s *stats) p(k string, q float64) float64 {
	l := s.lat[k]
	if len(l) == 0 {
		return 0
	}
	slices.Sort(l)
	return float64(l[min(len(l)-1, int(q*float64(len(l))))].Microseconds()) / 1000
}

func (s *stats) print(label, k string) {
	fmt.Printf("| %s | %.1f | %d | %d | %.2f | %.2f |\n", label, s.rate, len(s.lat[k]), s.errors, s.p(k, 0.5), s.p(k, 0.99))
}

// fixedRate starts fn rate times a second for d, each in its own goroutine,
// and waits for all of them.
func fixedRate(rate int, d time.Duration, fn func(i int) map[string]time.Duration) *stats {
	s := &stats{lat: map[string][]time.Duration{}}
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		<-tick.C
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					s.mu.Lock()
					s.errors++
					s.mu.Unlock()
				}
			}()
			lat := fn(i)
			s.mu.Lock()
			for k, v := range lat {
				s.lat[k] = append(s.lat[k], v)
			}
			s.mu.Unlock()
		}(n)
		n++
	}
	wg.Wait()
	s.rate = float64(n) / time.Since(start).Seconds()
	return s
}

func initPutCommit(base, token string, photo []byte, i int) map[string]time.Duration {
	body := bytes.Clone(photo)
	copy(body, fmt.Sprintf("%08d", i)) // every photo distinct
	sum := sha256.Sum256(body)
	var init struct {
		DatasetID string `json:"dataset_id"`
		Uploads   []struct {
			Key, Method, URL string
			Headers          map[string]string
		} `json:"uploads"`
	}
	t0 := time.Now()
	mustDo("POST", base+"/api/lora/datasets/init", token, map[string]any{"model_name": "bench", "files": []map[string]any{
		{"name": "p.jpg", "size": len(body), "content_type": "image/jpeg", "sha256": hex.EncodeToString(sum[:])}}}, &init, 200)
	tInit := time.Since(t0)
	u := init.Uploads[0]
	req, _ := blob.NewHTTPRequest(context.Background(), blob.Request{Method: u.Method, URL: u.URL, Headers: u.Headers}, bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		panic(fmt.Sprint("put: ", err))
	}
	resp.Body.Close()
	t1 := time.Now()
	mustDo("POST", base+"/api/lora/datasets/commit", token, map[string]any{"dataset_id": init.DatasetID, "files": []map[string]any{{"key": u.Key}}}, nil, 200)
	return map[string]time.Duration{"init": tInit, "commit": time.Since(t1)}
}

func uploadComparison(srv *httptest.Server, token string, mib int) {
	if _, err := exec.LookPath("curl"); err != nil {
		fmt.Println("upload comparison skipped: no curl")
		return
	}
	dir, _ := os.MkdirTemp("", "lorastudio-bench-up-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "big.bin")
	data := make([]byte, mib<<20)
	rand.Read(data)
	os.WriteFile(path, data, 0o600)
	sum := sha256.Sum256(data)

	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.CreateTemp(dir, "sink-")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		io.Copy(f, r.Body)
		f.Close()
		os.Remove(f.Name())
	}))
	defer sink.Close()

	best := func(run func() error) time.Duration {
		b := time.Duration(1 << 62)
		for range 3 {
			t := time.Now()
			if err := run(); err != nil {
				log.Fatal(err)
			}
			b = min(b, time.Since(t))
		}
		return b
	}
	plain := best(func() error {
		return exec.Command("curl", "-sSf", "-o", "/dev/null", "-T", path, sink.URL+"/big.bin").Run()
	})
	signed := best(func() error {
		var init struct {
			Uploads []struct {
				URL     string
				Headers map[string]string
			} `json:"uploads"`
		}
		mustDo("POST", srv.URL+"/api/lora/datasets/init", token, map[string]any{"model_name": "bench-up", "files": []map[string]any{
			{"name": "big.jpg", "size": len(data), "content_type": "image/jpeg", "sha256": hex.EncodeToString(sum[:])}}}, &init, 200)
		args := []string{"-sSf", "-o", "/dev/null", "-T", path}
		for k, v := range init.Uploads[0].Headers {
			if !strings.EqualFold(k, "Content-Length") {
				args = append(args, "-H", k+": "+v)
			}
		}
		return exec.Command("curl", append(args, init.Uploads[0].URL)...).Run()
	})
	mbps := func(d time.Duration) float64 { return float64(len(data)) / 1e6 / d.Seconds() }
	fmt.Printf("| upload of %d MiB with curl | best of 3 (ms) | MB/s |\n| --- | ---: | ---: |\n", mib)
	fmt.Printf("| -T to a bare PUT sink (peer) | %d | %.0f |\n", plain.Milliseconds(), mbps(plain))
	fmt.Printf("| presigned PUT, signed local store (verifies length, type, sha256; fsyncs) | %d | %.0f |\n", signed.Milliseconds(), mbps(signed))
	fmt.Printf("\nsigned store / bare sink throughput: %.2fx\n", mbps(signed)/mbps(plain))
}

func setupUser(base string, i int) string {
	var tok struct{ Token string }
	mustDo("POST", base+"/api/auth/register", "", map[string]string{"email": fmt.Sprintf("bench%d@example.com", i), "password": "a long passphrase"}, &tok, 201)
	c := consent.Current
	mustDo("POST", base+"/api/lora/consents", tok.Token, map[string]any{"version": c.Version, "sha256": c.SHA256, "attest_self": true}, nil, 201)
	return tok.Token
}

func mustDo(method, u, token string, body, out any, want int) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		panic(fmt.Sprintf("%s %s: %d %s", method, u, resp.StatusCode, raw))
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			panic(err)
		}
	}
}

func throwawayDB(ctx context.Context) (string, func()) {
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		base = migrations.DefaultPostgresURL
	}
	c, err := pgx.Connect(ctx, base)
	if err != nil {
		log.Fatalf("postgres at %s: %v", base, err)
	}
	name := fmt.Sprintf("lorastudio_bench_%d", time.Now().UnixNano())
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		log.Fatal(err)
	}
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String(), func() {
		c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		c.Close(context.Background())
	}
}
