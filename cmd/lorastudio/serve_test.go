package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/internal/pgtest"
)

// syncBuffer lets the test read what the server logs while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testCLI(env map[string]string) (*cli, *syncBuffer, *syncBuffer) {
	var out, errb syncBuffer
	return &cli{stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}, &out, &errb
}

// TestMigrateThenServe is the foundation's acceptance test: migrate a fresh
// database, serve on a free port, and get a JSON 200 from /healthz.
func TestMigrateThenServe(t *testing.T) {
	env := map[string]string{"DATABASE_URL": pgtest.NewDatabase(t), "LORASTUDIO_BLOB_DIR": t.TempDir(), "LORASTUDIO_DECODE_MEMORY": "104857600"}
	prevLimit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prevLimit) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	c, out, errb := testCLI(env)
	if code := run(ctx, c, []string{"migrate"}); code != exitOK {
		t.Fatalf("migrate: exit %d, stderr %s", code, errb)
	}
	if !strings.Contains(out.String(), "00001_init.sql") {
		t.Errorf("migrate output does not name the applied migration: %q", out)
	}
	c, out, _ = testCLI(env)
	if code := run(ctx, c, []string{"migrate"}); code != exitOK || !strings.Contains(out.String(), "up to date") {
		t.Errorf("second migrate: exit %d, output %q; want exit 0 and up to date", code, out)
	}

	c, _, errb = testCLI(env)
	done := make(chan int, 1)
	go func() { done <- run(ctx, c, []string{"serve", "--addr", "127.0.0.1:0"}) }()
	addr := waitForListen(t, errb, done)
	// The GC's soft limit sits just above the decode budget.
	if got, want := debug.SetMemoryLimit(-1), int64(100<<20+128<<20); got != want {
		t.Errorf("memory limit: got %d, want %d (LORASTUDIO_DECODE_MEMORY + 128 MiB)", got, want)
	}

	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: got %d, want 200 (%s)", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("healthz content type: got %q", ct)
	}
	var h struct{ Status, Database string }
	if err := json.Unmarshal(body, &h); err != nil || h.Status != "ok" || h.Database != "ok" {
		t.Errorf("healthz body: got %s (%v), want status and database ok", body, err)
	}

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("serve exit: got %d, want 0 after a clean shutdown", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after its context was canceled")
	}
	// Every log line is JSON, and the request line carries a request id.
	var sawRequest bool
	sc := bufio.NewScanner(strings.NewReader(errb.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Errorf("log line is not JSON: %q", sc.Text())
			continue
		}
		if line["msg"] == "request" {
			sawRequest = true
			if id, _ := line["request_id"].(string); id == "" {
				t.Errorf("request log line without request_id: %q", sc.Text())
			}
		}
	}
	if !sawRequest {
		t.Error("no request was logged")
	}
}

func TestServeUnreachableDatabase(t *testing.T) {
	// Port 1 on loopback refuses at once: healthz must say 503, not hang.
	env := map[string]string{"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", "LORASTUDIO_BLOB_DIR": t.TempDir()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, _, errb := testCLI(env)
	done := make(chan int, 1)
	go func() { done <- run(ctx, c, []string{"serve", "--addr", "127.0.0.1:0"}) }()
	addr := waitForListen(t, errb, done)
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"database":"unreachable"`) {
		t.Errorf("healthz: got %d %s, want 503 with database unreachable", resp.StatusCode, body)
	}
	cancel()
	<-done
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, exitUsage, "usage: lorastudio"},
		{[]string{"--help"}, exitOK, "commands:"},
		{[]string{"bogus"}, exitUsage, `unknown command "bogus"`},
		{[]string{"serve", "--nope"}, exitUsage, "flag provided but not defined"},
		{[]string{"serve", "--help"}, exitOK, "DATABASE_URL"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			c, _, errb := testCLI(nil)
			if got := run(context.Background(), c, tt.args); got != tt.code {
				t.Errorf("exit: got %d, want %d", got, tt.code)
			}
			if !strings.Contains(errb.String(), tt.want) {
				t.Errorf("stderr %q does not contain %q", errb, tt.want)
			}
		})
	}
}

func waitForListen(t *testing.T, logs *syncBuffer, done <-chan int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		sc := bufio.NewScanner(strings.NewReader(logs.String()))
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				return line.Addr
			}
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d before listening: %s", code, logs)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not log its address: %s", logs)
	return ""
}
