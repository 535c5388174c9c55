package training

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/studio"
)

// Defaults of Reconciler.
const (
	// DefaultReconcileSilence: a running training sends a logs webhook every
	// few seconds, so ten silent minutes mean lost webhooks (Replicate
	// gives up retrying; our endpoint was down) or a training still queued.
	DefaultReconcileSilence = 10 * time.Minute
	DefaultReconcileEvery   = 5 * time.Minute
	DefaultReconcileBatch   = 50
)

// Reconciler finishes the jobs at Replicate whose webhooks stopped: it
// asks GET /v1/trainings/{id} and applies the answer exactly as a webhook
// (Ingester.Apply: weights copied and checked, ApplyJob forward only).
//
// Several replicas may run it at once. Each pass claims its jobs with one
// UPDATE … FOR UPDATE SKIP LOCKED that also marks them updated, so a job
// is polled by one replica per silence window; and were it polled twice,
// the second answer is a duplicate message id (reconcileID) or a move
// ApplyJob refuses, so nothing changes.
type Reconciler struct {
	Ingester *Ingester // its Replicate is asked; nothing is done without one
	Silence  time.Duration
	Every    time.Duration
	Batch    int
	Now      func() time.Time
	Log      *slog.Logger
}

// ReconcileReport says what one pass did.
type ReconcileReport struct {
	Polled  int // trainings asked for
	Applied int // jobs moved
	Failed  int // polls or applies that failed, tried again later
}

func (r *Reconciler) defaults() {
	if r.Silence <= 0 {
		r.Silence = DefaultReconcileSilence
	}
	if r.Every <= 0 {
		r.Every = DefaultReconcileEvery
	}
	if r.Batch <= 0 {
		r.Batch = DefaultReconcileBatch
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Log == nil {
		r.Log = slog.New(slog.DiscardHandler)
	}
}

// reconcileID is the message id of a polled state: the same state polled
// again is a duplicate. A running training's id carries its progress in
// thousandths, so a later poll may still move the bar.
func reconcileID(trainingID, status string, progress float64) string {
	if status == studio.JobRunning {
		return fmt.Sprintf("reconcile:%s:%s:%d", trainingID, status, int(progress*1000))
	}
	return "reconcile:" + trainingID + ":" + status
}

// Once runs one pass. An error is the claim's; a job that could not be
// polled or applied is counted in Failed, logged, and polled again once
// silent for another Silence.
func (r *Reconciler) Once(ctx context.Context) (ReconcileReport, error) {
	r.defaults()
	var rep ReconcileReport
	in := r.Ingester
	if in == nil || in.Replicate == nil {
		return rep, nil
	}
	jobs, err := in.Store.ClaimSilentJobs(ctx, "replicate", r.Now().Add(-r.Silence), r.Batch)
	if err != nil {
		return rep, err
	}
	for _, job := range jobs {
		rep.Polled++
		// A copy of the weights ends before the claim runs out, so another
		// replica never copies the same job at the same time.
		jctx, cancel := context.WithTimeout(ctx, r.Silence*9/10)
		res, err := r.one(jctx, job)
		cancel()
		switch {
		case ctx.Err() != nil:
			return rep, nil
		case err != nil:
			rep.Failed++
			r.Log.Warn("reconcile: trying again later", "job_id", job.ID, "training", job.ProviderJobID, "err", err)
		case res.Outcome == pgstore.OutcomeApplied:
			rep.Applied++
		}
	}
	return rep, nil
}

func (r *Reconciler) one(ctx context.Context, job pgstore.JobRef) (Result, error) {
	in := r.Ingester
	t, err := in.Replicate.Training(ctx, job.ProviderJobID)
	var rej *RejectedError
	if errors.As(err, &rej) && rej.Status == http.StatusNotFound {
		// Deleted at Replicate: it will never report again.
		ev := pgstore.JobEvent{JobID: job.ID, Status: studio.JobFailed,
			Error: "Replicate no longer has training " + job.ProviderJobID + "; start the training again"}
		return in.Apply(ctx, Message{ID: "reconcile:" + job.ProviderJobID + ":missing", Event: ev})
	}
	if err != nil {
		return Result{}, err
	}
	if t.ID == "" {
		t.ID = job.ProviderJobID
	}
	ev, fetch, err := in.replicateEvent(ctx, t, job.ID)
	if err != nil {
		return Result{}, err
	}
	return in.Apply(ctx, Message{ID: reconcileID(t.ID, ev.Status, ev.Progress), Event: ev, fetch: fetch})
}

// Run runs a pass at once, then every r.Every, until ctx is done.
func (r *Reconciler) Run(ctx context.Context) {
	r.defaults()
	t := time.NewTicker(r.Every)
	defer t.Stop()
	for {
		rep, err := r.Once(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			r.Log.Warn("reconcile failed; trying again later", "err", err, "in", r.Every)
		case rep != ReconcileReport{}:
			r.Log.Info("reconciled", "polled", rep.Polled, "applied", rep.Applied, "failed", rep.Failed)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
