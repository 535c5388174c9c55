package training

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/worker"
)

// ReplicateTrainer is the hosted Flux LoRA trainer we use.
const ReplicateTrainer = "ostris/flux-dev-lora-trainer"

// Replicate trains on Replicate's hosted GPUs through its HTTP API:
// POST /v1/models/{owner}/{name}/versions/{version}/trainings with the photos
// as one zip URL, GET /v1/models/{owner}/{name} for the latest version,
// POST /v1/trainings/{id}/cancel. Replicate signs its webhooks the Standard
// Webhooks way with the account's webhook secret (GET /v1/webhooks/default/secret).
//
// Replicate offers no idempotency key for trainings. A dispatch retried
// after a definite 429 or 5xx never created one, but one whose answer was
// lost (a timeout) might have: each dispatch first looks for a training
// already started on the same images zip, whose key names the job, among
// the newest page of trainings (GET /v1/trainings), and adopts it.
type Replicate struct {
	BaseURL     string // default https://api.replicate.com
	Token       string
	Version     string // trainer version id; empty: the model's latest
	Destination string // "owner/model" that receives the trained version
	HTTP        *http.Client
	Now         func() time.Time
}

func (r *Replicate) Name() string   { return "replicate" }
func (r *Replicate) NeedsZip() bool { return true }

func (r *Replicate) base() string {
	if r.BaseURL == "" {
		return "https://api.replicate.com"
	}
	return strings.TrimRight(r.BaseURL, "/")
}

func (r *Replicate) client() *http.Client {
	if r.HTTP != nil {
		return r.HTTP
	}
	return &http.Client{Timeout: 30 * time.Second}
}

func (r *Replicate) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Replicate) do(ctx context.Context, method, path string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(string(body))
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base()+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.client().Do(req)
	if err != nil {
		return &RetryableError{Err: err}
	}
	defer resp.Body.Close()
	if err := classify(resp, r.now()); err != nil {
		return err
	}
	if out != nil {
		if err := json.NewDecoder(io.LimitReader(resp.Body, MaxReplicateTraining)).Decode(out); err != nil {
			return fmt.Errorf("replicate: decode %s: %w", path, err)
		}
	}
	return nil
}

// BaseModels implements Provider: the trainer trains Flux dev, and only if
// the model answers (the token works, the trainer exists).
func (r *Replicate) BaseModels(ctx context.Context) ([]string, error) {
	if _, err := r.version(ctx); err != nil {
		return nil, err
	}
	return []string{studio.FluxDev}, nil
}

func (r *Replicate) version(ctx context.Context) (string, error) {
	var m struct {
		LatestVersion struct {
			ID string `json:"id"`
		} `json:"latest_version"`
	}
	if err := r.do(ctx, http.MethodGet, "/v1/models/"+ReplicateTrainer, nil, &m); err != nil {
		return "", err
	}
	if r.Version != "" {
		return r.Version, nil
	}
	if m.LatestVersion.ID == "" {
		return "", fmt.Errorf("replicate: %s has no version", ReplicateTrainer)
	}
	return m.LatestVersion.ID, nil
}

// Dispatch implements Provider.
func (r *Replicate) Dispatch(ctx context.Context, d worker.Dispatch) (string, error) {
	if d.ImagesZip == "" {
		return "", fmt.Errorf("replicate: the dispatch has no images zip")
	}
	version := r.Version
	if version == "" {
		var err error
		if version, err = r.version(ctx); err != nil {
			return "", err
		}
	}
	if id, err := r.existing(ctx, d.ImagesZip); err != nil || id != "" {
		return id, err
	}
	hook, err := url.Parse(d.WebhookURL)
	if err != nil {
		return "", err
	}
	q := hook.Query()
	q.Set("provider", "replicate")
	q.Set("job", d.JobID)
	hook.RawQuery = q.Encode()
	body, _ := json.Marshal(map[string]any{
		"destination": r.Destination,
		"input": map[string]any{
			"input_images":  d.ImagesZip,
			"trigger_word":  d.Params.TriggerWord,
			"steps":         d.Params.Steps,
			"lora_rank":     d.Params.Rank,
			"learning_rate": d.Params.LearningRate,
			"resolution":    strconv.Itoa(d.Params.Resolution),
			"autocaption":   false, // the zip carries our captions
		},
		"webhook":               hook.String(),
		"webhook_events_filter": []string{"start", "logs", "completed"},
	})
	var out struct {
		ID string `json:"id"`
	}
	if err := r.do(ctx, http.MethodPost, "/v1/models/"+ReplicateTrainer+"/versions/"+version+"/trainings", body, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", fmt.Errorf("replicate: the training has no id")
	}
	return out.ID, nil
}

