package training_test

import (
	"context"
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
