package training

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/worker"
)

// Provider trains LoRAs somewhere else: a GPU worker we do not run, or a
// hosted trainer.
//
// Dispatch starts training d and returns the provider's id for it. It must
// be safe to call again with the same d.DispatchKey (a retry after a lost
// answer): the provider trains it once. Errors are *RetryableError (429,
// 5xx, the network: try again, after RetryAfter when the provider said) or
// anything else, which fails the job with its message.
type Provider interface {
	Name() string
	// BaseModels lists the base model ids the provider trains.
	BaseModels(ctx context.Context) ([]string, error)
	Dispatch(ctx context.Context, d worker.Dispatch) (providerJobID string, err error)
	// Cancel asks the provider to stop a job; an unknown or finished job is
	// not an error.
	Cancel(ctx context.Context, job studio.JobRef) error
}

// LogTail is implemented by providers that can show a job's training log:
// it returns at most the last max bytes, cut to whole lines, "" when there
// is none yet.
type LogTail interface {
	LogTail(ctx context.Context, job studio.JobRef, max int) (string, error)
}

// tailLines keeps at most the last max bytes of s, from the start of a
// line; cut says s already lacks the log's beginning.
func tailLines(s string, max int, cut bool) string {
	if len(s) > max {
		s, cut = s[len(s)-max:], true
	}
	if i := strings.IndexByte(s, '\n'); cut && i >= 0 {
		s = s[i+1:]
	}
	return s
}

// NeedsZip is implemented by providers that take the photos as one zip
// (Dispatch.ImagesZip) rather than one URL each.
type NeedsZip interface{ NeedsZip() bool }

// RetryableError is a failure worth retrying.
type RetryableError struct {
	Status     int           // 0 for a network error
	RetryAfter time.Duration // 0 when the provider did not say
	Err        error
}

func (e *RetryableError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("provider answered %d: %v", e.Status, e.Err)
	}
	return fmt.Sprintf("provider unreachable: %v", e.Err)
}

func (e *RetryableError) Unwrap() error { return e.Err }

// RejectedError is a refusal (4xx other than 429) with the provider's message.
type RejectedError struct {
	Status  int
	Message string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("provider refused the job (%d): %s", e.Status, e.Message)
}

// classify turns a response into nil, *RetryableError or *RejectedError.
func classify(resp *http.Response, now time.Time) error {
	if resp.StatusCode/100 == 2 {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	msg := providerMessage(body)
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return &RetryableError{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), now), Err: errors.New(msg)}
	}
	return &RejectedError{Status: resp.StatusCode, Message: msg}
}

// providerMessage extracts a human message from an error body: ours
// ({"error":{"message"}}), Replicate's ({"detail"}), or the text itself.
func providerMessage(body []byte) string {
	var e struct {
		Error  json.RawMessage `json:"error"`
		Detail string          `json:"detail"`
	}
	if json.Unmarshal(body, &e) == nil {
		var inner struct{ Message string }
		if json.Unmarshal(e.Error, &inner) == nil && inner.Message != "" {
			return inner.Message
		}
		var s string
		if json.Unmarshal(e.Error, &s) == nil && s != "" {
			return s
		}
		if e.Detail != "" {
			return e.Detail
		}
	}
	if s := strings.TrimSpace(string(body)); s != "" {
		return s
	}
	return "no message"
}

// retryAfter parses Retry-After in seconds or as an HTTP date; bounded to
// an hour so a hostile value cannot park a job forever.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), time.Hour)
}

func postJSON(ctx context.Context, c *http.Client, url string, body []byte, hdr http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, &RetryableError{Err: err}
	}
	return resp, nil
}
