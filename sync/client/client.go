// Package client is the desktop's typed client of the backend's HTTP API:
// accounts, consent, dataset uploads, jobs and activation, with every error
// answer decoded into a *studio.Error carrying the server's code.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

// Client talks to one backend. It is safe for concurrent use.
type Client struct {
	base string
	http *http.Client

	mu       sync.RWMutex
	token    string
	onUnauth func()
}

// OnUnauthorized sets fn to call when the server refuses the token sent
// (a 401 to a request that carried one): it expired or was revoked.
func (c *Client) OnUnauthorized(fn func()) {
	c.mu.Lock()
	c.onUnauth = fn
	c.mu.Unlock()
}

// New returns a client of the backend at baseURL (e.g.
// "https://api.example.com"). hc is the HTTP client to use; nil means one
// with a 30-second timeout. Returns EInvalid for a URL that is not http(s).
func New(baseURL string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, studio.Errorf(studio.EInvalid, "invalid server address %q: want http(s)://host[:port]", baseURL)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{base: u.String(), http: hc}, nil
}

// BaseURL returns the server's address.
func (c *Client) BaseURL() string { return c.base }

// SetToken sets the bearer token sent on every request ("" signs out).
func (c *Client) SetToken(token string) {
	c.mu.Lock()
	c.token = token
	c.mu.Unlock()
}

// Token returns the bearer token in use, "" when signed out.
func (c *Client) Token() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.token
}

// StatusError is the cause of every error the server answered: its HTTP
// status and, for 429 and 503, how long it asked to wait.
type StatusError struct {
	Status     int
	RetryAfter time.Duration
}

func (e *StatusError) Error() string { return "http status " + strconv.Itoa(e.Status) }

// Status returns the HTTP status of an error the server answered, or 0 for
// one it did not (network failure, cancelled context).
func Status(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

// RetryAfter returns the wait the server asked for with the error, or 0.
func RetryAfter(err error) time.Duration {
	var se *StatusError
	if errors.As(err, &se) {
		return se.RetryAfter
	}
	return 0
}

// Temporary reports whether a request that failed with err may succeed if
// sent again unchanged: no answer at all, 408, 429 and 5xx. Every other
// 4xx is the server's final word.
func Temporary(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	s := Status(err)
	return s == 0 || s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500
}

// maxResponse bounds what is read of any answer.
const maxResponse = 8 << 20

// Do sends one JSON request: body (if not nil) is encoded as JSON, hdr's
// headers are added, and a 2xx answer is decoded into out (if not nil).
// An error answer becomes a *studio.Error with the server's code and
// message, whose cause is a *StatusError; no answer at all becomes
// EUnavailable (or the context's error once it is done).
func (c *Client) Do(ctx context.Context, method, path string, body any, hdr http.Header, out any) error {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return fmt.Errorf("client: encode %s %s: %w", method, path, err)
		}
	}
	return c.DoRaw(ctx, method, path, raw, hdr, out)
}

// DoRaw is Do with the JSON body already encoded (nil for none).
func (c *Client) DoRaw(ctx context.Context, method, path string, body []byte, hdr http.Header, out any) error {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	for k, vs := range hdr {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	tok := c.Token()
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctxError(ctx)
		}
		return studio.Wrap(err, studio.EUnavailable, "cannot reach the server; check your connection")
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		if ctx.Err() != nil {
			return ctxError(ctx)
		}
		return studio.Wrap(err, studio.EUnavailable, "the connection to the server broke; try again")
	}
	if resp.StatusCode >= 300 {
		if resp.StatusCode == http.StatusUnauthorized && tok != "" {
			c.mu.RLock()
			fn := c.onUnauth
			c.mu.RUnlock()
			if fn != nil {
				fn()
			}
		}
		return decodeError(resp, b)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("client: decode %s %s: %w", method, path, err)
		}
	}
	return nil
}

// ctxError is the error of a request whose context ended: a deadline is
// a server that did not answer in time (EUnavailable, worth a retry); a
// cancellation is the caller's own, returned as is.
func ctxError(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return studio.Wrap(ctx.Err(), studio.EUnavailable, "the server did not answer in time; try again")
	}
	return ctx.Err()
}

// decodeError turns an error answer into a *studio.Error: the server's
// {"error":{"code","message"}} when it sent one, otherwise a code from the
// status (a proxy's HTML page, say).
func decodeError(resp *http.Response, b []byte) error {
	se := &StatusError{Status: resp.StatusCode}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		if s, err := strconv.Atoi(ra); err == nil && s >= 0 {
			se.RetryAfter = time.Duration(s) * time.Second
		}
	}
	var e wire.ErrorBody
	if json.Unmarshal(b, &e) == nil && e.Error.Code != "" {
		return &studio.Error{Code: e.Error.Code, Message: e.Error.Message, Err: se}
	}
	return &studio.Error{Code: studio.CodeOfStatus(resp.StatusCode), Message: fmt.Sprintf("the server answered %s", resp.Status), Err: se}
}
