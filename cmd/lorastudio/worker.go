package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/telemetry"
	"github.com/promptforge/lorastudio/internal/worker"
)

const workerEnvHelp = `
environment:
  LORASTUDIO_WORKER_TRAINER_FLUX   the ai-toolkit command (Flux, and FLUX.2, Qwen-Image, Z-Image, Wan 2.2 when
                                   listed below), split on spaces; "{config}" is replaced by the config file
                                   (appended when absent), e.g. "python /opt/ai-toolkit/run.py"
  LORASTUDIO_WORKER_TRAINER_SDXL   the SDXL trainer command (sd-scripts), e.g.
                                   "accelerate launch /opt/sd-scripts/sdxl_train_network.py --config_file {config}"
  LORASTUDIO_WORKER_TRAINER        the fallback for a family without its own command; at least one of the
                                   three is required. The worker trains only the families it has a command for.
  LORASTUDIO_WORKER_SECRET         whsec_… verifying the backend's dispatches (its LORASTUDIO_DISPATCH_SECRET;
                                   space-separated during a rotation)
  LORASTUDIO_WORKER_WEBHOOK_SECRET whsec_… signing webhooks (one of the backend's LORASTUDIO_WEBHOOK_SECRETS)
  LORASTUDIO_WORKER_DIR            job folders (default $XDG_DATA_HOME/lorastudio/worker)
  LORASTUDIO_WORKER_PUBLIC_URL     where users reach this worker's logs (optional)
  LORASTUDIO_WORKER_BASE_MODELS    comma-separated base models this box trains (default: flux-dev, flux-schnell
                                   and sdxl where their family has a trainer command; one without is refused).
                                   flux-2-dev, flux-2-klein-9b, flux-2-klein-4b, qwen-image, z-image,
                                   z-image-turbo and wan-2.2 need an ai-toolkit recent enough to train them:
                                   list them here to offer them
  LORASTUDIO_WORKER_CAPTIONER      the captioning command for auto-captions (optional; without it the worker
                                   answers 501 captioner_unavailable), split on spaces; the images folder
                                   (001.jpg, 002.png, …) is appended as its last argument and set as
                                   LORASTUDIO_DATASET_DIR, and it must write 001.txt, 002.txt, … next to the
                                   images, as the usual Florence-2, JoyCaption and Qwen-VL batch scripts do,
                                   e.g. "python /opt/captioner/caption_folder.py". One captioning runs at a time.
  LORASTUDIO_WORKER_CAPTION_TIMEOUT how long one captioning may take (default 10m; the backend waits 10 minutes
                                   for the answer, so a longer one is abandoned there)
  LORASTUDIO_LOG_LEVEL             debug, info (default), warn or error
`

func runWorker(ctx context.Context, c *cli, args []string) int {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address `host:port` (port 0 picks a free one)")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: lorastudio worker [--addr HOST:PORT]\n\nThe reference GPU worker: trains the jobs the backend dispatches.")
		fs.PrintDefaults()
		fmt.Fprint(c.stderr, workerEnvHelp)
	}
	if err := fs.Parse(args); err != nil {
		return usageExit(err)
	}
	log, err := telemetry.NewLogger(c.stderr, c.getenv("LORASTUDIO_LOG_LEVEL"))
	if err != nil {
		fmt.Fprintln(c.stderr, "lorastudio worker:", err)
		return exitUsage
	}
	cfg, err := workerConfig(c)
	if err != nil {
		fmt.Fprintln(c.stderr, "lorastudio worker:", err)
		return exitUsage
	}
	cfg.Log = log
	w, err := worker.New(cfg)
	if err != nil {
		fmt.Fprintln(c.stderr, "lorastudio worker:", err)
		return exitUsage
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Error("listen", "addr", *addr, "err", err)
		return exitFail
	}
	srv := newHTTPServer(w.Handler())
	log.Info("listening", "addr", ln.Addr().String(), "base_models", strings.Join(w.BaseModels(), ","), "dir", cfg.WorkDir)
	return serveUntilDone(ctx, log, srv, ln, 10*time.Second)
}

func workerConfig(c *cli) (worker.Config, error) {
	var cfg worker.Config
	var err error
	if cfg.DispatchSecrets, err = stdwebhook.ParseSecrets(c.getenv("LORASTUDIO_WORKER_SECRET")); err != nil {
		return cfg, fmt.Errorf("LORASTUDIO_WORKER_SECRET: %w", err)
	}
	if cfg.WebhookSecret, err = stdwebhook.ParseSecret(c.getenv("LORASTUDIO_WORKER_WEBHOOK_SECRET")); err != nil {
		return cfg, fmt.Errorf("LORASTUDIO_WORKER_WEBHOOK_SECRET: %w", err)
	}
	cfg.Trainer = strings.Fields(c.getenv("LORASTUDIO_WORKER_TRAINER"))
	cfg.Trainers = map[string][]string{}
	for fam, env := range map[string]string{worker.FamilyFlux: "LORASTUDIO_WORKER_TRAINER_FLUX", worker.FamilySDXL: "LORASTUDIO_WORKER_TRAINER_SDXL"} {
		if t := strings.Fields(c.getenv(env)); len(t) > 0 {
			cfg.Trainers[fam] = t
		}
	}
	if len(cfg.Trainer) == 0 && len(cfg.Trainers) == 0 {
		return cfg, errors.New("set LORASTUDIO_WORKER_TRAINER_FLUX (ai-toolkit) and/or LORASTUDIO_WORKER_TRAINER_SDXL (sd-scripts), or LORASTUDIO_WORKER_TRAINER for both (see --help)")
	}
	cfg.WorkDir = c.getenv("LORASTUDIO_WORKER_DIR")
	if cfg.WorkDir == "" {
		data := c.getenv("XDG_DATA_HOME")
		if data == "" {
			if home := c.getenv("HOME"); home != "" {
				data = filepath.Join(home, ".local", "share")
			} else {
				return cfg, errors.New("set LORASTUDIO_WORKER_DIR")
			}
		}
		cfg.WorkDir = filepath.Join(data, "lorastudio", "worker")
	}
	cfg.PublicURL = c.getenv("LORASTUDIO_WORKER_PUBLIC_URL")
	cfg.Captioner = strings.Fields(c.getenv("LORASTUDIO_WORKER_CAPTIONER"))
	if v := c.getenv("LORASTUDIO_WORKER_CAPTION_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return cfg, fmt.Errorf("LORASTUDIO_WORKER_CAPTION_TIMEOUT %q: want a positive duration", v)
		}
		cfg.CaptionTimeout = d
	}
	if v := c.getenv("LORASTUDIO_WORKER_BASE_MODELS"); v != "" {
		for m := range strings.SplitSeq(v, ",") {
			cfg.BaseModels = append(cfg.BaseModels, strings.TrimSpace(m))
		}
	}
	return cfg, nil
}
