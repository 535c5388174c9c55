// Package erasure erases everything one user uploaded or trained, when they
// withdraw consent and when the retention period of their consent runs out:
// one procedure for both, so what the consent text promises for one holds
// for the other.
package erasure

import (
	"context"
	"log/slog"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/studio"
)

// Blobs is the object storage the erasure deletes from.
type Blobs interface {
	DeletePrefix(ctx context.Context, prefix string) error
}

// Canceler stops a training job at its GPU provider (training.Provider).
type Canceler interface {
	Cancel(ctx context.Context, job studio.JobRef) error
}

// Eraser erases a user's data. Blobs and Provider may be nil (no storage,
// no training configured).
type Eraser struct {
	Store interface {
		EndConsent(ctx context.Context, userID string, end pgstore.Ending) (pgstore.Erasure, error)
	}
	Blobs    Blobs
	Provider Canceler
	Log      *slog.Logger
}

// Erase ends the user's consent as end says and erases their photos,
// thumbnails and trained files. The stored objects go first, then the rows:
// if the storage fails, nothing is lost from the database and a retry
// finishes. Then it stops the jobs still running (best effort: the
// tombstones make a late webhook delete, never restore, its artifact) and
// erases again what a worker uploaded meanwhile.
//
// Returns storage_unavailable when the storage cannot delete, and
// pgstore.ErrConsentRenewed (nothing erased from the database) when
// end.Consent is no longer the user's newest live consent.
func (e Eraser) Erase(ctx context.Context, userID string, end pgstore.Ending) (pgstore.Erasure, error) {
	log := e.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if e.Blobs != nil {
		if err := e.Blobs.DeletePrefix(ctx, pgstore.KeyPrefix(userID)); err != nil {
			return pgstore.Erasure{}, studio.Wrap(err, studio.EStorageUnavailable, "could not erase your photos from storage; nothing was withdrawn yet, try again")
		}
	}
	r, err := e.Store.EndConsent(ctx, userID, end)
	if err != nil {
		return pgstore.Erasure{}, err
	}
	for _, j := range r.Canceled {
		if e.Provider != nil && j.Status != "queued" {
			if err := e.Provider.Cancel(ctx, j); err != nil {
				log.Warn("could not cancel a job at its provider", "job_id", j.ID, "err", err)
			}
		}
	}
	if e.Blobs != nil {
		if err := e.Blobs.DeletePrefix(ctx, pgstore.KeyPrefix(userID)); err != nil {
			log.Warn("second erasure pass failed; late webhooks and the sweep still delete artifacts", "err", err)
		}
	}
	log.Info("consent ended; data erased", "user_id", userID, "reason", end.Reason, "datasets", r.Datasets, "photos", r.Items, "versions", r.Versions, "jobs_canceled", r.Jobs)
	return r, nil
}
