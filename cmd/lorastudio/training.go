package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
)

const trainingEnvHelp = `  LORASTUDIO_PROVIDER        self-hosted (default when LORASTUDIO_WORKER_URL is set), replicate, or none
  LORASTUDIO_WORKER_URL      the self-hosted GPU worker, e.g. http://gpu-box:8090
  LORASTUDIO_DISPATCH_SECRET whsec_… signing dispatches to the worker and deriving dispatch keys
  LORASTUDIO_WEBHOOK_SECRETS space-separated whsec_… secrets webhooks may be signed with (worker, Replicate; rotation)
  REPLICATE_API_TOKEN, LORASTUDIO_REPLICATE_DESTINATION (owner/model), LORASTUDIO_REPLICATE_VERSION,
  LORASTUDIO_REPLICATE_URL   Replicate (default https://api.replicate.com, the trainer's latest version)
  LORASTUDIO_DISPATCH_BACKOFF first retry delay of a failed dispatch, doubling with jitter (default 2s)
  LORASTUDIO_QUEUE_POLL      how often River polls for dispatches (default 1s)
`

// setupTraining reads the training settings into cfg.Training and returns
// the River client's start and stop (nil, nil when training is off).
func setupTraining(c *cli, cfg *api.Config, store *pgstore.Store, public string, log *slog.Logger) (start, stop func(context.Context) error, err error) {
	if s := c.getenv("LORASTUDIO_WEBHOOK_SECRETS"); s != "" {
		secrets, err := stdwebhook.ParseSecrets(s)
		if err != nil {
			return nil, nil, fmt.Errorf("LORASTUDIO_WEBHOOK_SECRETS: %w", err)
		}
		cfg.Training.Ingester = &training.Ingester{Store: store, Blobs: cfg.Blobs, Verifier: stdwebhook.Verifier{Secrets: secrets}, Log: log}
	}
	kind := providerKind(c)
	if kind == "" {
		return nil, nil, nil
	}
	dsec, err := stdwebhook.ParseSecret(c.getenv("LORASTUDIO_DISPATCH_SECRET"))
	if err != nil {
		return nil, nil, fmt.Errorf("LORASTUDIO_DISPATCH_SECRET: %w", err)
	}
	if cfg.Training.Ingester == nil {
		return nil, nil, fmt.Errorf("LORASTUDIO_WEBHOOK_SECRETS is required with a GPU provider: its webhooks must be verified")
	}
	var p training.Provider
	switch kind {
	case "self-hosted":
		if c.getenv("LORASTUDIO_WORKER_URL") == "" {
			return nil, nil, fmt.Errorf("LORASTUDIO_WORKER_URL is required with the self-hosted provider")
		}
		p = &training.SelfHosted{URL: c.getenv("LORASTUDIO_WORKER_URL"), Secret: dsec}
	case "replicate":
		r := &training.Replicate{BaseURL: c.getenv("LORASTUDIO_REPLICATE_URL"), Token: c.getenv("REPLICATE_API_TOKEN"),
			Version: c.getenv("LORASTUDIO_REPLICATE_VERSION"), Destination: c.getenv("LORASTUDIO_REPLICATE_DESTINATION")}
		if r.Token == "" || r.Destination == "" {
			return nil, nil, fmt.Errorf("REPLICATE_API_TOKEN and LORASTUDIO_REPLICATE_DESTINATION are required with the replicate provider")
		}
		p = r
		cfg.Training.Ingester.Replicate = r
	default:
		return nil, nil, fmt.Errorf("LORASTUDIO_PROVIDER %q: want self-hosted, replicate or none", kind)
	}
	backoff, poll := 2*time.Second, time.Second
	if v := c.getenv("LORASTUDIO_DISPATCH_BACKOFF"); v != "" {
		if backoff, err = time.ParseDuration(v); err != nil || backoff <= 0 {
			return nil, nil, fmt.Errorf("LORASTUDIO_DISPATCH_BACKOFF %q: want a positive duration", v)
		}
	}
	if v := c.getenv("LORASTUDIO_QUEUE_POLL"); v != "" {
		if poll, err = time.ParseDuration(v); err != nil || poll < 10*time.Millisecond {
			return nil, nil, fmt.Errorf("LORASTUDIO_QUEUE_POLL %q: want a duration of at least 10ms", v)
		}
	}
	d := &training.Dispatcher{Store: store, Blobs: cfg.Blobs, Provider: p, WebhookURL: public + "/api/lora/webhook",
		Backoff: training.Backoff{Base: backoff}, Log: log}
	rc, err := training.NewClient(store.Pool(), d, training.ClientConfig{PollInterval: poll, Log: log})
	if err != nil {
		return nil, nil, err
	}
	store.Queue = training.Queue{Client: rc} // CreateJob enqueues each new job's dispatch
	cfg.Training.Provider, cfg.Training.DispatchSecret = p, dsec
	return rc.Start, rc.Stop, nil
}
