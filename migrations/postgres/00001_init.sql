-- The backend's schema: accounts, consent, and the seed's six tables.
-- Every user-owned row carries user_id so each query can be scoped to its user.

-- +goose Up
CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL,
    password_hash text NOT NULL, -- argon2id, PHC string format
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- Bearer tokens are random; only their SHA-256 is stored.
CREATE TABLE auth_tokens (
    token_hash  bytea PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX auth_tokens_user_idx ON auth_tokens (user_id);

-- Consent to process biometric data (face photos). A row is never updated
-- except to record its withdrawal; a new consent is a new row.
CREATE TABLE consents (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text_version   text NOT NULL,
    text_sha256    text NOT NULL,
    attest_self    boolean NOT NULL CHECK (attest_self),
    purpose        text NOT NULL,
    processors     text[] NOT NULL,
    retention_days integer NOT NULL CHECK (retention_days > 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    withdrawn_at   timestamptz
);
CREATE INDEX consents_user_idx ON consents (user_id, created_at DESC);

CREATE TABLE lora_models (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    trigger_word text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, name)
);

CREATE TABLE lora_datasets (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    lora_model_id       uuid NOT NULL REFERENCES lora_models (id) ON DELETE CASCADE,
    status              text NOT NULL DEFAULT 'draft'
                        CHECK (status IN ('draft', 'uploaded', 'validated', 'rejected')),
    image_count         integer NOT NULL DEFAULT 0,
    dataset_hash        text NOT NULL DEFAULT '',
    quality_report_json jsonb,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lora_datasets_user_idx ON lora_datasets (user_id, created_at DESC);

CREATE TABLE lora_dataset_items (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    dataset_id   uuid NOT NULL REFERENCES lora_datasets (id) ON DELETE CASCADE,
    name         text NOT NULL,
    storage_key  text NOT NULL,
    sha256       text NOT NULL,
    size_bytes   bigint NOT NULL CHECK (size_bytes >= 0),
    content_type text NOT NULL,
    width        integer NOT NULL DEFAULT 0,
    height       integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dataset_id, storage_key)
);

CREATE TABLE lora_versions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    lora_model_id   uuid NOT NULL REFERENCES lora_models (id) ON DELETE CASCADE,
    dataset_id      uuid REFERENCES lora_datasets (id) ON DELETE SET NULL,
    version_number  integer NOT NULL,
    base_model      text NOT NULL CHECK (base_model IN ('flux-dev', 'flux-schnell', 'sdxl')),
    params_json     jsonb NOT NULL DEFAULT '{}',
    dataset_hash    text NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'ready', 'failed', 'deleted')),
    artifact_url    text NOT NULL DEFAULT '',
    artifact_sha256 text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (lora_model_id, version_number)
);

CREATE TABLE lora_jobs (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    lora_version_id uuid NOT NULL REFERENCES lora_versions (id) ON DELETE CASCADE,
    status          text NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'dispatched', 'running', 'succeeded', 'failed', 'canceled')),
    progress        real NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
    provider        text NOT NULL DEFAULT '',
    provider_job_id text NOT NULL DEFAULT '',
    logs_url        text NOT NULL DEFAULT '',
    error           text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lora_jobs_user_idx ON lora_jobs (user_id, created_at DESC);

-- One active identity per user; activating another version is a rollback.
CREATE TABLE user_identity_active (
    user_id         uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    lora_model_id   uuid NOT NULL REFERENCES lora_models (id) ON DELETE CASCADE,
    lora_version_id uuid NOT NULL REFERENCES lora_versions (id) ON DELETE CASCADE,
    weight          real NOT NULL CHECK (weight >= 0 AND weight <= 2),
    target_platform text NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE user_identity_active;
DROP TABLE lora_jobs;
DROP TABLE lora_versions;
DROP TABLE lora_dataset_items;
DROP TABLE lora_datasets;
DROP TABLE lora_models;
DROP TABLE consents;
DROP TABLE auth_tokens;
DROP TABLE users;
