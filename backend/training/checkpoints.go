package training

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/safetensors"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/worker"
)

// Checkpoint limits: a user sees how training goes at a few points, not at
// every step; each is a full LoRA in storage.
const (
	MaxCheckpoints = 4        // including the final step
	MaxSampleSize  = 16 << 20 // one PNG sample
)

// Samples is implemented by providers whose trainer renders sample images
// and saves checkpoints into the presigned slots of Dispatch.Sampling.
type Samples interface{ Samples() bool }

// SamplePrompts are rendered at every checkpoint: the same scenes each
// time, so the user sees the likeness grow. phrase is how the captions
// name the person ("a photo of ohwx person").
func SamplePrompts(phrase string) []string {
	return []string{
		phrase + ", head and shoulders portrait, soft window light, neutral background",
		phrase + ", smiling, walking in a park, three-quarter view, natural daylight",
	}
}

// CheckpointKey is where the LoRA saved at step is stored.
func CheckpointKey(userID, jobID string, step int) string {
	return fmt.Sprintf("%sjobs/%s/checkpoints/%06d.safetensors", pgstore.KeyPrefix(userID), jobID, step)
}

// SampleKey is where sample i of step is stored.
func SampleKey(userID, jobID string, step, i int) string {
	return fmt.Sprintf("%sjobs/%s/samples/%06d-%02d.png", pgstore.KeyPrefix(userID), jobID, step, i)
}

// CheckpointSteps plans at most MaxCheckpoints evenly spaced steps, the
// last one at steps, and returns the interval between them.
func CheckpointSteps(steps int) (every int, at []int) {
	n := min(MaxCheckpoints, max(steps, 1))
	every = (steps + n - 1) / n
	for s := every; s < steps; s += every {
		at = append(at, s)
	}
	return every, append(at, steps)
}

