package training_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/studio"
)

func TestCheckpointSteps(t *testing.T) {
	tests := []struct {
		steps int
		every int
		at    []int
	}{
		{1000, 250, []int{250, 500, 750, 1000}},
		{1500, 375, []int{375, 750, 1125, 1500}},
		{100, 25, []int{25, 50, 75, 100}},
		{101, 26, []int{26, 52, 78, 101}},
		{3, 1, []int{1, 2, 3}},
	}
	for _, tt := range tests {
		every, at := training.CheckpointSteps(tt.steps)
		if every != tt.every || !slices.Equal(at, tt.at) {
			t.Errorf("CheckpointSteps(%d) = %d %v, want %d %v", tt.steps, every, at, tt.every, tt.at)
		}
	}
}

func tinyPNG(tb testing.TB, shade uint8) []byte {
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = shade
	}
	img.Set(1, 1, color.Gray{Y: 255 - shade})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// TestIngestCheckpoints: a checkpoint is recorded only with what storage
// holds as reported; a mismatched LoRA or a step outside the plan is
// dropped (and its bytes deleted), a sample that is no PNG is dropped
// alone, and the final step rides on success with the artifact.
func TestIngestCheckpoints(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	secret, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	in := &training.Ingester{Store: f.store, Blobs: f.blobs, Verifier: stdwebhook.Verifier{Secrets: [][]byte{secret}}}
	job := f.seedJob(t, "a@example.com", "self-hosted", "")
	lora, sample, notPNG := tinyLoRA(t), tinyPNG(t, 40), []byte("GIF89a not a png at all")
	ck := training.CheckpointKey(job.UserID, job.ID, 250)
	f.putArtifact(t, ck, lora)
	f.putArtifact(t, training.SampleKey(job.UserID, job.ID, 250, 0), sample)
	f.putArtifact(t, training.SampleKey(job.UserID, job.ID, 250, 1), notPNG)
	f.putArtifact(t, training.CheckpointKey(job.UserID, job.ID, 500), lora)
	f.putArtifact(t, job.ArtifactKey, lora)
	f.putArtifact(t, training.SampleKey(job.UserID, job.ID, 1000, 1), sample)

	n := 0
	send := func(body string) {
		t.Helper()
		n++
		id := fmt.Sprintf("m%d", n)
		if _, err := in.Ingest(ctx, signed(secret, id, time.Now(), body), url.Values{}, []byte(body)); err != nil {
			t.Fatalf("ingest %s: %v", body, err)
		}
	}
	ckpt := func(status string, step int, loraSum string, extra string) string {
		lorapart := ""
		if loraSum != "" {
			lorapart = fmt.Sprintf(`,"checksum":"sha256:%s","size":%d`, loraSum, len(lora))
		}
		return fmt.Sprintf(`{"job_id":%q,"dispatch_key":%q,"status":%q%s,"checkpoint":{"step":%d%s,"samples":[{"index":0,"checksum":"sha256:%s","size":%d},{"index":1,"checksum":"sha256:%s","size":%d}]}}`,
			job.ID, job.DispatchKey, status, extra, step, lorapart, shaHex(sample), len(sample), shaHex(notPNG), len(notPNG))
	}
	send(ckpt("running", 250, shaHex(lora), `,"progress":0.25`))
	send(ckpt("running", 500, shaHex([]byte("something else")), `,"progress":0.5`)) // stored bytes differ from the report
	send(ckpt("running", 333, shaHex(lora), `,"progress":0.6`))                     // not a planned step
	final := fmt.Sprintf(`{"job_id":%q,"dispatch_key":%q,"status":"succeeded","progress":1,"checksum":"sha256:%s","size":%d,"checkpoint":{"step":1000,"samples":[{"index":1,"checksum":"sha256:%s","size":%d}]}}`,
		job.ID, job.DispatchKey, shaHex(lora), len(lora), shaHex(sample), len(sample))
	send(final)

	cs, err := f.store.Checkpoints(ctx, job.UserID, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	var steps []int
	for _, c := range cs {
		steps = append(steps, c.Step)
	}
	if !slices.Equal(steps, []int{250, 1000}) {
		t.Fatalf("got checkpoints at %v, want [250 1000]", steps)
	}
	if c := cs[0]; c.ArtifactKey != ck || c.ArtifactSHA256 != shaHex(lora) || c.Final || len(c.Samples) != 1 || c.Samples[0].Index != 0 || c.Samples[0].Prompt == "" {
		t.Errorf("step 250: got %+v, want its LoRA and sample 0 only", c)
	}
	if c := cs[1]; c.ArtifactKey != job.ArtifactKey || !c.Final || c.VersionID != job.VersionID || len(c.Samples) != 1 || c.Samples[0].Index != 1 {
		t.Errorf("final: got %+v, want the artifact, final, the job's version, sample 1", c)
	}
	for _, key := range []string{training.CheckpointKey(job.UserID, job.ID, 500), training.SampleKey(job.UserID, job.ID, 250, 1)} {
		if _, err := f.blobs.Stat(ctx, key); studio.ErrorCode(err) != studio.ENotFound {
			t.Errorf("%s: got %v, want it deleted", key, err)
		}
	}
}

// TestPromoteCheckpoint makes a checkpoint a version once the job has
// succeeded: the next number, ready, the checkpoint's file; again the same
// version; the final step is the job's own version.
func TestPromoteCheckpoint(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	job := f.seedJob(t, "a@example.com", "self-hosted", "")
	other := f.seedJob(t, "b@example.com", "self-hosted", "")
	lora := tinyLoRA(t)
	ev := func(status string, c *pgstore.Checkpoint, id string) pgstore.JobEvent {
		e := pgstore.JobEvent{WebhookID: id, JobID: job.ID, Status: status, Progress: 0.5, Checkpoint: c}
		if status == studio.JobSucceeded {
			e.ArtifactKey, e.ArtifactSHA256, e.ArtifactSize = job.ArtifactKey, shaHex(lora), int64(len(lora))
		}
		return e
	}
	mid := &pgstore.Checkpoint{Step: 500, ArtifactKey: training.CheckpointKey(job.UserID, job.ID, 500), ArtifactSHA256: shaHex(lora), ArtifactSize: int64(len(lora))}
	if _, _, err := f.store.ApplyJobEvent(ctx, ev(studio.JobRunning, mid, "w1")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.PromoteCheckpoint(ctx, job.UserID, job.ID, 500); studio.ErrorCode(err) != "job_not_succeeded" {
		t.Fatalf("promote while running: got %v, want job_not_succeeded", err)
	}
	last := &pgstore.Checkpoint{Step: 1000, ArtifactKey: job.ArtifactKey, ArtifactSHA256: shaHex(lora), ArtifactSize: int64(len(lora)), Final: true}
	if _, _, err := f.store.ApplyJobEvent(ctx, ev(studio.JobSucceeded, last, "w2")); err != nil {
		t.Fatal(err)
	}
	v, err := f.store.PromoteCheckpoint(ctx, job.UserID, job.ID, 500)
	if err != nil {
		t.Fatal(err)
	}
	if v.Number != 2 || v.Status != studio.VersionReady || v.ArtifactURL != mid.ArtifactKey || v.ArtifactSHA256 != shaHex(lora) || v.ID == job.VersionID {
		t.Fatalf("promoted: got %+v, want version 2, ready, the checkpoint's file", v)
	}
	again, err := f.store.PromoteCheckpoint(ctx, job.UserID, job.ID, 500)
	if err != nil || again.ID != v.ID {
		t.Fatalf("promote again: got %v %v, want the same version %s", again.ID, err, v.ID)
	}
	fin, err := f.store.PromoteCheckpoint(ctx, job.UserID, job.ID, 1000)
	if err != nil || fin.ID != job.VersionID {
		t.Fatalf("promote final: got %v %v, want the job's version", fin.ID, err)
	}
	for _, tt := range []struct {
		name, user, job string
		step            int
	}{
		{"another user's job", other.UserID, job.ID, 500},
		{"no such step", job.UserID, job.ID, 750},
		{"no such job", job.UserID, "00000000-0000-0000-0000-000000000000", 500},
	} {
		if _, err := f.store.PromoteCheckpoint(ctx, tt.user, tt.job, tt.step); studio.ErrorCode(err) != studio.ENotFound {
			t.Errorf("%s: got %v, want not_found", tt.name, err)
		}
	}
	cs, err := f.store.Checkpoints(ctx, job.UserID, job.ID)
	if err != nil || len(cs) != 2 || cs[0].VersionID != v.ID {
		t.Fatalf("checkpoints after promote: got %+v %v, want step 500 naming version %s", cs, err, v.ID)
	}
	if _, err := f.store.Checkpoints(ctx, other.UserID, job.ID); studio.ErrorCode(err) != studio.ENotFound {
		t.Errorf("another user's checkpoints: got %v, want not_found", err)
	}
}
