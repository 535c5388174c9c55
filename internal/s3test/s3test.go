// Package s3test gives tests a real S3 server: a MinIO process of the pinned
// version on a free 127.0.0.1 port, with its own data directory and random
// root credentials, stopped when the test ends. It never skips: a test that
// needs it and cannot find the binary fails, and says how to build it.
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"go/build"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/promptforge/lorastudio/internal/freeport"
)

// Version is the MinIO release the tests run against; the Makefile builds
// the same one into .bin/minio.
const Version = "v0.0.0-20260212201848-7aac2a2c5b7c"

// EnvBinary names the minio binary to run; `make test` sets it.
const EnvBinary = "LORASTUDIO_MINIO"

// Region is the region MinIO signs and checks by default.
const Region = "us-east-1"

// installHint is what a developer without the binary should run.
const installHint = "build it with `make minio` (once; 3 to 9 minutes cold) and set " + EnvBinary + "=$PWD/.bin/minio, " +
	"or: go install github.com/minio/minio@" + Version

// startTimeout bounds one start, health check included, on a loaded machine.
const startTimeout = 60 * time.Second

// Server is a running MinIO.
type Server struct {
	Endpoint             string // http://127.0.0.1:PORT
	AccessKey, SecretKey string
	Client               *s3.Client // path-style, root credentials
}

// Binary returns the path of the minio binary: $LORASTUDIO_MINIO, else
// minio on PATH, else $GOPATH/bin/minio.
func Binary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w; %s", EnvBinary, p, err, installHint)
		}
		return p, nil
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	for _, dir := range filepath.SplitList(build.Default.GOPATH) {
		p := filepath.Join(dir, "bin", "minio")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no minio binary (not in %s, on PATH, or in $GOPATH/bin); %s", EnvBinary, installHint)
}

// TB is the part of testing.TB this package uses, so a benchmark program
// can start a server too (clustertest.Program).
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
	TempDir() string
	Failed() bool
}

// Start runs a MinIO server for the rest of tb and returns it once it
// answers S3 calls. A port taken between picking and binding it costs a
// retry, not a failure.
func Start(tb TB) *Server {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		tb.Fatalf("s3test: %v", err)
	}
	var errs []error
	for range 3 {
		s, err := start(tb, bin)
		if err == nil {
			return s
		}
		errs = append(errs, err)
	}
	tb.Fatalf("s3test: minio did not start: %v", errors.Join(errs...))
	return nil
}

func start(tb TB, bin string) (*Server, error) {
	ports, err := freeport.Ports(2)
	if err != nil {
		return nil, err
	}
	addr, console := fmt.Sprintf("127.0.0.1:%d", ports[0]), fmt.Sprintf("127.0.0.1:%d", ports[1])
	s := &Server{Endpoint: "http://" + addr, AccessKey: "test" + randHex(8), SecretKey: randHex(20)}
	cmd := exec.Command(bin, "server", "--quiet", "--address", addr, "--console-address", console, tb.TempDir())
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off",    // no console: nothing serves on the second port
		"MINIO_UPDATE=off",     // never look for a newer release
		"MINIO_CI_CD=1",        // allow a data directory on the root disk
		"MINIO_REGION="+Region, // the default, stated
	)
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := waitLive(ctx, s.Endpoint+"/minio/health/live", exited); err != nil {
		stop()
		return nil, fmt.Errorf("%w; minio said:\n%s", err, log)
	}
	tb.Cleanup(func() {
		stop()
		if tb.Failed() {
			tb.Logf("s3test: minio log:\n%s", log)
		}
	})
	s.Client = s3.New(s3.Options{
		BaseEndpoint: aws.String(s.Endpoint),
		Region:       Region,
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
	return s, nil
}

// NewBucket creates an empty bucket with a random name and returns it.
// MinIO answers live before its object layer is ready; until then
// CreateBucket fails and is retried.
func (s *Server) NewBucket(tb TB) string {
	tb.Helper()
	name := "test-" + randHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		_, err := s.Client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
		if err == nil {
			return name
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("s3test: create bucket %s: %v", name, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitLive polls url until it answers 200, the process exits or ctx ends.
func waitLive(ctx context.Context, url string, exited <-chan struct{}) error {
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return errors.New("minio exited before it was live")
		case <-ctx.Done():
			return fmt.Errorf("minio not live after %s", startTimeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// syncBuffer collects the server's output, written from exec's copiers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(b.buf.String())
}
