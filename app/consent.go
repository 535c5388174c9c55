package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/promptforge/lorastudio/app/localstore"
	"github.com/promptforge/lorastudio/internal/consent"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/sync/client"
	"github.com/promptforge/lorastudio/sync/outbox"
)

// ConsentText is the text the user reads before the first photo, the same
// bytes whose hash the backend records.
func (a *App) ConsentText() consent.Text { return consent.Current }

// ConsentStatus says whether consent is on record on this computer.
type ConsentStatus struct {
	Given     bool       `json:"given"`
	Version   string     `json:"version,omitempty"`
	GivenAt   *time.Time `json:"given_at,omitempty"`
	Outdated  bool       `json:"outdated"` // given to an older text: ask again
	Synced    bool       `json:"synced"`   // recorded on the server too
	Retention int        `json:"retention_days,omitempty"`
}

// GetConsent returns the consent on record, if any.
func (a *App) GetConsent() (ConsentStatus, error) {
	c, err := a.store.LatestConsent(a.ctx)
	if studio.ErrorCode(err) == studio.ENotFound {
		return ConsentStatus{}, nil
	}
	if err != nil {
		return ConsentStatus{}, a.fail("read consent", err)
	}
	return ConsentStatus{Given: true, Version: c.TextVersion, GivenAt: &c.CreatedAt, Outdated: c.TextVersion != consent.Current.Version,
		Synced: c.ServerID != "", Retention: c.RetentionDays}, nil
}

// GiveConsent records consent to the current text. attestSelf is the
// user's statement that every photo shows themselves; without it nothing
// is recorded.
func (a *App) GiveConsent(attestSelf bool) (ConsentStatus, error) {
	if !attestSelf {
		return ConsentStatus{}, a.fail("give consent", studio.Errorf("attestation_required", "confirm that every photo will show you; photos of anyone else are not allowed"))
	}
	cur := consent.Current
	procs, _ := json.Marshal([]string{"storage: this computer; once you sign in, the LoRA Studio server's storage", "training: the GPU provider you choose when you start training"})
	if err := a.store.RecordConsent(a.ctx, localstore.Consent{
		ID: localstore.NewID(), TextVersion: cur.Version, TextSHA256: cur.SHA256, Purpose: cur.Purpose,
		Processors: string(procs), RetentionDays: 365,
	}); err != nil {
		return ConsentStatus{}, a.fail("give consent", err)
	}
	a.log.Info("consent recorded locally", "version", cur.Version)
	return a.GetConsent()
}

// Erased says what a withdrawal removed.
type Erased struct {
	Photos int `json:"photos"` // from this computer
	// Server is "erased" when the server erased the uploaded photos and
	// trained files too, "queued" when it will once it answers (the
	// request waits in the outbox), "" when not signed in.
	Server string `json:"server,omitempty"`
}

// WithdrawConsent erases every imported photo and thumbnail from the data
// folder and the database, and marks the consent withdrawn. The user's own
// originals, wherever they are, are not touched.
func (a *App) WithdrawConsent() (Erased, error) {
	n, err := a.store.EraseDatasets(a.ctx)
	if err != nil {
		return Erased{}, a.fail("withdraw consent", err)
	}
	// Rows first, then files: a crash in between leaves only files that no
	// row points at, which the next withdrawal (or start) removes.
	for _, dir := range []string{"datasets", "uploads"} { // imported copies, thumbnails, stripped copies
		if err := os.RemoveAll(filepath.Join(a.dataDir, dir)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return Erased{}, a.fail("withdraw consent", fmt.Errorf("erase photos: %w", err))
		}
	}
	e := Erased{Photos: n}
	// The server erases what was uploaded and trained. Through the outbox:
	// offline, the withdrawal waits there and goes first when it can.
	if c, err := a.signedIn(); err == nil {
		e.Server = "queued"
		if box, err := a.outboxFor(c); err == nil {
			// Training asked for before the withdrawal must never start
			// after it, and must not hold the withdrawal back in the queue.
			if pending, err := box.Pending(a.ctx); err == nil {
				for _, p := range pending {
					if p.Kind == "job" || p.Kind == "activate" {
						_ = box.Dismiss(a.ctx, p.ID)
					}
				}
			}
			if id, err := box.Enqueue(a.ctx, outbox.Action{Kind: "consent_withdraw", Path: client.PathConsentWithdraw}); err == nil {
				_, _ = box.Flush(a.ctx, true)
				if o, ok := a.acct.outcome(id); ok && o.err == nil {
					e.Server = "erased"
				}
			}
		}
	}
	a.log.Info("consent withdrawn; photos erased", "photos", n, "server", e.Server)
	a.rt.Emit(a.ctx, "consent:withdrawn", e)
	return e, nil
}

// requireConsent refuses to take in face photos without consent on record.
func (a *App) requireConsent(ctx context.Context) error {
	c, err := a.store.LatestConsent(ctx)
	if studio.ErrorCode(err) == studio.ENotFound {
		return studio.Errorf("consent_required", "give consent before adding photos of your face")
	}
	if err != nil {
		return err
	}
	if c.TextVersion != consent.Current.Version {
		return studio.Errorf("consent_outdated", "the consent text changed; read it and consent again before adding photos")
	}
	return nil
}
