// Command artifact measures the download of a trained LoRA through the URL
// that GET /api/lora/versions/{id}/artifact hands out (the local signed
// store, served by the backend's own handler over loopback HTTP), beside a
// plain static file server of the same bytes, and beside curl:
//
//	go build -o /tmp/artifact-bench ./bench/artifact
//	/tmp/artifact-bench serve [-mib 64]      # prints ROUTE=, PLAIN=, SHA256= and serves until killed
//	/tmp/artifact-bench download URL SHA256   # GET, stream to a file with sha256, verify
//
// then time `curl -s -o FILE $ROUTE` against `curl -s -o FILE $PLAIN` (the
// server's cost), and `artifact-bench download $ROUTE $SHA256` against
// `curl -s -o FILE $ROUTE` (a Go client against curl), with any harness that
// times whole processes (hyperfine, /usr/bin/time).
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/backend/blob"
)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: artifact serve [-mib N] | artifact download URL SHA256")
	}
	switch os.Args[1] {
	case "serve":
		fs := flag.NewFlagSet("serve", flag.ExitOnError)
		mib := fs.Int("mib", 64, "artifact size in MiB")
		fs.Parse(os.Args[2:])
		serve(*mib)
	case "download":
		if len(os.Args) != 4 {
			log.Fatal("usage: artifact download URL SHA256")
		}
		if err := download(os.Args[2], os.Args[3]); err != nil {
			log.Fatal(err)
		}
	default:
		log.Fatalf("unknown mode %q", os.Args[1])
	}
}

func serve(mib int) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "artifact-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	local, err := blob.NewLocal(filepath.Join(dir, "blobs"), base+"/blob", bytes.Repeat([]byte("b"), 32), time.Now)
	if err != nil {
		log.Fatal(err)
	}
	// The backend's own server: request ids, logging, metrics, then /blob/.
	srv := api.New(api.Config{BlobHandler: local.Handler(), Log: slog.New(slog.DiscardHandler)})
	mux := http.NewServeMux()
	mux.Handle("/", srv)

	// The artifact, stored the way a worker stores it: a PresignPutMax PUT.
	data := make([]byte, mib<<20)
	rand.Read(data)
	key := "users/u/artifacts/job.safetensors"
	put, err := local.PresignPutMax(ctx, key, "application/octet-stream", int64(len(data)), time.Hour)
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(ln, mux)
	req, _ := blob.NewHTTPRequest(ctx, put, bytes.NewReader(data))
	req.ContentLength = int64(len(data))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		log.Fatalf("store the artifact: %v %v", resp, err)
	}
	resp.Body.Close()
	get, err := local.PresignGet(ctx, key, time.Hour)
	if err != nil {
		log.Fatal(err)
	}
	// The same bytes from a plain file server on the same listener.
	plain := filepath.Join(dir, "plain")
	os.MkdirAll(plain, 0o700)
	os.WriteFile(filepath.Join(plain, "lora.safetensors"), data, 0o600)
	mux.Handle("/plain/", http.StripPrefix("/plain/", http.FileServer(http.Dir(plain))))
	sum := sha256.Sum256(data)
	fmt.Printf("ROUTE=%s\nPLAIN=%s/plain/lora.safetensors\nSHA256=%x\n", get.URL, base, sum)
	select {}
}

// download is what a desktop client does with the route's answer: stream
// the body to a file while hashing it, then check size and sha256.
func download(url, want string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET: %s", resp.Status)
	}
	f, err := os.CreateTemp("", "artifact-dl-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(f, h), resp.Body, make([]byte, 256<<10))
	if err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want || (resp.ContentLength >= 0 && n != resp.ContentLength) {
		return fmt.Errorf("got %d bytes of sha256 %s, want %d of %s", n, got, resp.ContentLength, want)
	}
	return nil // no fsync: curl -o does none either
}
