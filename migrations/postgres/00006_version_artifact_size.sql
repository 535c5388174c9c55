-- +goose Up
-- The artifact download route answers with the file's size; the version
-- holds it beside its sha256 (set when a job succeeds), copied here from
-- the job for versions made before.
ALTER TABLE lora_versions ADD COLUMN artifact_size bigint NOT NULL DEFAULT 0 CHECK (artifact_size >= 0);
UPDATE lora_versions v SET artifact_size = j.artifact_size
  FROM lora_jobs j WHERE j.lora_version_id = v.id AND j.status = 'succeeded' AND v.status = 'ready';

-- +goose Down
ALTER TABLE lora_versions DROP COLUMN artifact_size;
