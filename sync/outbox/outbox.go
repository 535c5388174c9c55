// Package outbox keeps the desktop's server-bound actions (consent, job
// creation with its idempotency key, activation...) in SQLite and sends
// them, in order, until the server has them: retried with exponential
// backoff and jitter while offline, removed on success, and kept as failed,
// with the server's message, when the server refuses them for good.
package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/promptforge/lorastudio/internal/backoff"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/sync/client"
)

// Sender sends one request; *client.Client is one. Its errors must carry
// the HTTP status as client.Status reads it (0 when nothing answered).
type Sender interface {
	DoRaw(ctx context.Context, method, path string, body []byte, hdr http.Header, out any) error
}

// Config holds an Outbox's dependencies.
type Config struct {
	DB     *sql.DB // the local store's database, migrated
	Sender Sender
	// Account names whose entries these are (the app uses "email on
	// server"). An Outbox sends, lists and settles only its account's
	// entries: Sender's token must never carry another account's action.
	Account string
	// Base is the first retry delay (default 2s), doubled on each failure
	// up to Max (default 5 min), with jitter: a delay d is drawn uniformly
	// from [d/2, d]. A Retry-After from the server is honoured when longer.
	Base, Max time.Duration
	// Done, if set, is called once an entry is settled: with the server's
	// answer when it accepted it (err nil), or with the refusal when it
	// failed for good. The App records server ids here.
	Done func(ctx context.Context, e Entry, response json.RawMessage, err error)
	Now  func() time.Time
	Log  *slog.Logger
}

// Outbox is the queue. Its methods are safe for concurrent use; Flush and
// Run send one entry at a time.
type Outbox struct {
	cfg  Config
	wake chan struct{}
	send sync.Mutex
}

// Action is a request to deliver.
type Action struct {
	Kind           string // consent, consent_withdraw, job, activate...
	Method         string // default POST
	Path           string // e.g. wire.PathJobs
	Body           any    // encoded as JSON; nil for none
	IdempotencyKey string // sent as Idempotency-Key
	Ref            string // the local id the action is about
}

// Entry statuses.
const (
	StatusPending = "pending"
	StatusFailed  = "failed" // refused for good: see LastError
)

// Entry is a queued action.
type Entry struct {
	ID             int64           `json:"id"`
	Kind           string          `json:"kind"`
	Method         string          `json:"method"`
	Path           string          `json:"path"`
	Body           json.RawMessage `json:"body,omitempty"`
	IdempotencyKey string          `json:"idempotency_key,omitempty"`
	Ref            string          `json:"ref,omitempty"`
	Status         string          `json:"status"`
	Attempts       int             `json:"attempts"`
	NextAttemptAt  time.Time       `json:"next_attempt_at"`
	LastStatus     int             `json:"last_status,omitempty"`
	LastCode       string          `json:"last_code,omitempty"`
	LastError      string          `json:"last_error,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
}

// Report says what one Flush did.
type Report struct {
	Sent    int `json:"sent"`    // accepted and removed
	Failed  int `json:"failed"`  // refused for good
	Waiting int `json:"waiting"` // still pending
}

// New returns an Outbox. Returns EInvalid without DB or Sender.
func New(cfg Config) (*Outbox, error) {
	if cfg.DB == nil || cfg.Sender == nil {
		return nil, studio.Errorf(studio.EInvalid, "outbox: DB and Sender are required")
	}
	if cfg.Base <= 0 {
		cfg.Base = 2 * time.Second
	}
	if cfg.Max <= 0 {
		cfg.Max = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Outbox{cfg: cfg, wake: make(chan struct{}, 1)}, nil
}

const timeFormat = "2006-01-02T15:04:05.000Z07:00"

func (o *Outbox) format(t time.Time) string { return t.UTC().Format(timeFormat) }

// Enqueue writes an action to the outbox, due now, and wakes Run. The
// action is durable once Enqueue returns; it is sent by Flush or Run.
// Returns EInvalid for an action without kind or path.
func (o *Outbox) Enqueue(ctx context.Context, a Action) (int64, error) {
	if a.Kind == "" || a.Path == "" {
		return 0, studio.Errorf(studio.EInvalid, "outbox: an action needs a kind and a path")
	}
	if a.Method == "" {
		a.Method = http.MethodPost
	}
	var body []byte
	if a.Body != nil {
		var err error
		if body, err = json.Marshal(a.Body); err != nil {
			return 0, fmt.Errorf("outbox: encode %s: %w", a.Kind, err)
		}
	}
	now := o.format(o.cfg.Now())
	res, err := o.cfg.DB.ExecContext(ctx,
		`INSERT INTO sync_outbox (account, kind, method, path, body, idempotency_key, ref, next_attempt_at, created_at, updated_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.cfg.Account, a.Kind, a.Method, a.Path, string(body), a.IdempotencyKey, a.Ref, now, now, now)
	if err != nil {
		return 0, fmt.Errorf("outbox: enqueue %s: %w", a.Kind, err)
	}
	id, _ := res.LastInsertId()
	o.Kick()
	return id, nil
}

