package api_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
)

func newWebhookEnv(t *testing.T, timeout time.Duration, reads int) *env {
	secret, _ := stdwebhook.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	return newEnv(t, func(c *api.Config) {
		c.Training.Ingester = &training.Ingester{Verifier: stdwebhook.Verifier{Secrets: [][]byte{secret}}}
		c.Training.WebhookReadTimeout, c.Training.WebhookReads = timeout, reads
	})
}

// slowWebhook opens a real TCP connection, declares a 1000-byte webhook
// body and then trickles it a byte every 100 ms until stop is closed.
func slowWebhook(t *testing.T, e *env, stop chan struct{}) net.Conn {
	t.Helper()
	return slowWebhookAt(t, e, stop, "/api/lora/webhook")
}

// slowWebhookAt is slowWebhook to path (with its query).
func slowWebhookAt(t *testing.T, e *env, stop chan struct{}, path string) net.Conn {
	t.Helper()
	u, _ := url.Parse(e.srv.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n", path, u.Host)
	go func() {
		for range 1000 {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := conn.Write([]byte(" ")); err != nil {
				return
			}
		}
	}()
	return conn
}

// A webhook body trickled a byte every 100 ms is cut at the read deadline.
func TestWebhookSlowBodyIsCut(t *testing.T) {
	e := newWebhookEnv(t, 500*time.Millisecond, 0)
	stop := make(chan struct{})
	defer close(stop)
	start := time.Now()
	conn := slowWebhook(t, e, stop)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a slow webhook body within 5 s: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestTimeout || errorCode(t, string(body)) != "webhook_too_slow" {
		t.Errorf("got %d %s, want 408 webhook_too_slow", resp.StatusCode, body)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cut after %s, want about the 500 ms deadline", d)
	}
}

// With every read slot held by slow senders, another webhook is refused
// at once with 503 and Retry-After; once the slots free up, it is read.
func TestWebhookConcurrentBodiesAreCapped(t *testing.T) {
	e := newWebhookEnv(t, 3*time.Second, 2)
	stop := make(chan struct{})
	for range 2 {
		slowWebhook(t, e, stop)
	}
	hdr := []string{"webhook-id", "msg_1", "webhook-timestamp", "1614265330", "webhook-signature", "v1,AAAA"}
	var code int
	var h http.Header
	var body string
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if code, h, body = e.req("POST", "/api/lora/webhook", "", `{"type":"x"}`, hdr...); code == 503 {
			break
		}
	}
	if code != 503 || errorCode(t, body) != "unavailable" || h.Get("Retry-After") == "" {
		t.Fatalf("with 2 slow bodies holding the 2 slots: got %d %s (Retry-After %q), want 503 unavailable with Retry-After", code, body, h.Get("Retry-After"))
	}
	close(stop)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if code, _, body = e.req("POST", "/api/lora/webhook", "", `{"type":"x"}`, hdr...); code != 503 {
			break
		}
	}
	if code != 401 || !strings.Contains(body, "webhook_unauthenticated") {
		t.Errorf("after the slow senders left: got %d %s, want 401 webhook_unauthenticated (read and verified)", code, body)
	}
}
