// Package worker is the reference GPU worker: an HTTP service a user runs
// on their own GPU box. It verifies the backend's signed dispatch, answers
// 202 at once, downloads and checks the photos, writes the trainer's
// configuration (ai-toolkit YAML for Flux, kohya sd-scripts TOML for SDXL),
// runs the configured trainer command, reports progress and logs, uploads
// the artifact to the presigned PUT URL and calls the webhook, signed.
package worker

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/promptforge/lorastudio/internal/backoff"
	"github.com/promptforge/lorastudio/internal/safetensors"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/studio"
)

// Config configures a Worker.
type Config struct {
	DispatchSecrets [][]byte // verify dispatches (several during a rotation)
	WebhookSecret   []byte   // sign webhooks
	// Trainer is the command to run; the argument "{config}" is replaced
	// by the configuration file's path, which is appended when absent.
	// Trainers holds one per family (FamilyFlux, FamilySDXL); Trainer is
	// the fallback for a family without its own.
	Trainer    []string
	Trainers   map[string][]string
	Env        []string // added to the trainer's environment
	WorkDir    string   // one folder per dispatch key; it is also the dedup record
	PublicURL  string   // where the backend's users reach this worker's logs, optional
	BaseModels []string // default: every base model whose family has a trainer
	HTTP       *http.Client
	Log        *slog.Logger
	// Webhook delivery retries with backoff from WebhookBackoff (default
	// 1 s, capped at 30 s) until WebhookGiveUp (default 1 h) has passed.
	WebhookBackoff time.Duration
	WebhookGiveUp  time.Duration
	// PollEvery is how often the output folder is looked at for new
	// checkpoints and samples while the trainer runs (default 2 s).
	PollEvery time.Duration
	// Captioner is the command describing photos for POST /captions (nil:
	// the worker captions nothing and answers 501). The images folder is
	// appended as its last argument and set as LORASTUDIO_DATASET_DIR; it
	// must write <stem>.txt next to each image, as the usual batch
	// captioning scripts (Florence-2, JoyCaption, Qwen-VL) do.
	Captioner []string
	// CaptionTimeout bounds one captioning (default 10 minutes).
	CaptionTimeout time.Duration
	Now            func() time.Time
}

// Worker serves the protocol. Create it with New.
type Worker struct {
	cfg  Config
	mu   sync.Mutex
	runs map[string]context.CancelFunc
	wg   sync.WaitGroup
	// captioning holds one token: one captioning at a time, as the GPU
	// holds one captioning model.
	captioning chan struct{}
}

// maxWebhookBackoff caps the wait between two tries of a webhook or an upload.
const maxWebhookBackoff = 30 * time.Second

// New checks cfg and returns a Worker.
func New(cfg Config) (*Worker, error) {
	if len(cfg.DispatchSecrets) == 0 || len(cfg.WebhookSecret) == 0 {
		return nil, errors.New("worker: a dispatch secret and a webhook secret are required")
	}
	if err := cfg.resolveModels(); err != nil {
		return nil, err
	}
	if cfg.WorkDir == "" {
		return nil, errors.New("worker: no work dir")
	}
	if err := os.MkdirAll(cfg.WorkDir, 0o700); err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 10 * time.Minute}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.WebhookBackoff == 0 {
		cfg.WebhookBackoff = time.Second
	}
	if cfg.WebhookGiveUp == 0 {
		cfg.WebhookGiveUp = time.Hour
	}
	if cfg.PollEvery == 0 {
		cfg.PollEvery = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CaptionTimeout == 0 {
		cfg.CaptionTimeout = 10 * time.Minute
	}
	w := &Worker{cfg: cfg, runs: map[string]context.CancelFunc{}, captioning: make(chan struct{}, 1)}
	// A job or captioning cut off by a crash or a restart never resumes
	// here (a job's folder marks its dispatch as taken), so nothing of the
	// user's is left behind.
	if err := os.RemoveAll(filepath.Join(cfg.WorkDir, captionsDir)); err != nil {
		cfg.Log.Error("worker: could not delete an interrupted captioning's photos", "err", err)
	}
	if dirs, err := os.ReadDir(cfg.WorkDir); err == nil {
		for _, d := range dirs {
			if d.IsDir() && keyRe.MatchString(d.Name()) {
				w.forget(filepath.Join(cfg.WorkDir, d.Name()))
			}
		}
	}
	return w, nil
}

