package training

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/worker"
)

// SelfHosted is a GPU worker speaking our protocol (the reference is
// `lorastudio worker`): POST {URL}/jobs signed with Secret, GET
// {URL}/base-models, POST {URL}/jobs/{dispatch_key}/cancel signed.
type SelfHosted struct {
	URL    string
	Secret []byte
	HTTP   *http.Client // nil: a client with a 30 s timeout
	Now    func() time.Time
}

func (w *SelfHosted) Name() string { return "self-hosted" }

// Samples implements Samples: the reference worker renders samples and
// saves checkpoints into the dispatch's slots.
func (w *SelfHosted) Samples() bool { return true }

func (w *SelfHosted) client() *http.Client {
	if w.HTTP != nil {
		return w.HTTP
	}
	return &http.Client{Timeout: 30 * time.Second}
}

func (w *SelfHosted) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// BaseModels implements Provider.
func (w *SelfHosted) BaseModels(ctx context.Context) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(w.URL, "/")+"/base-models", nil)
	if err != nil {
		return nil, err
	}
	resp, err := w.client().Do(req)
	if err != nil {
		return nil, &RetryableError{Err: err}
	}
	defer resp.Body.Close()
	if err := classify(resp, w.now()); err != nil {
		return nil, err
	}
	var out struct {
		BaseModels []string `json:"base_models"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&out); err != nil {
		return nil, fmt.Errorf("worker base models: %w", err)
	}
	return out.BaseModels, nil
}

// Dispatch implements Provider. The webhook id is the dispatch key, so the
// worker (which dedups on the key) sees a retry as the same message.
func (w *SelfHosted) Dispatch(ctx context.Context, d worker.Dispatch) (string, error) {
	body, err := json.Marshal(d)
	if err != nil {
		return "", err
	}
	return d.DispatchKey, w.signedPost(ctx, "/jobs", "msg_"+d.DispatchKey, body)
}

// Cancel implements Provider.
func (w *SelfHosted) Cancel(ctx context.Context, job studio.JobRef) error {
	if job.DispatchKey == "" {
		return nil
	}
	body, _ := json.Marshal(map[string]string{"job_id": job.ID, "dispatch_key": job.DispatchKey})
	err := w.signedPost(ctx, "/jobs/"+job.DispatchKey+"/cancel", "msg_cancel_"+job.DispatchKey, body)
	if r, ok := err.(*RejectedError); ok && r.Status == http.StatusNotFound {
		return nil
	}
	return err
}

// LogTail implements LogTail: the worker serves the log file, so a Range
// request fetches only its end.
func (w *SelfHosted) LogTail(ctx context.Context, job studio.JobRef, max int) (string, error) {
	if job.DispatchKey == "" {
		return "", nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(w.URL, "/")+"/jobs/"+job.DispatchKey+"/logs", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=-%d", max))
	resp, err := w.client().Do(req)
	if err != nil {
		return "", &RetryableError{Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return "", nil // not started here yet
	}
	if err := classify(resp, w.now()); err != nil {
		return "", err
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, int64(max)+1))
	if err != nil {
		return "", &RetryableError{Err: err}
	}
	// "bytes 1000-1999/5000": a range that does not start at 0 cut a line.
	var start, end, total int64
	_, perr := fmt.Sscanf(resp.Header.Get("Content-Range"), "bytes %d-%d/%d", &start, &end, &total)
	return tailLines(string(b), max, perr == nil && start > 0), nil
}

func (w *SelfHosted) signedPost(ctx context.Context, path, id string, body []byte) error {
	h := http.Header{}
	stdwebhook.SetHeaders(h, w.Secret, id, w.now(), body)
	resp, err := postJSON(ctx, w.client(), strings.TrimRight(w.URL, "/")+path, body, h)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return classify(resp, w.now())
}
