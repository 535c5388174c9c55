// Package purge deletes what the backend keeps only for a while: the data
// of users whose consent's retention period ran out (erased exactly as a
// withdrawal erases it), expired idempotency keys, old webhook ids,
// multipart uploads abandoned in the local store, and, once every URL
// signed before an erasure has expired, whatever a late upload through one
// brought back. Every replica may run it: each pass is a set of idempotent
// deletes.
package purge

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/backend/erasure"
	"github.com/promptforge/lorastudio/backend/pgstore"
)

// Defaults.
const (
	DefaultEvery   = time.Hour
	DefaultEvents  = 30 * 24 * time.Hour // webhook ids: the signature tolerance is 5 minutes
	DefaultUploads = 7 * 24 * time.Hour  // a multipart upload not finished within a week is abandoned
)

// Config says what to purge and how often.
type Config struct {
	Store *pgstore.Store
	Blobs blob.Store // its abandoned uploads are purged when it can say which (the local store)
	// Provider stops the running jobs of a user whose consent expired
	// (training.Provider); nil when training is off.
	Provider erasure.Canceler
	Every    time.Duration // between passes, default DefaultEvery
	Events   time.Duration // webhook ids are kept this long, default DefaultEvents
	Uploads  time.Duration // unfinished multipart uploads are kept this long, default DefaultUploads
	Now      func() time.Time
	Log      *slog.Logger
}

// uploadPurger is a store that can find its abandoned uploads.
type uploadPurger interface {
	PurgeUploads(ctx context.Context, cutoff time.Time) (int, error)
}

// Report says what one pass deleted.
type Report struct {
	Keys    int64 `json:"idempotency_keys"`
	Events  int64 `json:"webhook_ids"`
	Uploads int   `json:"uploads"`
	Swept   int   `json:"erased_keys_swept"`
	Expired int   `json:"consents_expired"` // users erased because their consent's retention ran out
}

// sweepBatch bounds one pass's second sweep, expireBatch its retention
// erasures; the rest waits an hour.
const (
	sweepBatch  = 500
	expireBatch = 100
)

func (c *Config) defaults() {
	if c.Every <= 0 {
		c.Every = DefaultEvery
	}
	if c.Events <= 0 {
		c.Events = DefaultEvents
	}
	if c.Uploads <= 0 {
		c.Uploads = DefaultUploads
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// Once runs one pass.
func Once(ctx context.Context, cfg Config) (Report, error) {
	cfg.defaults()
	var r Report
	var err error
	if r.Keys, r.Events, err = cfg.Store.PurgeExpired(ctx, cfg.Events); err != nil {
		return r, err
	}
	if r.Swept, err = sweep(ctx, cfg); err != nil {
		return r, err
	}
	if p, ok := cfg.Blobs.(uploadPurger); ok {
		if r.Uploads, err = p.PurgeUploads(ctx, cfg.Now().Add(-cfg.Uploads)); err != nil {
			return r, err
		}
	}
	// Last: a storage outage stops this step, not the purges above.
	if r.Expired, err = expire(ctx, cfg); err != nil {
		return r, err
	}
	return r, nil
}

// expire erases the data of every user whose newest consent outlived its
// retention period, with the same erasure as a withdrawal, and marks the
// consent ended by retention.
func expire(ctx context.Context, cfg Config) (int, error) {
	now := cfg.Now()
	cs, err := cfg.Store.ExpiredConsents(ctx, now, expireBatch)
	if err != nil {
		return 0, err
	}
	er := erasure.Eraser{Store: cfg.Store, Blobs: cfg.Blobs, Provider: cfg.Provider, Log: cfg.Log}
	n := 0
	for _, c := range cs {
		_, err := er.Erase(ctx, c.UserID, pgstore.Ending{Reason: pgstore.EndRetention, At: now, Consent: c.ID})
		switch {
		case errors.Is(err, pgstore.ErrConsentRenewed):
			// Withdrawn, expired by another replica, or consented again.
		case err != nil:
			return n, err
		default:
			n++
		}
	}
	return n, nil
}

// sweep deletes again what was erased SweepDelay ago: a key, or a prefix
// ending in "/".
func sweep(ctx context.Context, cfg Config) (int, error) {
	if cfg.Blobs == nil {
		return 0, nil
	}
	keys, err := cfg.Store.DueErasedKeys(ctx, cfg.Now(), sweepBatch)
	if err != nil {
		return 0, err
	}
	for i, k := range keys {
		if strings.HasSuffix(k, "/") {
			err = cfg.Blobs.DeletePrefix(ctx, k)
		} else {
			err = cfg.Blobs.Delete(ctx, k)
		}
		if err == nil {
			err = cfg.Store.SweptErasedKey(ctx, k)
		}
		if err != nil {
			return i, err
		}
	}
	return len(keys), nil
}

// Run runs a pass at once, then every cfg.Every, until ctx is done. A
// failed pass is logged and tried again at the next tick.
func Run(ctx context.Context, cfg Config) {
	cfg.defaults()
	t := time.NewTicker(cfg.Every)
	defer t.Stop()
	for {
		r, err := Once(ctx, cfg)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			cfg.Log.Warn("purge failed; trying again later", "err", err, "in", cfg.Every)
		case r != Report{}:
			cfg.Log.Info("purged", "consents_expired", r.Expired, "idempotency_keys", r.Keys, "webhook_ids", r.Events, "uploads", r.Uploads, "erased_keys_swept", r.Swept)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
