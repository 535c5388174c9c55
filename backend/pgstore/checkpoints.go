package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/promptforge/lorastudio/internal/studio"
)

// Checkpoint is a LoRA a job saved at Step, checked in storage, with the
// sample images rendered there. Final marks the job's last step, whose
// file is the version's own artifact.
type Checkpoint struct {
	JobID          string
	Step           int
	ArtifactKey    string
	ArtifactSHA256 string // hex
	ArtifactSize   int64
	Final          bool
	Samples        []CheckpointSample
	// VersionID is the version promoted from this checkpoint, if any (the
	// job's own version for the final one).
	VersionID string
}

// CheckpointSample is one sample image of a checkpoint, checked in storage.
type CheckpointSample struct {
	Index  int    `json:"index"`
	Prompt string `json:"prompt"`
	Key    string `json:"key"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// recordCheckpoint stores c in tx once per (job, step); a repeat (a
// webhook retried with another id) changes nothing.
func recordCheckpoint(ctx context.Context, tx pgx.Tx, c Checkpoint) error {
	b := &pgx.Batch{}
	if err := queueCheckpoint(b, c); err != nil {
		return err
	}
	return tx.SendBatch(ctx, b).Close()
}

// queueCheckpoint queues the insert of c in b.
func queueCheckpoint(b *pgx.Batch, c Checkpoint) error {
	samples := c.Samples
	if samples == nil {
		samples = []CheckpointSample{}
	}
	js, err := json.Marshal(samples)
	if err != nil {
		return err
	}
	b.Queue(`INSERT INTO lora_checkpoints (job_id, step, artifact_key, artifact_sha256, artifact_size, final, samples)
		 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (job_id, step) DO NOTHING`,
		c.JobID, c.Step, c.ArtifactKey, c.ArtifactSHA256, c.ArtifactSize, c.Final, js)
	return nil
}

// Checkpoints lists the checkpoints of one of the user's jobs by step.
// Returns ENotFound for another user's or an unknown job.
func (s *Store) Checkpoints(ctx context.Context, userID, jobID string) ([]Checkpoint, error) {
	if _, err := s.Job(ctx, userID, jobID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx,
		`SELECT c.job_id, c.step, c.artifact_key, c.artifact_sha256, c.artifact_size, c.final, c.samples,
		        coalesce(CASE WHEN c.final THEN j.lora_version_id END, v.id)::text
		 FROM lora_checkpoints c
		 JOIN lora_jobs j ON j.id = c.job_id
		 LEFT JOIN lora_versions v ON v.from_job_id = c.job_id AND v.from_step = c.step
		 WHERE c.job_id = $1 AND j.user_id = $2 ORDER BY c.step`, jobID, userID)
	if err != nil {
		return nil, fmt.Errorf("pgstore: checkpoints: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Checkpoint, error) {
		var c Checkpoint
		var samples []byte
		var version *string
		err := r.Scan(&c.JobID, &c.Step, &c.ArtifactKey, &c.ArtifactSHA256, &c.ArtifactSize, &c.Final, &samples, &version)
		if err == nil {
			err = json.Unmarshal(samples, &c.Samples)
		}
		if version != nil {
			c.VersionID = *version
		}
		return c, err
	})
}

// PromoteCheckpoint makes a checkpoint of a succeeded job a ready version
// of the same model (the next number), with the job's base model, params
// and dataset. Promoting the same checkpoint again returns the same
// version; the final checkpoint is the job's own version. Returns
// ENotFound for another user's or an unknown job or step, and
// "job_not_succeeded" (EConflict) while the job has not succeeded.
func (s *Store) PromoteCheckpoint(ctx context.Context, userID, jobID string, step int) (studio.Version, error) {
	if !validUUID(jobID) {
		return studio.Version{}, studio.Errorf(studio.ENotFound, "no job %s", jobID)
	}
	var versionID string
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var status, jobVersion, modelID string
		err := tx.QueryRow(ctx,
			`SELECT j.status, j.lora_version_id, v.lora_model_id FROM lora_jobs j JOIN lora_versions v ON v.id = j.lora_version_id
			 WHERE j.id = $1 AND j.user_id = $2`, jobID, userID).Scan(&status, &jobVersion, &modelID)
		if err != nil {
			return notFound(err, "no job %s", jobID)
		}
		if status != studio.JobSucceeded {
			return studio.Errorf(studio.EJobNotSucceeded, "job %s is %s; a checkpoint becomes a version once its training has succeeded", jobID, status)
		}
		var c Checkpoint
		err = tx.QueryRow(ctx, `SELECT artifact_key, artifact_sha256, artifact_size, final FROM lora_checkpoints WHERE job_id = $1 AND step = $2`,
			jobID, step).Scan(&c.ArtifactKey, &c.ArtifactSHA256, &c.ArtifactSize, &c.Final)
		if err != nil {
			return notFound(err, "job %s has no checkpoint at step %d", jobID, step)
		}
		if c.Final {
			versionID = jobVersion
			return nil
		}
		// Locking the model serialises version numbers, as CreateJob does.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM lora_models WHERE id = $1 FOR UPDATE`, modelID); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `SELECT id FROM lora_versions WHERE from_job_id = $1 AND from_step = $2`, jobID, step).Scan(&versionID)
		if err == nil || !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		return tx.QueryRow(ctx,
			`INSERT INTO lora_versions (user_id, lora_model_id, dataset_id, version_number, base_model, params_json, dataset_hash,
			                            status, artifact_url, artifact_sha256, artifact_size, from_job_id, from_step, created_at)
			 SELECT user_id, lora_model_id, dataset_id,
			        (SELECT max(version_number) + 1 FROM lora_versions WHERE lora_model_id = $3),
			        base_model, params_json, dataset_hash, 'ready', $4, $5, $8, $1, $2, $6
			 FROM lora_versions WHERE id = $7
			 RETURNING id`,
			jobID, step, modelID, c.ArtifactKey, c.ArtifactSHA256, s.Now(), jobVersion, c.ArtifactSize).Scan(&versionID)
	})
	if err != nil {
		if studio.ErrorCode(err) != studio.EInternal {
			return studio.Version{}, err
		}
		return studio.Version{}, fmt.Errorf("pgstore: promote checkpoint: %w", err)
	}
	return s.Version(ctx, userID, versionID)
}
