package pgstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/promptforge/lorastudio/internal/groupcommit"
	"github.com/promptforge/lorastudio/internal/studio"
)

// Group commit of job events. Webhooks arrive by the thousand per second
// under load (progress reports), and applied one transaction each they
// cost six round trips and a WAL flush apiece. ApplyJob instead joins the
// events that arrive while another batch is being written and applies
// them together in one transaction of two round trips, whatever their
// number, writing each webhook id once and each job once: the outcome of
// each is the one applying them one after another in arrival order would
// give.

// applyBatch bounds a batch of events: enough to amortise the round trips,
// few enough that the jobs' row locks are held briefly. applySlots is how
// many batches one process writes at once: one, because events only
// gather while a batch is in flight; with more, each arriving webhook
// found a free slot and went alone (a transaction per event again), and
// at 2,000 webhooks/s through three replicas the p99 was 3 to 20 times
// worse with four slots than with one (bench/replicas, same machine).
// Replicas still write one batch each at once.
const (
	applyBatch = 64
	applySlots = 1
)

// The statements of a batch that find rows, each by its primary key
// (TestApplyJobsLookupsUseIndexes checks their plans).
const (
	sqlLockJob     = `SELECT status, lora_version_id::text, progress FROM lora_jobs WHERE id = $1 FOR UPDATE`
	sqlErased      = `SELECT job_id::text, artifact_key FROM erased_jobs WHERE job_id = ANY($1::uuid[])`
	sqlSeenWebhook = `SELECT true FROM webhook_events WHERE webhook_id = $1`
	sqlUpdateJob   = `UPDATE lora_jobs SET status = $2, progress = $3, error = CASE WHEN $4 THEN $5 ELSE error END,
		 artifact_size = CASE WHEN $6 THEN $7 ELSE artifact_size END,
		 logs_url = coalesce(nullif($8, ''), logs_url), updated_at = $9 WHERE id = $1`
)

func (s *Store) applier() *groupcommit.Group[JobEvent, Applied] {
	s.applyOnce.Do(func() {
		s.apply = &groupcommit.Group[JobEvent, Applied]{Run: s.ApplyJobs, Max: applyBatch, Slots: applySlots}
	})
	return s.apply
}

// ApplyJobs records each event's webhook id and applies the events, in
// one transaction, as ApplyJob would one after another in their order: an
// id seen before (or earlier in evs) is a duplicate and changes nothing.
//
// Locks are taken in one order by every batch (the jobs' rows by id, then
// the webhook ids' index entries, sorted), so concurrent batches, on this
// replica or another, wait for each other but never deadlock.
func (s *Store) ApplyJobs(ctx context.Context, evs []JobEvent) ([]Applied, error) {
	out := make([]Applied, len(evs))
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("pgstore: apply job events: %w", err)
	}
	defer conn.Release()
	if err := s.applyJobs(ctx, conn.Conn(), evs, out); err != nil {
		// A transaction left open is rolled back here; a connection that
		// cannot even do that is closed by the pool on release.
		if conn.Conn().PgConn().TxStatus() != 'I' {
			_, _ = conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
		return nil, fmt.Errorf("pgstore: apply job events: %w", err)
	}
	return out, nil
}

// batchJob is a job as a batch sees it: read locked, then moved in memory
// by each applied event, then written once.
type batchJob struct {
	status, versionID string
	progress          float64
	// What the batch writes, once per job.
	touched      bool
	logsURL      string // last non-empty one applied
	errText      string
	artifactSize int64
	succeeded    *JobEvent
	failed       bool
	checkpoints  []Checkpoint
}

