package clustertest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/promptforge/lorastudio/internal/stdwebhook"
)

// Client calls the API the way the desktop's sync client does: JSON over
// HTTP with a bearer token.
type Client struct {
	Base  string
	Token string
	HTTP  *http.Client // nil: http.DefaultClient
}

// Do sends one request and returns the status and body; out, if set, is
// decoded from a 2xx body. An error is a transport failure (no answer).
func (c *Client) Do(ctx context.Context, method, path string, hdr http.Header, body, out any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, r)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	if out != nil && resp.StatusCode/100 == 2 && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, raw, fmt.Errorf("%s %s: decode %.200s: %w", method, path, raw, err)
		}
	}
	return resp.StatusCode, raw, nil
}

// Retryable reports whether an answer is one a client retries: no answer
// at all, a 502 from the proxy (the replica died with the request), or a
// 503/429 asking to come back.
func Retryable(code int, err error) bool {
	return err != nil || code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusTooManyRequests
}

// Must sends a request, retrying what Retryable allows for up to 30 s,
// and fails unless the final answer is want. Only for requests that are
// safe to repeat.
func (c *Client) Must(ctx context.Context, method, path string, body any, want int, out any) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, raw, err := c.Do(ctx, method, path, nil, body, out)
		if Retryable(code, err) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			return err
		}
		if code != want {
			return fmt.Errorf("%s %s: got %d %s, want %d", method, path, code, raw, want)
		}
		return nil
	}
}

// Register creates an account, signs in and records the consent in force.
func Register(ctx context.Context, base, email string) (*Client, error) {
	c := &Client{Base: base}
	var tok struct{ Token string }
	if err := c.Must(ctx, "POST", "/api/auth/register", map[string]string{"email": email, "password": "a long passphrase"}, 201, &tok); err != nil {
		return nil, err
	}
	c.Token = tok.Token
	var text struct{ Version, SHA256 string }
	if err := c.Must(ctx, "GET", "/api/lora/consent", nil, 200, &text); err != nil {
		return nil, err
	}
	err := c.Must(ctx, "POST", "/api/lora/consents", map[string]any{"version": text.Version, "sha256": text.SHA256, "attest_self": true}, 201, nil)
	return c, err
}

// File is one photo to upload.
type File struct {
	Name string
	Data []byte
}

// PersonPhotos returns the dataset engine's 24 webcam frames of one
// person, which validate.
func PersonPhotos() ([]File, error) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "dataset", "testdata", "person")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []File
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, File{e.Name(), b})
	}
	return out, nil
}

// Upload is one presigned upload of datasets/init.
type Upload struct {
	Name    string            `json:"name"`
	Key     string            `json:"key"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
}

// Init declares files in a new dataset of model and returns its id and
// the uploads, in the order of files.
func (c *Client) Init(ctx context.Context, model string, files []File) (int, string, []Upload, error) {
	var decl []map[string]any
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		decl = append(decl, map[string]any{"name": f.Name, "size": len(f.Data), "content_type": "image/jpeg", "sha256": hex.EncodeToString(sum[:])})
	}
	var out struct {
		DatasetID string   `json:"dataset_id"`
		Uploads   []Upload `json:"uploads"`
	}
	code, raw, err := c.Do(ctx, "POST", "/api/lora/datasets/init", nil, map[string]any{"model_name": model, "files": decl}, &out)
	if err == nil && code != 200 {
		err = fmt.Errorf("init: %d %s", code, raw)
	}
	return code, out.DatasetID, out.Uploads, err
}

// Put sends one file to its presigned URL (storage, not a replica).
func Put(ctx context.Context, hc *http.Client, u Upload, data []byte) error {
	req, err := http.NewRequestWithContext(ctx, u.Method, u.URL, bytes.NewReader(data))
	if err != nil {
		return err
	}
	for k, v := range u.Headers {
		if !strings.EqualFold(k, "Content-Length") {
			req.Header.Set(k, v)
		}
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		raw, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s %s: %d %s", u.Method, u.URL, resp.StatusCode, raw)
	}
	return nil
}

// CommitBody is the body of datasets/commit for single-PUT uploads.
func CommitBody(datasetID string, ups []Upload) map[string]any {
	var files []map[string]any
	for _, u := range ups {
		files = append(files, map[string]any{"key": u.Key})
	}
	return map[string]any{"dataset_id": datasetID, "files": files}
}

// ValidatedDataset uploads files into a new dataset of model, commits and
// validates it on the server, and returns its id.
func (c *Client) ValidatedDataset(ctx context.Context, model string, files []File) (string, error) {
	_, id, ups, err := c.Init(ctx, model, files)
	if err != nil {
		return "", err
	}
	for i, u := range ups {
		if err := Put(ctx, nil, u, files[i].Data); err != nil {
			return "", err
		}
	}
	if err := c.Must(ctx, "POST", "/api/lora/datasets/commit", CommitBody(id, ups), 200, nil); err != nil {
		return "", err
	}
	var val struct{ Status string }
	if err := c.Must(ctx, "POST", "/api/lora/datasets/validate", map[string]any{"dataset_id": id, "min_resolution": 256}, 200, &val); err != nil {
		return "", err
	}
	if val.Status != "validated" {
		return "", fmt.Errorf("dataset %s is %s, want validated", id, val.Status)
	}
	return id, nil
}

// JobCreated is the answer of POST /api/lora/jobs.
type JobCreated struct {
	JobID     string `json:"job_id"`
	VersionID string `json:"version_id"`
	Status    string `json:"status"`
}

// CreateJob posts a training job with an Idempotency-Key, once.
func (c *Client) CreateJob(ctx context.Context, key, datasetID, baseModel string) (int, JobCreated, []byte, error) {
	var out JobCreated
	h := http.Header{"Idempotency-Key": {key}}
	code, raw, err := c.Do(ctx, "POST", "/api/lora/jobs", h, map[string]any{"dataset_id": datasetID, "base_model": baseModel}, &out)
	return code, out, raw, err
}

// Webhook is a signed webhook of the worker, ready to send (and resend).
type Webhook struct {
	ID     string
	Header http.Header
	Body   []byte
}

// RunningWebhook signs a "running" report of jobID at progress with id.
func (c *Cluster) RunningWebhook(id, jobID, dispatchKey string, progress float64) Webhook {
	body, _ := json.Marshal(map[string]any{"job_id": jobID, "dispatch_key": dispatchKey, "status": "running", "progress": progress})
	h := http.Header{}
	stdwebhook.SetHeaders(h, c.WebhookSecret, id, time.Now(), body)
	return Webhook{ID: id, Header: h, Body: body}
}

// WebhookResult is the webhook's answer.
type WebhookResult struct {
	Outcome string `json:"outcome"`
	JobID   string `json:"job_id"`
	Status  string `json:"status"`
}

// Send posts the webhook to base once.
func (w Webhook) Send(ctx context.Context, hc *http.Client, base string) (int, WebhookResult, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/lora/webhook", bytes.NewReader(w.Body))
	if err != nil {
		return 0, WebhookResult{}, err
	}
	for k, v := range w.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, WebhookResult{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, WebhookResult{}, err
	}
	var res WebhookResult
	if resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(raw, &res); err != nil {
			return resp.StatusCode, res, fmt.Errorf("webhook answer %.200s: %w", raw, err)
		}
	}
	return resp.StatusCode, res, nil
}
