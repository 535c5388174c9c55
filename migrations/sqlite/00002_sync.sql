-- The desktop's sync state: resumable upload sessions with every
-- acknowledged part (and its ETag) recorded as it happens, and the outbox
-- of server-bound actions retried until the server has them.

-- +goose Up

-- One upload of a dataset to the server: prepared (photos stripped and
-- hashed), then initialised (the server's dataset id and URLs known), then
-- committed, then validated or rejected.
CREATE TABLE sync_uploads (
    id           TEXT PRIMARY KEY,
    dataset_ref  TEXT NOT NULL DEFAULT '',  -- the caller's id for it (the local lora_datasets.id)
    model_name   TEXT NOT NULL,
    base_model   TEXT NOT NULL DEFAULT '',
    min_resolution INTEGER NOT NULL DEFAULT 0,
    dataset_id   TEXT NOT NULL DEFAULT '',  -- the server's, once datasets/init answered
    state        TEXT NOT NULL DEFAULT 'prepared'
                 CHECK (state IN ('prepared', 'uploading', 'committed', 'validated', 'rejected')),
    report_json  TEXT,
    bytes_total  INTEGER NOT NULL DEFAULT 0,
    bytes_sent   INTEGER NOT NULL DEFAULT 0,  -- every body byte handed to the network, all runs
    bytes_resent INTEGER NOT NULL DEFAULT 0,  -- of which bytes of parts sent again after an unacknowledged attempt
    renewals     INTEGER NOT NULL DEFAULT 0,  -- expired URLs renewed
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- The files of an upload, in the order declared to datasets/init.
CREATE TABLE sync_upload_files (
    upload_id     TEXT NOT NULL REFERENCES sync_uploads (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    name          TEXT NOT NULL,
    source_path   TEXT NOT NULL,             -- the imported photo
    stripped_path TEXT NOT NULL,             -- the metadata-free copy that is sent
    size_bytes    INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    storage_key   TEXT NOT NULL DEFAULT '',  -- the server's, after init
    multipart_id  TEXT NOT NULL DEFAULT '',  -- multipart upload id, if any
    part_size     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (upload_id, position)
);

-- What to send: one row per presigned request. A single PUT is part 0;
-- multipart uploads have parts 1..n. acked_at and etag are written the
-- moment the storage answers 2xx, so a restart re-sends only the rest.
CREATE TABLE sync_upload_parts (
    upload_id    TEXT NOT NULL,
    position     INTEGER NOT NULL,
    number       INTEGER NOT NULL,
    offset_bytes INTEGER NOT NULL,
    size_bytes   INTEGER NOT NULL,
    method       TEXT NOT NULL,
    url          TEXT NOT NULL,
    headers_json TEXT NOT NULL,
    expires_at   TEXT NOT NULL DEFAULT '',
    attempts     INTEGER NOT NULL DEFAULT 0, -- sends started, all runs
    etag         TEXT NOT NULL DEFAULT '',
    acked_at     TEXT,
    PRIMARY KEY (upload_id, position, number),
    FOREIGN KEY (upload_id, position) REFERENCES sync_upload_files (upload_id, position) ON DELETE CASCADE
);

-- Server-bound actions, written before they are sent and deleted once the
-- server has them; a permanent refusal stays, marked failed, with its reason.
CREATE TABLE sync_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,            -- consent, job, activate, ...
    method          TEXT NOT NULL,
    path            TEXT NOT NULL,
    body            TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT NOT NULL DEFAULT '',
    ref             TEXT NOT NULL DEFAULT '', -- the caller's local id the action is about
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_code       TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX sync_outbox_due ON sync_outbox (status, next_attempt_at);

-- +goose Down
DROP INDEX sync_outbox_due;
DROP TABLE sync_outbox;
DROP TABLE sync_upload_parts;
DROP TABLE sync_upload_files;
DROP TABLE sync_uploads;
