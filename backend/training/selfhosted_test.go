package training_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/worker"
)

// The self-hosted provider signs its dispatch, and classifies answers:
// 2xx ok, 429 and 5xx retryable with Retry-After, other 4xx final with
// the worker's message.
func TestSelfHostedDispatch(t *testing.T) {
	secret, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	tests := []struct {
		name       string
		status     int
		retryAfter string
		body       string
		retry      time.Duration // -1: not retryable
		message    string
	}{
		{"accepted", 202, "", `{}`, 0, ""},
		{"busy", 429, "7", `{"error":{"message":"queue full"}}`, 7 * time.Second, ""},
		{"down", 503, "", `oops`, 0, ""},
		{"bad gateway with a date", 502, time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat), ``, 2 * time.Second, ""},
		{"refused", 422, "", `{"error":{"code":"invalid","message":"this worker trains flux-dev, not \"sdxl\""}}`, -1, `this worker trains flux-dev, not "sdxl"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if _, err := (stdwebhook.Verifier{Secrets: [][]byte{secret}}).Verify(r.Header, body); err != nil || r.URL.Path != "/jobs" {
					w.WriteHeader(401)
					return
				}
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			p := &training.SelfHosted{URL: srv.URL, Secret: secret}
			id, err := p.Dispatch(context.Background(), worker.Dispatch{JobID: "j", DispatchKey: "dk_x"})
			var re *training.RetryableError
			var rej *training.RejectedError
			switch {
			case tt.status/100 == 2:
				if err != nil || id != "dk_x" {
					t.Fatalf("got %q %v, want the dispatch key as the provider's id", id, err)
				}
			case tt.retry >= 0:
				if !errors.As(err, &re) || re.Status != tt.status || re.RetryAfter < tt.retry || re.RetryAfter > tt.retry+time.Second {
					t.Fatalf("got %v, want retryable %d after ~%v", err, tt.status, tt.retry)
				}
			default:
				if !errors.As(err, &rej) || rej.Message != tt.message {
					t.Fatalf("got %v, want a refusal with %q", err, tt.message)
				}
			}
		})
	}
}

// The log tail comes from the reference worker with a Range request: at
// most max bytes, whole lines, ending with the newest; nothing yet for a
// job the worker has not started.
func TestSelfHostedLogTail(t *testing.T) {
	secret, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	dir := t.TempDir()
	w, err := worker.New(worker.Config{DispatchSecrets: [][]byte{secret}, WebhookSecret: secret, Trainer: []string{"true"}, WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.Handler())
	defer srv.Close()
	key := "dk_0123456789abcdef"
	var log strings.Builder
	for i := 1; i <= 2000; i++ {
		fmt.Fprintf(&log, "lora: step %d/2000 loss 0.%04d\n", i, i)
	}
	os.MkdirAll(filepath.Join(dir, key), 0o700)
	os.WriteFile(filepath.Join(dir, key, "train.log"), []byte(log.String()), 0o600)
	p := &training.SelfHosted{URL: srv.URL, Secret: secret}
	tests := []struct {
		name, key string
		max       int
		wantLast  string
		wantEmpty bool
	}{
		{"tail of a long log", key, 1024, "lora: step 2000/2000 loss 0.2000\n", false},
		{"a max larger than the log", key, 1 << 20, "lora: step 2000/2000 loss 0.2000\n", false},
		{"not started yet", "dk_notstartedyet", 1024, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.LogTail(context.Background(), pgstore.JobRef{DispatchKey: tt.key}, tt.max)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantEmpty {
				if got != "" {
					t.Errorf("got %q, want nothing", got)
				}
				return
			}
			if len(got) > tt.max || !strings.HasPrefix(got, "lora: step ") || !strings.HasSuffix(got, tt.wantLast) {
				t.Errorf("got %d bytes starting %q; want at most %d bytes of whole lines ending with the last", len(got), got[:min(40, len(got))], tt.max)
			}
			if tt.max > len(log.String()) && got != log.String() {
				t.Errorf("got %d bytes, want the whole %d-byte log", len(got), log.Len())
			}
		})
	}
}
