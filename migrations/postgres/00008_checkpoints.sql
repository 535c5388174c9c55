-- Checkpoints: the LoRA a job saved every few steps, with the sample images
-- the trainer rendered there, so a user can watch training and make any
-- finished checkpoint a version of its own.

-- +goose Up
CREATE TABLE lora_checkpoints (
    job_id          uuid NOT NULL REFERENCES lora_jobs (id) ON DELETE CASCADE,
    step            integer NOT NULL CHECK (step > 0),
    artifact_key    text NOT NULL,
    artifact_sha256 text NOT NULL CHECK (artifact_sha256 ~ '^[0-9a-f]{64}$'),
    artifact_size   bigint NOT NULL CHECK (artifact_size > 0),
    final           boolean NOT NULL DEFAULT false,
    samples         jsonb NOT NULL DEFAULT '[]',  -- [{"index","prompt","key","sha256","size"}]
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, step)
);

-- A version promoted from a checkpoint names it; one version per checkpoint.
ALTER TABLE lora_versions
    ADD COLUMN from_job_id uuid REFERENCES lora_jobs (id) ON DELETE SET NULL,
    ADD COLUMN from_step   integer;
CREATE UNIQUE INDEX lora_versions_from_checkpoint ON lora_versions (from_job_id, from_step) WHERE from_job_id IS NOT NULL;

-- +goose Down
DROP INDEX lora_versions_from_checkpoint;
ALTER TABLE lora_versions DROP COLUMN from_step, DROP COLUMN from_job_id;
DROP TABLE lora_checkpoints;