// forget deletes what a job folder holds of the user: the photos with
// their captions and what the trainer made of them (checkpoints, samples,
// the LoRA, uploaded by now or never). The photos live in the backend's
// storage, under the user's retention and withdrawal, and not on the GPU
// box once the job has ended, whatever its outcome. The folder itself
// stays as the dispatch's dedup record, with the configuration and the
// log that logs_url serves.
func (w *Worker) forget(dir string) {
	for _, sub := range []string{"images", "output"} {
		if err := os.RemoveAll(filepath.Join(dir, sub)); err != nil {
			w.cfg.Log.Error("worker: could not delete a finished job's files", "dir", dir, "err", err)
		}
	}
}

// Wait blocks until every started job has finished and reported.
func (w *Worker) Wait() { w.wg.Wait() }

// Handler serves POST /jobs, POST /jobs/{key}/cancel, GET /jobs/{key}/logs,
// POST /captions, GET /base-models and GET /healthz.
func (w *Worker) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /jobs", w.dispatch)
	mux.HandleFunc("POST /captions", w.captions)
	mux.HandleFunc("POST /jobs/{key}/cancel", w.cancel)
	mux.HandleFunc("GET /jobs/{key}/logs", w.logs)
	mux.HandleFunc("GET /base-models", func(rw http.ResponseWriter, r *http.Request) {
		writeJSON(rw, http.StatusOK, map[string]any{"base_models": w.cfg.BaseModels})
	})
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, r *http.Request) {
		writeJSON(rw, http.StatusOK, map[string]string{"status": "ok"})
	})
	return mux
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	_ = json.NewEncoder(rw).Encode(v)
}

func refuse(rw http.ResponseWriter, status int, code, msg string) {
	writeJSON(rw, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

var keyRe = regexp.MustCompile(`^[A-Za-z0-9_-]{8,100}$`)

// readSigned reads and verifies a signed request's raw body.
func (w *Worker) readSigned(rw http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, 4<<20))
	if err != nil {
		refuse(rw, http.StatusRequestEntityTooLarge, "too_large", "the body is over 4 MiB")
		return nil, false
	}
	v := stdwebhook.Verifier{Secrets: w.cfg.DispatchSecrets, Now: w.cfg.Now}
	if _, err := v.Verify(r.Header, body); err != nil {
		refuse(rw, http.StatusUnauthorized, "signature_invalid", err.Error())
		return nil, false
	}
	return body, true
}

func (w *Worker) dispatch(rw http.ResponseWriter, r *http.Request) {
	body, ok := w.readSigned(rw, r)
	if !ok {
		return
	}
	var d Dispatch
	if err := json.Unmarshal(body, &d); err != nil {
		refuse(rw, http.StatusBadRequest, "invalid", "the dispatch is not JSON: "+err.Error())
		return
	}
	if msg := check(d, w.cfg.BaseModels); msg != "" {
		refuse(rw, http.StatusUnprocessableEntity, "invalid", msg)
		return
	}
	// The job folder is the dedup record: creating it is atomic, and it
	// outlives a restart of the worker, so a retried dispatch never trains twice.
	dir := filepath.Join(w.cfg.WorkDir, d.DispatchKey)
	if err := os.Mkdir(dir, 0o700); errors.Is(err, fs.ErrExist) {
		writeJSON(rw, http.StatusAccepted, map[string]any{"dispatch_key": d.DispatchKey, "duplicate": true})
		return
	} else if err != nil {
		refuse(rw, http.StatusInternalServerError, "internal", "cannot create the job folder")
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.mu.Lock()
	w.runs[d.DispatchKey] = cancel
	w.mu.Unlock()
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer cancel()
		w.run(ctx, dir, d)
		w.mu.Lock()
		delete(w.runs, d.DispatchKey)
		w.mu.Unlock()
	}()
	writeJSON(rw, http.StatusAccepted, map[string]any{"dispatch_key": d.DispatchKey})
}

