package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/promptforge/lorastudio/internal/backoff"
)

// putFile PUTs the file at path to the presigned u and returns the sha256
// (hex) of the bytes sent, hashed while they stream, and their count. It
// retries network and server errors with the webhook's backoff until
// WebhookGiveUp: storage (or the backend serving the local store) may be
// down for a while. what names the file in errors.
func (w *Worker) putFile(ctx context.Context, u Upload, path, what string) (string, int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", 0, err
	}
	size := fi.Size()
	if u.MaxSize > 0 && size > u.MaxSize {
		return "", 0, fmt.Errorf("%s has %d bytes, over the %d allowed", what, size, u.MaxSize)
	}
	var last error
	deadline := w.cfg.Now().Add(w.cfg.WebhookGiveUp)
	retry := backoff.Policy{Base: w.cfg.WebhookBackoff, Max: maxWebhookBackoff}
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if w.cfg.Now().After(deadline) {
				return "", 0, last
			}
			if err := backoff.Sleep(ctx, retry.Delay(attempt)); err != nil {
				return "", 0, err
			}
		}
		sum, err := w.putOnce(ctx, u, path, size)
		if err == nil {
			return sum, size, nil
		}
		last = fmt.Errorf("upload %s: %w", what, err)
		if re, ok := err.(refusedError); ok && re.status < 500 {
			return "", 0, last
		}
	}
}

// refusedError is an upload the storage answered with a non-2xx status.
type refusedError struct {
	status int
	msg    string
}

func (e refusedError) Error() string { return e.msg }

func (w *Worker) putOnce(ctx context.Context, u Upload, path string, size int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	req, err := http.NewRequestWithContext(ctx, u.Method, u.URL, io.TeeReader(io.LimitReader(f, size), h))
	if err != nil {
		return "", err
	}
	for k, v := range u.Headers {
		if !strings.EqualFold(k, "Content-Length") {
			req.Header.Set(k, v)
		}
	}
	req.ContentLength = size // presigned URLs sign it; net/http would otherwise send chunks
	resp, err := w.cfg.HTTP.Do(req)
	if err != nil {
		return "", err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return "", refusedError{resp.StatusCode, fmt.Sprintf("%s %s", resp.Status, strings.TrimSpace(string(body)))}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
