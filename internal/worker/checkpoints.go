package worker

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/promptforge/lorastudio/internal/safetensors"
)

// checkpoints uploads a job's intermediate checkpoints and sample images
// to their slots as the trainer writes them, and reports each by webhook.
type checkpoints struct {
	w   *Worker
	d   Dispatch
	rep *reporter
	lay layout
	out string // the trainer's output folder
	png string // where JPEG samples are converted to PNG
	log *slog.Logger
}

func (w *Worker) checkpoints(dir, out string, d Dispatch, rep *reporter) *checkpoints {
	return &checkpoints{w: w, d: d, rep: rep, lay: layoutOf(d.BaseModel, out), out: out,
		png: filepath.Join(dir, "samples-png"), log: w.cfg.Log.With("job_id", d.JobID, "dispatch_key", d.DispatchKey)}
}

// intermediate returns the slots before the final step, in step order.
func (c *checkpoints) intermediate() []Slot {
	if c.d.Sampling == nil {
		return nil
	}
	var slots []Slot
	for _, s := range c.d.Sampling.Slots {
		if s.Step < c.d.Params.Steps {
			slots = append(slots, s)
		}
	}
	return slots
}

// watch looks at the output folder every PollEvery while the trainer runs
// and publishes each intermediate checkpoint once it is complete. After
// exited is closed it publishes what is left and returns; it returns at
// once when ctx ends (the trainer failed or the job was canceled).
func (c *checkpoints) watch(ctx context.Context, exited <-chan struct{}) {
	slots := c.intermediate()
	tick := time.NewTicker(c.w.cfg.PollEvery)
	defer tick.Stop()
	for len(slots) > 0 {
		done := false
		select {
		case <-exited:
			done = true
		default:
		}
		for len(slots) > 0 && ctx.Err() == nil && (done || c.complete(slots[0])) {
			c.publish(ctx, slots[0])
			slots = slots[1:]
		}
		if done || len(slots) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-exited:
		case <-tick.C:
		}
	}
}

// complete says whether slot's files are all written: its LoRA is a whole
// safetensors file and every sample decodes, or the trainer has counted a
// later step (it writes a step's files before it goes on).
func (c *checkpoints) complete(slot Slot) bool {
	if c.rep.step.Load() > int64(slot.Step) {
		return true
	}
	if validSafetensors(c.lay.checkpoint(slot.Step)) != nil {
		return false
	}
	found, err := c.lay.samples(slot.Step)
	if err != nil || len(found) < len(slot.Samples) {
		return false
	}
	for i := range slot.Samples {
		if _, err := decodeSample(found[i]); err != nil {
			return false
		}
	}
	return true
}

// publish uploads an intermediate checkpoint and its samples and sends the
// running webhook that reports them. A checkpoint the trainer did not
// write (or that cannot be uploaded) is logged and skipped: a LoRA is
// never reported that is not in storage.
func (c *checkpoints) publish(ctx context.Context, slot Slot) {
	path := c.lay.checkpoint(slot.Step)
	if err := validSafetensors(path); err != nil {
		c.log.Warn("no checkpoint for this step; skipping its slot", "step", slot.Step, "path", path, "err", err)
		return
	}
	if err := c.w.stamp(path, c.d, slot.Step); err != nil {
		c.log.Warn("checkpoint cannot be stamped; skipping its slot", "step", slot.Step, "err", err)
		return
	}
	sum, size, err := c.w.putFile(ctx, *slot.Artifact, path, fmt.Sprintf("the checkpoint of step %d", slot.Step))
	if err != nil {
		c.log.Warn("checkpoint upload failed; skipping its slot", "step", slot.Step, "err", err)
		return
	}
	cp := &Checkpoint{Step: slot.Step, Checksum: "sha256:" + sum, Size: size, Samples: c.samples(ctx, slot)}
	p := float64(max(c.rep.step.Load(), int64(slot.Step))) / float64(c.d.Params.Steps)
	c.rep.send(ctx, Event{Status: "running", Progress: min(p, 0.99), Checkpoint: cp})
}

// final returns the final step's checkpoint, its samples uploaded, for the
// succeeded webhook; nil without a final slot.
func (c *checkpoints) final(ctx context.Context) *Checkpoint {
	if c.d.Sampling == nil {
		return nil
	}
	for _, s := range c.d.Sampling.Slots {
		if s.Step == c.d.Params.Steps {
			return &Checkpoint{Step: s.Step, Samples: c.samples(ctx, s)}
		}
	}
	return nil
}