func check(d Dispatch, models []string) string {
	switch {
	case d.JobID == "" || !keyRe.MatchString(d.DispatchKey):
		return "job_id and a dispatch_key of 8 to 100 letters, digits, - or _ are required"
	case !contains(models, d.BaseModel):
		return fmt.Sprintf("this worker trains %s, not %q", strings.Join(models, ", "), d.BaseModel)
	case len(d.Items) == 0:
		return "no photos"
	case d.Artifact.URL == "" || d.WebhookURL == "":
		return "artifact upload and webhook_url are required"
	case d.Params.Steps <= 0 || d.Params.Rank <= 0 || d.Params.Resolution <= 0 || d.Params.TriggerWord == "":
		return "params need steps, rank, resolution and trigger_word"
	}
	return checkSampling(d)
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func (w *Worker) cancel(rw http.ResponseWriter, r *http.Request) {
	if _, ok := w.readSigned(rw, r); !ok {
		return
	}
	w.mu.Lock()
	cancel, ok := w.runs[r.PathValue("key")]
	w.mu.Unlock()
	if !ok {
		refuse(rw, http.StatusNotFound, "not_found", "no running job with this key")
		return
	}
	cancel()
	writeJSON(rw, http.StatusAccepted, map[string]string{"status": "canceling"})
}

func (w *Worker) logs(rw http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if !keyRe.MatchString(key) {
		refuse(rw, http.StatusNotFound, "not_found", "no such job")
		return
	}
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	http.ServeFile(rw, r, filepath.Join(w.cfg.WorkDir, key, "train.log"))
}

// run trains one job and reports every outcome by webhook.
func (w *Worker) run(ctx context.Context, dir string, d Dispatch) {
	log := w.cfg.Log.With("job_id", d.JobID, "dispatch_key", d.DispatchKey)
	rep := &reporter{w: w, d: d}
	if w.cfg.PublicURL != "" {
		rep.logsURL = strings.TrimRight(w.cfg.PublicURL, "/") + "/jobs/" + d.DispatchKey + "/logs"
	}
	rep.send(ctx, Event{Status: "running", Progress: 0})
	sum, size, err := w.train(ctx, dir, d, rep)
	w.forget(dir)
	switch {
	case ctx.Err() != nil:
		log.Info("job canceled")
		rep.send(context.Background(), Event{Status: "canceled", Error: "canceled by the backend"})
	case err != nil:
		log.Warn("job failed", "err", err)
		rep.send(ctx, Event{Status: "failed", Error: err.Error()})
	default:
		log.Info("job succeeded", "size", size)
		rep.send(ctx, Event{Status: "succeeded", Progress: 1, Checksum: "sha256:" + sum, Size: size})
	}
}

func (w *Worker) train(ctx context.Context, dir string, d Dispatch, rep *reporter) (string, int64, error) {
	images := filepath.Join(dir, "images")
	out := filepath.Join(dir, "output")
	for _, p := range []string{images, out} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			return "", 0, err
		}
	}
	for i, it := range d.Items {
		name := fmt.Sprintf("%03d", i+1)
		if err := w.download(ctx, it, filepath.Join(images, name+photoExt(it.Name))); err != nil {
			return "", 0, fmt.Errorf("photo %d: %w", i+1, err)
		}
		caption := it.Caption // resolved by the backend, trigger word in place
		if caption == "" {
			caption = Caption(d.Params)
		}
		if err := os.WriteFile(filepath.Join(images, name+".txt"), []byte(caption), 0o600); err != nil {
			return "", 0, err
		}
	}
	config, err := WriteConfig(dir, images, out, d)
	if err != nil {
		return "", 0, err
	}
	if err := w.runTrainer(ctx, dir, config, images, out, d, rep); err != nil {
		return "", 0, err
	}
	art, err := w.checkpoints(dir, out, d, rep).artifact()
	if err != nil {
		return "", 0, err
	}
	if err := w.stampModelSpec(art, d); err != nil {
		return "", 0, err
	}
	f, err := os.Open(art)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	if _, err := safetensors.Check(io.TeeReader(f, h), fi.Size()); err != nil {
		return "", 0, fmt.Errorf("the trainer's output is not a safetensors LoRA: %w", err)
	}
	if fi.Size() > d.Artifact.MaxSize && d.Artifact.MaxSize > 0 {
		return "", 0, fmt.Errorf("the artifact has %d bytes, over the %d allowed", fi.Size(), d.Artifact.MaxSize)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err := w.upload(ctx, d.Artifact, art, fi.Size()); err != nil {
		return "", 0, err
	}
	return sum, fi.Size(), nil
}