// existing returns the id of a training already started on zipURL, ""
// when there is none. URLs are compared without their query, which holds
// the signature and expiry that change on every attempt.
func (r *Replicate) existing(ctx context.Context, zipURL string) (string, error) {
	var page struct {
		Results []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			Input  struct {
				Images string `json:"input_images"`
			} `json:"input"`
		} `json:"results"`
	}
	if err := r.do(ctx, http.MethodGet, "/v1/trainings", nil, &page); err != nil {
		return "", err
	}
	want := withoutQuery(zipURL)
	for _, t := range page.Results {
		if t.Status != "canceled" && t.Input.Images != "" && withoutQuery(t.Input.Images) == want {
			return t.ID, nil
		}
	}
	return "", nil
}

func withoutQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}

// MaxReplicateTraining bounds a training object, as a webhook body or the
// answer of GET /v1/trainings/{id}. Each carries the whole log so far (a
// 1000-step run logs a few hundred KiB, a long one with verbose bars some
// MiB), and a completed webhook refused for its size would never finish
// the job: 16 MiB leaves room.
const MaxReplicateTraining = 16 << 20

// Training returns the training object (GET /v1/trainings/{id}).
func (r *Replicate) Training(ctx context.Context, id string) (ReplicateTraining, error) {
	var t ReplicateTraining
	err := r.do(ctx, http.MethodGet, "/v1/trainings/"+url.PathEscape(id), nil, &t)
	return t, err
}

// LogTail implements LogTail from the training object's logs.
func (r *Replicate) LogTail(ctx context.Context, job studio.JobRef, max int) (string, error) {
	if job.ProviderJobID == "" {
		return "", nil
	}
	t, err := r.Training(ctx, job.ProviderJobID)
	if err != nil {
		return "", err
	}
	return tailLines(t.Logs, max, false), nil
}

// Cancel implements Provider.
func (r *Replicate) Cancel(ctx context.Context, job studio.JobRef) error {
	if job.ProviderJobID == "" {
		return nil
	}
	err := r.do(ctx, http.MethodPost, "/v1/trainings/"+url.PathEscape(job.ProviderJobID)+"/cancel", []byte("{}"), nil)
	if re, ok := err.(*RejectedError); ok && re.Status == http.StatusNotFound {
		return nil
	}
	return err
}

// ReplicateTraining is the training object Replicate posts to the webhook.
type ReplicateTraining struct {
	ID     string `json:"id"`
	Status string `json:"status"` // starting, processing, succeeded, failed, canceled
	Logs   string `json:"logs"`
	Error  any    `json:"error"`
	Output *struct {
		Version string `json:"version"`
		Weights string `json:"weights"`
	} `json:"output"`
	URLs map[string]string `json:"urls"`
	// Input is what the training was started with; its steps tell the
	// training bar from the trainer's other bars.
	Input struct {
		Steps int `json:"steps"`
	} `json:"input"`
}

// replicatePage is a training's page on replicate.com, readable by the
// account's users without an API token (urls.get needs one).
const replicatePage = "https://replicate.com/p/"

var stepsRe = regexp.MustCompile(`\b(\d+)/(\d+)\b`)

// progress is the fraction of the training bar's last counter; without the
// steps input (an older object) the last counter of any bar.
func (t ReplicateTraining) progress() float64 {
	m := stepsRe.FindAllStringSubmatch(t.Logs, -1)
	for i := len(m) - 1; i >= 0; i-- {
		n, _ := strconv.Atoi(m[i][1])
		total, _ := strconv.Atoi(m[i][2])
		if total > 0 && n <= total && (t.Input.Steps == 0 || total == t.Input.Steps) {
			return float64(n) / float64(total)
		}
	}
	return 0
}

// Event maps a training to our job states; progress comes from the last
// "n/steps" counter of the training bar in the logs: ai-toolkit's other bars
// (latent caching "20/20", sampling) end at their own totals, which would
// pin the job at 100% for the whole run.
func (t ReplicateTraining) Event() (status string, progress float64, logsURL, errMsg string) {
	switch t.Status {
	case "starting", "processing":
		status = studio.JobRunning
	case "succeeded":
		status, progress = studio.JobSucceeded, 1
	case "failed":
		status = studio.JobFailed
	case "canceled":
		status = studio.JobCanceled
	}
	if status == studio.JobRunning {
		progress = t.progress()
	}
	logsURL = t.URLs["web"]
	if logsURL == "" && t.ID != "" {
		logsURL = replicatePage + url.PathEscape(t.ID)
	}
	if t.Error != nil {
		errMsg = fmt.Sprint(t.Error)
	}
	return status, progress, logsURL, errMsg
}
