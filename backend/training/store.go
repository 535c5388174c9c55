package training

import (
	"context"
	"time"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/studio"
)

// DispatchStore is what a Dispatcher needs of the database: the job to
// send, and where the sending got to. *pgstore.Store implements it.
type DispatchStore interface {
	// JobForDispatch loads a job with its version and photos. Returns
	// ENotFound when the job was erased: nothing to dispatch.
	JobForDispatch(ctx context.Context, jobID string) (pgstore.DispatchJob, error)
	// CountDispatchTry records one more attempt and returns the count.
	CountDispatchTry(ctx context.Context, jobID string) (int, error)
	// MarkDispatched moves a queued job to dispatched with the provider's
	// id; false when the job had moved on already or was erased.
	MarkDispatched(ctx context.Context, jobID, providerJobID string) (bool, error)
	// FailJob fails a job that is not final; false when it was.
	FailJob(ctx context.Context, jobID, msg string) (bool, error)
	// JobRef returns ENotFound.
	JobRef(ctx context.Context, jobID string) (studio.JobRef, error)
}

// IngestStore is what an Ingester (and the Reconciler through it) needs of
// the database: finding jobs and applying events to them, each webhook id
// once. *pgstore.Store implements it.
type IngestStore interface {
	// ApplyJob records ev's webhook id and applies ev: states only move
	// forward, a webhook id seen before changes nothing.
	ApplyJob(ctx context.Context, ev pgstore.JobEvent) (pgstore.Applied, error)
	// WebhookOutcome returns the recorded outcome of a webhook id, "" if unseen.
	WebhookOutcome(ctx context.Context, webhookID string) (string, error)
	// JobRef and JobRefByProvider return ENotFound.
	JobRef(ctx context.Context, jobID string) (studio.JobRef, error)
	JobRefByProvider(ctx context.Context, provider, providerJobID string) (studio.JobRef, error)
	// ClaimSilentJobs claims up to limit dispatched or running jobs of
	// provider unchanged since cutoff, so that no other replica claims them.
	ClaimSilentJobs(ctx context.Context, provider string, cutoff time.Time, limit int) ([]studio.JobRef, error)
	// Version and NamedVersion return ENotFound.
	Version(ctx context.Context, userID, id string) (studio.Version, error)
	NamedVersion(ctx context.Context, userID, id string) (pgstore.NamedVersion, error)
}

var (
	_ DispatchStore = (*pgstore.Store)(nil)
	_ IngestStore   = (*pgstore.Store)(nil)
)