// planSampling presigns every checkpoint's LoRA (but the last, which is
// the artifact) and samples.
func (d *Dispatcher) planSampling(ctx context.Context, dj pgstore.DispatchJob, p Params, maxArt int64, ttl time.Duration) (*worker.Sampling, error) {
	prompts := SamplePrompts(worker.Caption(p))
	every, steps := CheckpointSteps(p.Steps)
	s := &worker.Sampling{Every: every, Prompts: prompts}
	upload := func(key, ct string, max int64) (worker.Upload, error) {
		r, err := d.Blobs.PresignPutMax(ctx, key, ct, max, ttl)
		return worker.Upload{Method: r.Method, URL: r.URL, Headers: r.Headers, MaxSize: max}, err
	}
	for _, step := range steps {
		slot := worker.Slot{Step: step}
		if step != p.Steps {
			u, err := upload(CheckpointKey(dj.UserID, dj.ID, step), "application/octet-stream", maxArt)
			if err != nil {
				return nil, err
			}
			slot.Artifact = &u
		}
		for i := range prompts {
			u, err := upload(SampleKey(dj.UserID, dj.ID, step, i), "image/png", MaxSampleSize)
			if err != nil {
				return nil, err
			}
			slot.Samples = append(slot.Samples, u)
		}
		s.Slots = append(s.Slots, slot)
	}
	return s, nil
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// checkCheckpoint turns a reported checkpoint into what the store keeps,
// checking every file in storage against the report: a checkpoint LoRA
// that does not match is dropped whole (the job goes on); a sample that
// does not match, or is no PNG, is dropped alone. The final step's LoRA is
// the artifact, already checked, so only its samples are checked here.
func (in *Ingester) checkCheckpoint(ctx context.Context, ref pgstore.JobRef, p Params, ev *pgstore.JobEvent, c *worker.Checkpoint) error {
	_, steps := CheckpointSteps(p.Steps)
	planned := false
	for _, s := range steps {
		planned = planned || s == c.Step
	}
	if !planned {
		in.log().Warn("webhook: checkpoint at an unplanned step; dropped", "job_id", ref.ID, "step", c.Step)
		return nil
	}
	out := pgstore.Checkpoint{Step: c.Step}
	if c.Step == p.Steps {
		if ev.Status != studio.JobSucceeded || ev.ArtifactKey == "" {
			return nil // the final LoRA arrives with success, checked as the artifact
		}
		out.ArtifactKey, out.ArtifactSHA256, out.ArtifactSize, out.Final = ev.ArtifactKey, ev.ArtifactSHA256, ev.ArtifactSize, true
	} else {
		key := CheckpointKey(ref.UserID, ref.ID, c.Step)
		sum, ok := strings.CutPrefix(c.Checksum, "sha256:")
		if ok = ok && c.Size > 0; ok {
			var err error
			if ok, err = in.matches(ctx, key, c.Size, sum, safetensorsLoRA); err != nil {
				return err
			}
		}
		if !ok {
			in.log().Warn("webhook: checkpoint does not match what is stored; dropped", "job_id", ref.ID, "step", c.Step)
			_ = in.Blobs.Delete(ctx, key)
			return nil
		}
		out.ArtifactKey, out.ArtifactSHA256, out.ArtifactSize = key, strings.ToLower(sum), c.Size
	}
	prompts := SamplePrompts(worker.Caption(p))
	for _, s := range c.Samples {
		if s.Index < 0 || s.Index >= len(prompts) {
			continue
		}
		key := SampleKey(ref.UserID, ref.ID, c.Step, s.Index)
		sum, ok := strings.CutPrefix(s.Checksum, "sha256:")
		if ok = ok && s.Size > 0 && s.Size <= MaxSampleSize; ok {
			var err error
			if ok, err = in.matches(ctx, key, s.Size, sum, isPNG); err != nil {
				return err
			}
		}
		if !ok {
			in.log().Warn("webhook: sample does not match what is stored; dropped", "job_id", ref.ID, "step", c.Step, "index", s.Index)
			_ = in.Blobs.Delete(ctx, key)
			continue
		}
		out.Samples = append(out.Samples, pgstore.CheckpointSample{Index: s.Index, Prompt: prompts[s.Index], Key: key, SHA256: strings.ToLower(sum), Size: s.Size})
	}
	ev.Checkpoint = &out
	return nil
}

// matches reports whether the object at key has the size and sha256 (hex)
// reported and passes check. Only storage trouble is an error.
func (in *Ingester) matches(ctx context.Context, key string, size int64, sum string, check func(io.Reader, int64) bool) (bool, error) {
	info, err := in.Blobs.Stat(ctx, key)
	if studio.ErrorCode(err) == studio.ENotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if info.Size != size {
		return false, nil
	}
	got := info.SHA256
	if got == "" {
		if got, err = blob.SHA256(ctx, in.Blobs, key); err != nil {
			return false, err
		}
	}
	if got != strings.ToLower(sum) {
		return false, nil
	}
	rc, err := in.Blobs.Open(ctx, key)
	if err != nil {
		return false, err
	}
	defer rc.Close()
	return check(rc, size), nil
}

func safetensorsLoRA(r io.Reader, size int64) bool {
	_, err := safetensors.Check(r, size)
	return err == nil
}

func isPNG(r io.Reader, _ int64) bool {
	head := make([]byte, len(pngMagic))
	_, err := io.ReadFull(r, head)
	return err == nil && bytes.Equal(head, pngMagic)
}

// applyCheckpoint checks a reported checkpoint against its job's plan and
// storage and attaches it to ev; a job that cannot move is left alone.
func (in *Ingester) applyCheckpoint(ctx context.Context, ev *pgstore.JobEvent, c *worker.Checkpoint) error {
	ref, err := in.Store.JobRef(ctx, ev.JobID)
	if studio.ErrorCode(err) == studio.ENotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if !studio.JobCanMove(ref.Status, ev.Status) {
		return nil
	}
	v, err := in.Store.Version(ctx, ref.UserID, ref.VersionID)
	if err != nil {
		return err
	}
	var p Params
	if err := json.Unmarshal(v.Params, &p); err != nil {
		return fmt.Errorf("checkpoint: params of job %s: %w", ref.ID, err)
	}
	return in.checkCheckpoint(ctx, ref, p, ev, c)
}