// Kick wakes Run, e.g. when the network comes back or the user signs in.
// Pending entries are then tried at once rather than after their backoff.
func (o *Outbox) Kick() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Flush sends the due entries in the order they were queued. An entry the
// server accepts is removed; one it refuses for good (a 4xx other than 408
// and 429, and other than 401 and a 409 idempotency_key_in_flight,
// which may yet succeed) is marked failed and the next one goes; on any other failure
// the entry is rescheduled with backoff and Flush stops there, so that
// later actions never overtake earlier ones (a job never goes before the
// consent it needs). force sends the head entry even if its backoff has
// not elapsed.
func (o *Outbox) Flush(ctx context.Context, force bool) (Report, error) {
	o.send.Lock()
	defer o.send.Unlock()
	var rep Report
	for {
		e, ok, err := o.head(ctx)
		if err != nil {
			return rep, err
		}
		if !ok {
			return rep, nil
		}
		if !force && e.NextAttemptAt.After(o.cfg.Now()) {
			rep.Waiting, err = o.countPending(ctx)
			return rep, err
		}
		force = false
		var resp json.RawMessage
		var hdr http.Header
		if e.IdempotencyKey != "" {
			hdr = http.Header{"Idempotency-Key": {e.IdempotencyKey}}
		}
		var body []byte
		if len(e.Body) > 0 {
			body = e.Body
		}
		serr := o.cfg.Sender.DoRaw(ctx, e.Method, e.Path, body, hdr, &resp)
		if serr != nil && ctx.Err() != nil {
			return rep, ctx.Err()
		}
		switch {
		case serr == nil:
			if _, err := o.cfg.DB.ExecContext(ctx, `DELETE FROM sync_outbox WHERE id = ?`, e.ID); err != nil {
				return rep, fmt.Errorf("outbox: remove %d: %w", e.ID, err)
			}
			rep.Sent++
			o.cfg.Log.Info("outbox: sent", "id", e.ID, "kind", e.Kind, "attempts", e.Attempts+1)
			if o.cfg.Done != nil {
				o.cfg.Done(ctx, e, resp, nil)
			}
		case permanent(serr):
			if err := o.settle(ctx, e, StatusFailed, e.NextAttemptAt, serr); err != nil {
				return rep, err
			}
			rep.Failed++
			o.cfg.Log.Warn("outbox: refused", "id", e.ID, "kind", e.Kind, "status", client.Status(serr), "err", serr)
			if o.cfg.Done != nil {
				e.Status, e.LastStatus, e.LastCode, e.LastError = StatusFailed, client.Status(serr), studio.ErrorCode(serr), studio.ErrorMessage(serr)
				o.cfg.Done(ctx, e, nil, serr)
			}
		default:
			d := max(o.delay(e.Attempts+1), client.RetryAfter(serr))
			if err := o.settle(ctx, e, StatusPending, o.cfg.Now().Add(d), serr); err != nil {
				return rep, err
			}
			o.cfg.Log.Info("outbox: will retry", "id", e.ID, "kind", e.Kind, "in", d, "err", serr)
			rep.Waiting, err = o.countPending(ctx)
			return rep, err
		}
	}
}

// permanent reports a refusal that sending again cannot change.
func permanent(err error) bool {
	s := client.Status(err)
	switch {
	case s < 400 || s >= 500:
		return false
	case s == http.StatusRequestTimeout, s == http.StatusTooManyRequests:
		return false
	case s == http.StatusUnauthorized:
		return false // signed out or token expired: it goes once the user signs in
	case s == http.StatusConflict && studio.ErrorCode(err) == studio.EIdempotencyKeyInFlight:
		return false // the same Idempotency-Key is still being processed
	}
	return true
}

// delay is the backoff before attempt n+1: Base·2^(n-1), capped at Max,
// drawn from [d/2, d].
func (o *Outbox) delay(n int) time.Duration {
	return backoff.Policy{Base: o.cfg.Base, Max: o.cfg.Max}.Delay(n)
}

