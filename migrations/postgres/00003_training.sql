-- Training: idempotency keys of POST /api/lora/jobs, the job's dispatch
-- columns, processed webhook ids, and tombstones of jobs erased on consent
-- withdrawal (so a late webhook can delete, never restore, their artifact).
-- River's own tables are created by River's migrator (rivermigrate).

-- +goose Up
CREATE TABLE idempotency_keys (
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash    text NOT NULL,
    response_status integer,          -- NULL while the first request runs
    response_body   jsonb,
    locked_until    timestamptz NOT NULL, -- an in-flight claim older than this was abandoned
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at);

ALTER TABLE lora_jobs
    ADD COLUMN dispatch_key   text NOT NULL DEFAULT '',
    ADD COLUMN artifact_key   text NOT NULL DEFAULT '',
    ADD COLUMN artifact_size  bigint NOT NULL DEFAULT 0,
    ADD COLUMN dispatch_tries integer NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX lora_jobs_dispatch_key ON lora_jobs (dispatch_key) WHERE dispatch_key <> '';
CREATE INDEX lora_jobs_provider_job ON lora_jobs (provider, provider_job_id) WHERE provider_job_id <> '';

-- One row per webhook-id ever accepted: a duplicate is acknowledged and ignored.
CREATE TABLE webhook_events (
    webhook_id  text PRIMARY KEY,
    job_id      uuid,                 -- no foreign key: erased jobs keep their events' ids
    status      text NOT NULL,
    outcome     text NOT NULL,        -- applied, ignored (late or out of order), erased, rejected
    received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE erased_jobs (
    job_id       uuid PRIMARY KEY,
    artifact_key text NOT NULL,
    erased_at    timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE erased_jobs;
DROP TABLE webhook_events;
DROP INDEX lora_jobs_provider_job;
DROP INDEX lora_jobs_dispatch_key;
ALTER TABLE lora_jobs DROP COLUMN dispatch_key, DROP COLUMN artifact_key, DROP COLUMN artifact_size, DROP COLUMN dispatch_tries;
DROP TABLE idempotency_keys;