// applyJobs is a transaction of two round trips: the first opens it
// (BEGIN travels in the pipeline), locks the jobs and reads what is
// known; the second writes and commits. A batch with an event of a job
// that is gone takes one more, to look for its tombstone.
//
// Each webhook id is written once, with its outcome. It is new when the
// first round trip does not find it: a job's events are serialised by its
// row lock, so a delivery of the same id racing on another replica waits
// for this one to commit and then finds it. Only an event of no job (no
// lock to wait on) can race, and it changes nothing; the one that loses
// the insert is answered duplicate.
func (s *Store) applyJobs(ctx context.Context, conn *pgx.Conn, evs []JobEvent, out []Applied) error {
	var ids, webhookIDs []string
	first := map[string]int{}
	for i, ev := range evs {
		if validUUID(ev.JobID) && !slices.Contains(ids, ev.JobID) {
			ids = append(ids, ev.JobID)
		}
		if _, ok := first[ev.WebhookID]; !ok {
			first[ev.WebhookID] = i
			webhookIDs = append(webhookIDs, ev.WebhookID)
		}
	}
	slices.Sort(ids)
	slices.Sort(webhookIDs) // one insert order for every batch: no deadlock between them

	// One statement per job and per id, each a lookup of its primary key:
	// as "= ANY" of an array, the planner scanned whole tables (a webhook
	// id is kept 30 days) whenever their statistics were behind. The jobs
	// are locked one after another in id order.
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	jobs := map[string]*batchJob{}
	for _, id := range ids {
		b.Queue(sqlLockJob, id).
			Query(func(rows pgx.Rows) error {
				var p float32
				j := &batchJob{}
				_, err := pgx.ForEachRow(rows, []any{&j.status, &j.versionID, &p}, func() error {
					j.progress = float64(p)
					jobs[id] = j
					return nil
				})
				return err
			})
	}
	seen := map[string]bool{}
	for _, id := range webhookIDs {
		b.Queue(sqlSeenWebhook, id).
			Query(func(rows pgx.Rows) error {
				var found bool
				_, err := pgx.ForEachRow(rows, []any{&found}, func() error { seen[id] = found; return nil })
				return err
			})
	}
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	// A job not found was erased (a tombstone says which) or never was.
	// Rare, so it costs a round trip of its own rather than a statement in
	// every batch. An erasure removes the row and writes the tombstone in
	// one transaction, committed before the lock found no row: this later
	// statement sees the tombstone.
	var missing []string
	for _, id := range ids {
		if jobs[id] == nil {
			missing = append(missing, id)
		}
	}
	erased := map[string]string{}
	if len(missing) > 0 {
		rows, _ := conn.Query(ctx, sqlErased, missing)
		var id, key string
		if _, err := pgx.ForEachRow(rows, []any{&id, &key}, func() error { erased[id] = key; return nil }); err != nil {
			return err
		}
	}

	// In memory: each event in order, against its job as the ones before
	// it left it.
	fresh := func(i int) bool { return !seen[evs[i].WebhookID] && first[evs[i].WebhookID] == i }
	for i, ev := range evs {
		switch {
		case !fresh(i):
			out[i] = Applied{Outcome: OutcomeDuplicate}
		case !validUUID(ev.JobID):
			out[i] = Applied{Outcome: OutcomeUnknown}
		case jobs[ev.JobID] == nil:
			if key, ok := erased[ev.JobID]; ok {
				out[i] = Applied{Outcome: OutcomeErased, ErasedKey: key}
			} else {
				out[i] = Applied{Outcome: OutcomeUnknown}
			}
		default:
			out[i] = jobs[ev.JobID].apply(ev)
		}
	}

	// Round trip 2: the webhook ids with their outcomes, each job once,
	// the versions, the checkpoints, the commit.
	var rowIDs []string
	var rowJobs []*string
	var rowStatus, rowOutcome []string
	for _, id := range webhookIDs {
		i := first[id]
		if !fresh(i) {
			continue
		}
		var j *string
		if validUUID(evs[i].JobID) {
			j = &evs[i].JobID
		}
		rowIDs, rowJobs = append(rowIDs, id), append(rowJobs, j)
		rowStatus, rowOutcome = append(rowStatus, evs[i].Status), append(rowOutcome, out[i].Outcome)
	}
	now := s.Now()
	b = &pgx.Batch{}
	inserted := map[string]bool{}
	if len(rowIDs) > 0 {
		b.Queue(`INSERT INTO webhook_events (webhook_id, job_id, status, outcome, received_at)
			 SELECT w, j, st, o, $5 FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[]) WITH ORDINALITY AS t(w, j, st, o, n) ORDER BY n
			 ON CONFLICT (webhook_id) DO NOTHING RETURNING webhook_id`, rowIDs, rowJobs, rowStatus, rowOutcome, now).
			Query(func(rows pgx.Rows) error {
				var id string
				_, err := pgx.ForEachRow(rows, []any{&id}, func() error { inserted[id] = true; return nil })
				return err
			})
	}
	for _, id := range ids {
		j := jobs[id]
		if j == nil || !j.touched {
			continue
		}
		b.Queue(sqlUpdateJob, id, j.status, j.progress, j.failed, j.errText, j.succeeded != nil, j.artifactSize, j.logsURL, now)
		switch {
		case j.succeeded != nil:
			b.Queue(`UPDATE lora_versions SET status = 'ready', artifact_url = $2, artifact_sha256 = $3, artifact_size = $4 WHERE id = $1`,
				j.versionID, j.succeeded.ArtifactKey, j.succeeded.ArtifactSHA256, j.succeeded.ArtifactSize)
		case j.failed:
			b.Queue(`UPDATE lora_versions SET status = 'failed' WHERE id = $1 AND status = 'pending'`, j.versionID)
		}
		for _, c := range j.checkpoints {
			c.JobID = id
			if err := queueCheckpoint(b, c); err != nil {
				return err
			}
		}
	}
	b.Queue("COMMIT")
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	if st := conn.PgConn().TxStatus(); st != 'I' {
		return fmt.Errorf("the transaction did not commit (status %c)", st)
	}
	for i, ev := range evs {
		if fresh(i) && !inserted[ev.WebhookID] {
			// Another delivery of this id, of no job, got there first.
			out[i] = Applied{Outcome: OutcomeDuplicate}
		}
	}
	return nil
}

// apply moves j by ev, as one transaction per event would move its row,
// and says what became of ev.
func (j *batchJob) apply(ev JobEvent) Applied {
	if !studio.JobCanMove(j.status, ev.Status) {
		return Applied{Outcome: OutcomeIgnored, Status: j.status}
	}
	j.touched = true
	j.status = ev.Status
	if ev.LogsURL != "" {
		j.logsURL = ev.LogsURL
	}
	switch ev.Status {
	case studio.JobSucceeded:
		j.progress, j.artifactSize = 1, ev.ArtifactSize
		e := ev
		j.succeeded = &e
	case studio.JobFailed, studio.JobCanceled:
		j.failed, j.errText = true, ev.Error
	default: // dispatched, running
		j.progress = max(j.progress, min(max(ev.Progress, 0), 1))
	}
	if ev.Checkpoint != nil {
		j.checkpoints = append(j.checkpoints, *ev.Checkpoint)
	}
	return Applied{Outcome: OutcomeApplied, Status: ev.Status}
}