// samples uploads the samples of slot the trainer wrote, as PNG, and
// reports them; a missing or unreadable one is logged, never made up.
func (c *checkpoints) samples(ctx context.Context, slot Slot) []Sample {
	out := make([]Sample, 0, len(slot.Samples))
	found, err := c.lay.samples(slot.Step)
	if err != nil {
		c.log.Warn("cannot list the samples", "step", slot.Step, "err", err)
	}
	for i, u := range slot.Samples {
		path, ok := found[i]
		if !ok {
			continue
		}
		png, err := c.asPNG(path, slot.Step, i)
		if err != nil {
			c.log.Warn("unreadable sample; not reported", "step", slot.Step, "index", i, "path", path, "err", err)
			continue
		}
		sum, size, err := c.w.putFile(ctx, u, png, fmt.Sprintf("sample %d of step %d", i, slot.Step))
		if err != nil {
			c.log.Warn("sample upload failed; not reported", "step", slot.Step, "index", i, "err", err)
			continue
		}
		out = append(out, Sample{Index: i, Checksum: "sha256:" + sum, Size: size})
	}
	if len(out) < len(slot.Samples) {
		c.log.Warn("the checkpoint is reported with fewer samples than asked for", "step", slot.Step,
			"samples", len(out), "asked", len(slot.Samples), "folder", c.lay.sampleDir)
	}
	return out
}

// asPNG returns path when it is a whole PNG, else the path of its PNG
// conversion (ai-toolkit writes JPEG unless told otherwise; slots take PNG).
func (c *checkpoints) asPNG(path string, step, i int) (string, error) {
	format, err := decodeSample(path)
	if err != nil || format == "png" {
		return path, err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(c.png, 0o700); err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return "", err
	}
	conv := filepath.Join(c.png, fmt.Sprintf("%d_%d.png", step, i))
	return conv, os.WriteFile(conv, b.Bytes(), 0o600)
}

// decodeSample decodes a whole PNG or JPEG image (a half-written file fails)
// and returns its format.
func decodeSample(path string) (string, error) {
	if path == "" {
		return "", os.ErrNotExist
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var magic [8]byte
	if _, err := f.ReadAt(magic[:], 0); err != nil {
		return "", fmt.Errorf("not an image: %w", err)
	}
	switch {
	case bytes.Equal(magic[:], []byte("\x89PNG\r\n\x1a\n")):
		_, err = png.Decode(f)
		return "png", err
	case magic[0] == 0xFF && magic[1] == 0xD8:
		_, err = jpeg.Decode(f)
		return "jpeg", err
	}
	return "", fmt.Errorf("neither PNG nor JPEG")
}

// validSafetensors checks that path holds a whole safetensors file.
func validSafetensors(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = safetensors.Check(f, fi.Size())
	return err
}

// artifact returns the final LoRA: where the trainer's layout puts it, else
// (another trainer command) the newest .safetensors in the output folder.
func (c *checkpoints) artifact() (string, error) {
	if _, err := os.Stat(c.lay.final); err == nil {
		return c.lay.final, nil
	}
	return newestSafetensors(c.out)
}

// runTrainer runs the trainer while watching its output folder for
// checkpoints, then uploads the final step's samples for the succeeded
// webhook (rep.final).
func (w *Worker) runTrainer(ctx context.Context, dir, config, images, out string, d Dispatch, rep *reporter) error {
	c := w.checkpoints(dir, out, d, rep)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	exited := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		c.watch(wctx, exited)
	}()
	err := w.exec(ctx, dir, config, images, out, d, rep)
	if err != nil {
		stop() // a failed run's later slots stay empty
	}
	close(exited)
	<-watched
	if err != nil {
		return err
	}
	rep.final = c.final(ctx)
	return nil
}

// checkSampling checks a dispatch's sample plan: slots in increasing step
// order, the last at Params.Steps and the only one without a LoRA upload,
// one sample upload per prompt, each prompt usable by both trainers.
func checkSampling(d Dispatch) string {
	s := d.Sampling
	if s == nil {
		return ""
	}
	if s.Every <= 0 || len(s.Prompts) == 0 || len(s.Slots) == 0 {
		return "sampling needs every > 0, prompts and slots"
	}
	for _, p := range s.Prompts {
		if promptText(p) == "" {
			return "a sample prompt is empty"
		}
	}
	prev := 0
	for i, sl := range s.Slots {
		last := i == len(s.Slots)-1
		switch {
		case sl.Step <= prev:
			return "sampling slots must have increasing steps above 0"
		case last && sl.Step != d.Params.Steps:
			return fmt.Sprintf("the last sampling slot must be at step %d, the last step", d.Params.Steps)
		case !last && sl.Artifact == nil:
			return fmt.Sprintf("the sampling slot of step %d has no checkpoint upload", sl.Step)
		case len(sl.Samples) != len(s.Prompts):
			return fmt.Sprintf("the sampling slot of step %d has %d sample uploads for %d prompts", sl.Step, len(sl.Samples), len(s.Prompts))
		}
		prev = sl.Step
	}
	return ""
}
