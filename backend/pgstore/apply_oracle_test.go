package pgstore_test

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/studio"
)

// applyOneByOne is the oracle of the batched ApplyJobs: ApplyJob as it was
// before group commit (commit 2ee30da), one transaction of plain
// statements per event, kept here to compare against.
func applyOneByOne(ctx context.Context, s *pgstore.Store, ev pgstore.JobEvent) (pgstore.Applied, error) {
	var a pgstore.Applied
	err := pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		a = pgstore.Applied{}
		jobID := &ev.JobID
		if !pgstore.ValidUUID(ev.JobID) {
			jobID = nil
		}
		tag, err := tx.Exec(ctx,
			`INSERT INTO webhook_events (webhook_id, job_id, status, outcome, received_at) VALUES ($1, $2, $3, '', $4)
			 ON CONFLICT (webhook_id) DO NOTHING`, ev.WebhookID, jobID, ev.Status, s.Now())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			a.Outcome = pgstore.OutcomeDuplicate
			return nil
		}
		if a, err = oracleLocked(ctx, s, tx, ev, jobID != nil); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE webhook_events SET outcome = $2 WHERE webhook_id = $1`, ev.WebhookID, a.Outcome)
		return err
	})
	return a, err
}

func oracleLocked(ctx context.Context, s *pgstore.Store, tx pgx.Tx, ev pgstore.JobEvent, valid bool) (pgstore.Applied, error) {
	if !valid {
		return pgstore.Applied{Outcome: pgstore.OutcomeUnknown}, nil
	}
	var cur, versionID string
	err := tx.QueryRow(ctx, `SELECT status, lora_version_id FROM lora_jobs WHERE id = $1 FOR UPDATE`, ev.JobID).Scan(&cur, &versionID)
	if errors.Is(err, pgx.ErrNoRows) {
		var key string
		err := tx.QueryRow(ctx, `SELECT artifact_key FROM erased_jobs WHERE job_id = $1`, ev.JobID).Scan(&key)
		if errors.Is(err, pgx.ErrNoRows) {
			return pgstore.Applied{Outcome: pgstore.OutcomeUnknown}, nil
		}
		return pgstore.Applied{Outcome: pgstore.OutcomeErased, ErasedKey: key}, err
	}
	if err != nil {
		return pgstore.Applied{}, err
	}
	if !studio.JobCanMove(cur, ev.Status) {
		return pgstore.Applied{Outcome: pgstore.OutcomeIgnored, Status: cur}, nil
	}
	now := s.Now()
	switch ev.Status {
	case studio.JobSucceeded:
		_, err = tx.Exec(ctx,
			`UPDATE lora_jobs SET status = 'succeeded', progress = 1, artifact_size = $2, logs_url = coalesce(nullif($3, ''), logs_url), updated_at = $4 WHERE id = $1`,
			ev.JobID, ev.ArtifactSize, ev.LogsURL, now)
		if err == nil {
			_, err = tx.Exec(ctx, `UPDATE lora_versions SET status = 'ready', artifact_url = $2, artifact_sha256 = $3, artifact_size = $4 WHERE id = $1`,
				versionID, ev.ArtifactKey, ev.ArtifactSHA256, ev.ArtifactSize)
		}
	case studio.JobFailed, studio.JobCanceled:
		_, err = tx.Exec(ctx,
			`UPDATE lora_jobs SET status = $2, error = $3, logs_url = coalesce(nullif($4, ''), logs_url), updated_at = $5 WHERE id = $1`,
			ev.JobID, ev.Status, ev.Error, ev.LogsURL, now)
		if err == nil {
			_, err = tx.Exec(ctx, `UPDATE lora_versions SET status = 'failed' WHERE id = $1 AND status = 'pending'`, versionID)
		}
	default: // dispatched, running
		_, err = tx.Exec(ctx,
			`UPDATE lora_jobs SET status = $2, progress = greatest(progress, $3), logs_url = coalesce(nullif($4, ''), logs_url), updated_at = $5 WHERE id = $1`,
			ev.JobID, ev.Status, min(max(ev.Progress, 0), 1), ev.LogsURL, now)
	}
	if err == nil && ev.Checkpoint != nil {
		c := *ev.Checkpoint
		samples := c.Samples
		if samples == nil {
			samples = []pgstore.CheckpointSample{}
		}
		js, _ := json.Marshal(samples)
		_, err = tx.Exec(ctx,
			`INSERT INTO lora_checkpoints (job_id, step, artifact_key, artifact_sha256, artifact_size, final, samples)
			 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (job_id, step) DO NOTHING`,
			ev.JobID, c.Step, c.ArtifactKey, c.ArtifactSHA256, c.ArtifactSize, c.Final, js)
	}
	if err != nil {
		return pgstore.Applied{}, err
	}
	return pgstore.Applied{Outcome: pgstore.OutcomeApplied, Status: ev.Status}, nil
}