func (o *Outbox) settle(ctx context.Context, e Entry, status string, next time.Time, cause error) error {
	_, err := o.cfg.DB.ExecContext(ctx,
		`UPDATE sync_outbox SET status = ?, attempts = attempts + 1, next_attempt_at = ?, last_status = ?, last_code = ?,
		 last_error = ?, updated_at = ? WHERE id = ?`,
		status, o.format(next), client.Status(cause), studio.ErrorCode(cause), studio.ErrorMessage(cause), o.format(o.cfg.Now()), e.ID)
	if err != nil {
		return fmt.Errorf("outbox: record attempt %d: %w", e.ID, err)
	}
	return nil
}

// Run flushes the outbox until ctx is done: whenever an entry is due,
// whenever Enqueue or Kick wakes it, and at least every minute. It returns
// ctx's error.
func (o *Outbox) Run(ctx context.Context) error {
	force := false
	for {
		if _, err := o.Flush(ctx, force); err != nil && ctx.Err() == nil {
			o.cfg.Log.Warn("outbox: flush", "err", err)
		}
		wait := time.Minute
		if next, ok, err := o.nextDue(ctx); err == nil && ok {
			wait = min(wait, max(next.Sub(o.cfg.Now()), 0))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-o.wake:
			force = true
		case <-t.C:
			force = false
		}
		t.Stop()
	}
}

func (o *Outbox) head(ctx context.Context) (Entry, bool, error) {
	es, err := o.list(ctx, `AND status = 'pending' ORDER BY id LIMIT 1`)
	if err != nil || len(es) == 0 {
		return Entry{}, false, err
	}
	return es[0], true, nil
}

func (o *Outbox) nextDue(ctx context.Context) (time.Time, bool, error) {
	e, ok, err := o.head(ctx)
	return e.NextAttemptAt, ok, err
}

func (o *Outbox) countPending(ctx context.Context) (int, error) {
	var n int
	err := o.cfg.DB.QueryRowContext(ctx, `SELECT count(*) FROM sync_outbox WHERE account = ? AND status = 'pending'`, o.cfg.Account).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	return n, nil
}

// Pending lists the entries still to send, in order.
func (o *Outbox) Pending(ctx context.Context) ([]Entry, error) {
	return o.list(ctx, `AND status = 'pending' ORDER BY id`)
}

// Failed lists the entries the server refused for good, with its reasons.
func (o *Outbox) Failed(ctx context.Context) ([]Entry, error) {
	return o.list(ctx, `AND status = 'failed' ORDER BY id`)
}

// Retry puts a failed entry back at its place in the queue, due now.
// Returns ENotFound if it is not a failed entry.
func (o *Outbox) Retry(ctx context.Context, id int64) error {
	res, err := o.cfg.DB.ExecContext(ctx,
		`UPDATE sync_outbox SET status = 'pending', next_attempt_at = ?, updated_at = ? WHERE id = ? AND account = ? AND status = 'failed'`,
		o.format(o.cfg.Now()), o.format(o.cfg.Now()), id, o.cfg.Account)
	if err != nil {
		return fmt.Errorf("outbox: retry %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return studio.Errorf(studio.ENotFound, "no failed action %d", id)
	}
	o.Kick()
	return nil
}

// Dismiss removes an entry (a failed one the user has read, typically).
// Returns ENotFound.
func (o *Outbox) Dismiss(ctx context.Context, id int64) error {
	res, err := o.cfg.DB.ExecContext(ctx, `DELETE FROM sync_outbox WHERE id = ? AND account = ?`, id, o.cfg.Account)
	if err != nil {
		return fmt.Errorf("outbox: dismiss %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return studio.Errorf(studio.ENotFound, "no action %d", id)
	}
	return nil
}

// list returns the account's entries; and continues the WHERE clause.
func (o *Outbox) list(ctx context.Context, and string) ([]Entry, error) {
	rows, err := o.cfg.DB.QueryContext(ctx,
		`SELECT id, kind, method, path, body, idempotency_key, ref, status, attempts, next_attempt_at,
		        last_status, last_code, last_error, created_at FROM sync_outbox WHERE account = ? `+and, o.cfg.Account)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var body, next, created string
		if err := rows.Scan(&e.ID, &e.Kind, &e.Method, &e.Path, &body, &e.IdempotencyKey, &e.Ref, &e.Status, &e.Attempts, &next,
			&e.LastStatus, &e.LastCode, &e.LastError, &created); err != nil {
			return nil, fmt.Errorf("outbox: %w", err)
		}
		if body != "" {
			e.Body = json.RawMessage(body)
		}
		e.NextAttemptAt = parseTime(next)
		e.CreatedAt = parseTime(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

func parseTime(s string) time.Time {
	for _, f := range []string{timeFormat, time.RFC3339Nano} {
		if t, err := time.Parse(f, s); err == nil {
			return t
		}
	}
	return time.Time{}
}
