-- The desktop app's local store: the same seed tables as the backend, kept
-- as a replica of the server's state plus the drafts and files only the
-- desktop owns. Ids are text (UUIDs from the server, or local ones).

-- +goose Up
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- The account signed in on this machine (one row at most in practice).
CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    email      TEXT NOT NULL,
    server_url TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Fallback for the bearer token where the OS has no keyring; normally empty.
CREATE TABLE auth_tokens (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token      TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE consents (
    id           TEXT PRIMARY KEY,
    text_version TEXT NOT NULL,
    text_sha256  TEXT NOT NULL,
    attest_self  INTEGER NOT NULL CHECK (attest_self = 1),
    purpose      TEXT NOT NULL,
    processors   TEXT NOT NULL, -- JSON array
    retention_days INTEGER NOT NULL,
    server_id    TEXT,          -- set once the server has recorded it
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    withdrawn_at TEXT
);

CREATE TABLE lora_models (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    trigger_word TEXT NOT NULL DEFAULT '',
    server_id    TEXT,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE lora_datasets (
    id                  TEXT PRIMARY KEY,
    lora_model_id       TEXT NOT NULL REFERENCES lora_models (id) ON DELETE CASCADE,
    status              TEXT NOT NULL DEFAULT 'draft'
                        CHECK (status IN ('draft', 'uploaded', 'validated', 'rejected')),
    image_count         INTEGER NOT NULL DEFAULT 0,
    dataset_hash        TEXT NOT NULL DEFAULT '',
    quality_report_json TEXT,
    server_id           TEXT,
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE lora_dataset_items (
    id            TEXT PRIMARY KEY,
    dataset_id    TEXT NOT NULL REFERENCES lora_datasets (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    original_path TEXT NOT NULL,      -- where the user's file was; never modified
    local_path    TEXT NOT NULL,      -- the copy under the data dir
    sha256        TEXT NOT NULL,
    size_bytes    INTEGER NOT NULL,
    content_type  TEXT NOT NULL DEFAULT '',
    width         INTEGER NOT NULL DEFAULT 0,
    height        INTEGER NOT NULL DEFAULT 0,
    state         TEXT NOT NULL DEFAULT 'imported'
                  CHECK (state IN ('imported', 'checking', 'ok', 'warning', 'error')),
    storage_key   TEXT,               -- set once uploaded
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (dataset_id, original_path) -- re-importing a file after a crash never counts it twice
);

CREATE TABLE lora_versions (
    id              TEXT PRIMARY KEY,
    lora_model_id   TEXT NOT NULL REFERENCES lora_models (id) ON DELETE CASCADE,
    dataset_id      TEXT REFERENCES lora_datasets (id) ON DELETE SET NULL,
    version_number  INTEGER NOT NULL,
    base_model      TEXT NOT NULL CHECK (base_model IN ('flux-dev', 'flux-schnell', 'sdxl')),
    params_json     TEXT NOT NULL DEFAULT '{}',
    dataset_hash    TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'ready', 'failed', 'deleted')),
    artifact_url    TEXT NOT NULL DEFAULT '',
    artifact_sha256 TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (lora_model_id, version_number)
);

CREATE TABLE lora_jobs (
    id              TEXT PRIMARY KEY,
    lora_version_id TEXT NOT NULL REFERENCES lora_versions (id) ON DELETE CASCADE,
    status          TEXT NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'dispatched', 'running', 'succeeded', 'failed', 'canceled')),
    progress        REAL NOT NULL DEFAULT 0,
    logs_url        TEXT NOT NULL DEFAULT '',
    error           TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE user_identity_active (
    id              INTEGER PRIMARY KEY CHECK (id = 1), -- one identity per desktop
    lora_model_id   TEXT NOT NULL REFERENCES lora_models (id) ON DELETE CASCADE,
    lora_version_id TEXT NOT NULL REFERENCES lora_versions (id) ON DELETE CASCADE,
    weight          REAL NOT NULL CHECK (weight >= 0 AND weight <= 2),
    target_platform TEXT NOT NULL DEFAULT '',
    updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
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
DROP TABLE settings;
