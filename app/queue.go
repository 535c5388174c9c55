package app

import (
	"encoding/json"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/sync/outbox"
)

// OutboxService shows and sends the actions that wait for the server (the
// Server panel).
type OutboxService struct{ *core }

// The kinds of action the app queues in the outbox.
const (
	kindConsent  = "consent"          // a consent on its way to the server
	kindWithdraw = "consent_withdraw" // erase everything on the server
	kindJob      = "job"              // start training, with its idempotency key
	kindActivate = "activate"
	kindCancel   = "cancel"
)

// EventOutboxChanged tells the UI that an action waiting for the server was
// settled: sent, or refused for good.
const EventOutboxChanged = "outbox:changed"

// QueuedAction is a server-bound action as the Server panel lists it: one
// still waiting (with when it goes next), or one the server refused, with
// its reason.
type QueuedAction struct {
	ID            int64     `json:"id"`
	Kind          string    `json:"kind"`
	What          string    `json:"what"` // in words
	Status        string    `json:"status"`
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
	Error         string    `json:"error,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

// QueuedActions lists the signed-in account's actions that wait for the
// server, then the ones it refused, oldest first.
func (a *OutboxService) QueuedActions() ([]QueuedAction, error) {
	box, err := a.accountOutbox()
	if err != nil {
		return nil, a.fail("queued actions", err)
	}
	pending, err := box.Pending(a.ctx)
	if err != nil {
		return nil, a.fail("queued actions", err)
	}
	failed, err := box.Failed(a.ctx)
	if err != nil {
		return nil, a.fail("queued actions", err)
	}
	out := []QueuedAction{}
	for _, e := range append(pending, failed...) {
		q := QueuedAction{ID: e.ID, Kind: e.Kind, What: describe(e), Status: e.Status, Attempts: e.Attempts,
			NextAttemptAt: e.NextAttemptAt, CreatedAt: e.CreatedAt, Error: e.LastError}
		out = append(out, q)
	}
	return out, nil
}

// RetryAction puts an action the server refused back in the queue, in its
// place, and sends what is due.
func (a *OutboxService) RetryAction(id int64) error {
	box, err := a.accountOutbox()
	if err != nil {
		return a.fail("retry", err)
	}
	if err := box.Retry(a.ctx, id); err != nil {
		return a.fail("retry", err)
	}
	if _, err := box.Flush(a.ctx, true); err != nil {
		a.log.Warn("outbox flush", "err", err)
	}
	return nil
}

// DismissAction drops an action: a refused one the user has read, or one
// still waiting that they no longer want.
func (a *OutboxService) DismissAction(id int64) error {
	box, err := a.accountOutbox()
	if err != nil {
		return a.fail("dismiss", err)
	}
	if err := box.Dismiss(a.ctx, id); err != nil {
		return a.fail("dismiss", err)
	}
	return nil
}

// SendQueued sends what waits in the outbox now, without waiting for its
// backoff: the user's "Send now" once the network is back.
func (a *OutboxService) SendQueued() (outbox.Report, error) {
	c, err := a.signedIn()
	if err != nil {
		return outbox.Report{}, a.fail("send queued", err)
	}
	box, err := a.outboxFor(c)
	if err != nil {
		return outbox.Report{}, a.fail("send queued", err)
	}
	rep, err := box.Flush(a.ctx, true)
	if err != nil {
		return rep, a.fail("send queued", err)
	}
	return rep, nil
}

func (a *OutboxService) accountOutbox() (*outbox.Outbox, error) {
	c, err := a.signedIn()
	if err != nil {
		return nil, err
	}
	return a.outboxFor(c)
}

// describe says in words what an entry asks of the server.
func describe(e outbox.Entry) string {
	switch e.Kind {
	case kindConsent:
		return "Record your consent on the server"
	case kindWithdraw:
		return "Withdraw your consent and erase your photos and trained files on the server"
	case kindJob:
		var b struct {
			BaseModel string `json:"base_model"`
		}
		_ = json.Unmarshal(e.Body, &b)
		if m, err := studio.LookupBaseModel(b.BaseModel); err == nil {
			return "Start training on " + m.Name
		}
		return "Start training"
	case kindActivate:
		return "Activate a version"
	case kindCancel:
		return "Cancel a training"
	}
	return e.Kind
}
