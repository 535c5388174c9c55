package training_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/worker"
)

// racingProvider accepts a dispatch while, meanwhile, the user cancels the
// job; it records what it is asked to cancel.
type racingProvider struct {
	store    *pgstore.Store
	userID   string
	mu       sync.Mutex
	canceled []string
}

func (*racingProvider) Name() string { return "self-hosted" }
func (*racingProvider) BaseModels(context.Context) ([]string, error) {
	return []string{studio.FluxDev}, nil
}
func (p *racingProvider) Dispatch(ctx context.Context, d worker.Dispatch) (string, error) {
	if _, _, err := p.store.CancelJob(ctx, p.userID, d.JobID, "canceled by the user"); err != nil {
		return "", err
	}
	return "prov-1", nil
}
func (p *racingProvider) Cancel(_ context.Context, j pgstore.JobRef) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.canceled = append(p.canceled, j.ProviderJobID)
	return nil
}

// A job canceled while its dispatch was on the way is canceled at the
// provider too, and stays canceled here.
func TestDispatchCanceledMeanwhile(t *testing.T) {
	f := newFixture(t)
	ref := f.seedQueued(t, "race@example.com", "self-hosted")
	prov := &racingProvider{store: f.store, userID: ref.UserID}
	d := &training.Dispatcher{Store: f.store, Blobs: f.blobs, Provider: prov, WebhookURL: f.srv.URL + "/api/lora/webhook"}
	job := &river.Job[training.DispatchArgs]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 1, MaxAttempts: 5}, Args: training.DispatchArgs{JobID: ref.ID}}
	if err := d.Work(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if len(prov.canceled) != 1 || prov.canceled[0] != "prov-1" {
		t.Errorf("the provider was asked to cancel %v, want [prov-1]", prov.canceled)
	}
	got, err := f.store.JobRef(context.Background(), ref.ID)
	if err != nil || got.Status != studio.JobCanceled {
		t.Errorf("job after the race: %+v, %v; want canceled", got, err)
	}
}

// capturing records the dispatch it is given.
type capturing struct {
	samples bool
	got     worker.Dispatch
}

func (*capturing) Name() string                                 { return "self-hosted" }
func (*capturing) BaseModels(context.Context) ([]string, error) { return []string{studio.FluxDev}, nil }
func (*capturing) Cancel(context.Context, pgstore.JobRef) error { return nil }
func (c *capturing) Samples() bool                              { return c.samples }
func (c *capturing) Dispatch(_ context.Context, d worker.Dispatch) (string, error) {
	c.got = d
	return "p1", nil
}

// A provider that renders samples gets a slot per checkpoint: a presigned
// LoRA upload for each but the last (that one is the artifact) and one PNG
// upload per prompt, which name the person as the captions do.
func TestDispatchPlansSampling(t *testing.T) {
	for _, samples := range []bool{true, false} {
		f := newFixture(t)
		ref := f.seedQueued(t, "s@example.com", "self-hosted")
		prov := &capturing{samples: samples}
		d := &training.Dispatcher{Store: f.store, Blobs: f.blobs, Provider: prov, WebhookURL: f.srv.URL + "/api/lora/webhook"}
		job := &river.Job[training.DispatchArgs]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 1, MaxAttempts: 5}, Args: training.DispatchArgs{JobID: ref.ID}}
		if err := d.Work(context.Background(), job); err != nil {
			t.Fatal(err)
		}
		s := prov.got.Sampling
		if !samples {
			if s != nil {
				t.Errorf("a provider without samples got %+v, want none", s)
			}
			continue
		}
		if s == nil || s.Every != 250 || len(s.Slots) != 4 || len(s.Prompts) != 2 {
			t.Fatalf("got %+v, want 4 slots every 250 steps with 2 prompts", s)
		}
		for _, p := range s.Prompts {
			if !strings.Contains(p, "ohwx person") {
				t.Errorf("prompt %q does not name the person as the captions do", p)
			}
		}
		for i, sl := range s.Slots {
			last := i == len(s.Slots)-1
			if sl.Step != 250*(i+1) || (sl.Artifact == nil) != last || len(sl.Samples) != 2 {
				t.Errorf("slot %d: got step %d, artifact %v, %d samples", i, sl.Step, sl.Artifact, len(sl.Samples))
			}
		}
		// The first slot's URL stores at the checkpoint's key.
		lora := tinyLoRA(t)
		u := s.Slots[0].Artifact
		req, _ := http.NewRequest(u.Method, u.URL, bytes.NewReader(lora))
		for k, v := range u.Headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("put through the slot: %v %v", resp, err)
		}
		resp.Body.Close()
		if info, err := f.blobs.Stat(context.Background(), training.CheckpointKey(ref.UserID, ref.ID, 250)); err != nil || info.Size != int64(len(lora)) {
			t.Errorf("checkpoint stored: %+v %v", info, err)
		}
	}
}