// photoExt is the extension a photo is saved with: its own when it is one
// the trainers read, else .jpg.
func photoExt(name string) string {
	ext := strings.ToLower(filepath.Ext(name))
	if ext != ".jpg" && ext != ".jpeg" && ext != ".png" && ext != ".webp" {
		ext = ".jpg"
	}
	return ext
}

// download fetches one photo and checks its size and sha256.
func (w *Worker) download(ctx context.Context, it Item, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, it.URL, nil)
	if err != nil {
		return err
	}
	resp, err := w.cfg.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("download: %s", resp.Status)
	}
	limit := min(it.Size, studio.MaxPhotoBytes)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(resp.Body, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if n != it.Size {
		return fmt.Errorf("got %d bytes, want %d", n, it.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != strings.ToLower(it.SHA256) {
		return fmt.Errorf("sha256 %s, want %s", got, it.SHA256)
	}
	return nil
}

var stepRe = regexp.MustCompile(`\b(\d+)/(\d+)\b`)

// exec runs the trainer, logging its output to train.log and turning its
// "n/steps" counters (tqdm in ai-toolkit and sd-scripts) into progress.
func (w *Worker) exec(ctx context.Context, dir, config, images, out string, d Dispatch, rep *reporter) error {
	trainer := w.cfg.trainerFor(d.BaseModel)
	args := make([]string, 0, len(trainer)+1)
	replaced := false
	for _, a := range trainer {
		if strings.Contains(a, "{config}") {
			a, replaced = strings.ReplaceAll(a, "{config}", config), true
		}
		args = append(args, a)
	}
	if !replaced {
		args = append(args, config)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = dir
	cmd.WaitDelay = 3 * time.Second // a killed trainer's children may hold its output open
	cmd.Env = append(append(os.Environ(), w.cfg.Env...),
		"LORASTUDIO_CONFIG="+config, "LORASTUDIO_OUTPUT_DIR="+out, "LORASTUDIO_DATASET_DIR="+images,
		"LORASTUDIO_STEPS="+strconv.Itoa(d.Params.Steps), "LORASTUDIO_TRIGGER_WORD="+d.Params.TriggerWord,
		"LORASTUDIO_BASE_MODEL="+d.BaseModel)
	logf, err := os.Create(filepath.Join(dir, "train.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		pw.Close()
		return fmt.Errorf("start the trainer: %w", err)
	}
	var tail []string // the last lines, for the error message
	// Progress goes out from its own goroutine, latest value only, so a
	// slow or unreachable backend never stalls the reading of the output.
	progress := make(chan float64, 1)
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for p := range progress {
			rep.send(ctx, Event{Status: "running", Progress: p})
		}
	}()
	publish := func(p float64) {
		select {
		case progress <- p:
		default:
			select {
			case <-progress: // drop the stale value
			default:
			}
			select {
			case progress <- p:
			default:
			}
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sc.Split(scanLinesOrCR) // tqdm redraws with \r
		last := 0.0
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if tail = append(tail, line); len(tail) > 5 {
				tail = tail[1:]
			}
			for _, m := range stepRe.FindAllStringSubmatch(line, -1) {
				n, _ := strconv.Atoi(m[1])
				total, _ := strconv.Atoi(m[2])
				if total == d.Params.Steps && n <= total {
					rep.step.Store(int64(n))
					if p := float64(n) / float64(total); p >= last+0.05 || (p == 1 && last < 1) {
						last = p
						publish(min(p, 0.99))
					}
				}
			}
		}
		io.Copy(io.Discard, pr)
	}()
	err = cmd.Wait()
	pw.Close()
	<-done
	close(progress)
	<-sent // every progress report precedes the final one
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("the trainer failed (%v): %s", err, strings.Join(tail, " | "))
	}
	return nil
}

func scanLinesOrCR(data []byte, atEOF bool) (int, []byte, error) {
	for i, b := range data {
		if b == '\n' || b == '\r' {
			return i + 1, data[:i], nil
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

func newestSafetensors(dir string) (string, error) {
	var best string
	var at time.Time
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(p, ".safetensors") {
			return err
		}
		fi, err := e.Info()
		if err == nil && (best == "" || fi.ModTime().After(at)) {
			best, at = p, fi.ModTime()
		}
		return err
	})
	if err != nil {
		return "", err
	}
	if best == "" {
		return "", errors.New("the trainer wrote no .safetensors file")
	}
	return best, nil
}

// upload PUTs the artifact to the presigned URL (see putFile).
func (w *Worker) upload(ctx context.Context, u Upload, path string, size int64) error {
	_, _, err := w.putFile(ctx, u, path, "the artifact")
	return err
}

// reporter sends one job's webhooks in order, each with an id stable
// across its retries so the backend dedups a retry.
type reporter struct {
	w       *Worker
	d       Dispatch
	logsURL string
	// final is the final step's checkpoint, set by train; it rides on the
	// succeeded webhook.
	final *Checkpoint
	step  atomic.Int64 // the trainer's last step counter
	mu    sync.Mutex   // progress and checkpoints are sent from two goroutines
	seq   int
}

func (r *reporter) send(ctx context.Context, ev Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	if ev.Status == "succeeded" && ev.Checkpoint == nil {
		ev.Checkpoint = r.final
	}
	ev.JobID, ev.DispatchKey = r.d.JobID, r.d.DispatchKey
	if ev.LogsURL == "" {
		ev.LogsURL = r.logsURL
	}
	body, _ := json.Marshal(ev)
	id := fmt.Sprintf("msg_%s_%d", r.d.DispatchKey, r.seq)
	cfg := r.w.cfg
	deadline := cfg.Now().Add(cfg.WebhookGiveUp)
	retry := backoff.Policy{Base: cfg.WebhookBackoff, Max: maxWebhookBackoff}
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, r.d.WebhookURL, strings.NewReader(string(body)))
		if err != nil {
			cfg.Log.Error("webhook: bad url", "err", err)
			return
		}
		req.Header.Set("Content-Type", "application/json")
		stdwebhook.SetHeaders(req.Header, cfg.WebhookSecret, id, cfg.Now(), body) // re-signed: a fresh timestamp each try
		resp, err := cfg.HTTP.Do(req)
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return
			}
			if resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusRequestTimeout {
				cfg.Log.Error("webhook refused; not retrying", "status", resp.StatusCode, "event", ev.Status)
				return
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if cfg.Now().After(deadline) {
			cfg.Log.Error("webhook: giving up", "event", ev.Status, "attempts", attempt, "err", err)
			return
		}
		cfg.Log.Warn("webhook failed; retrying", "event", ev.Status, "attempt", attempt, "err", err)
		_ = backoff.Sleep(context.WithoutCancel(ctx), retry.Delay(attempt)) // delivered even while shutting down, until WebhookGiveUp
	}
}

// WorkDirOf returns the folder of a dispatch key's job.
func (w *Worker) WorkDirOf(dispatchKey string) string {
	return filepath.Join(w.cfg.WorkDir, dispatchKey)
}
