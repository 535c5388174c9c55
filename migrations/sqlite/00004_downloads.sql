-- +goose Up
-- The trained LoRAs downloaded to this computer, verified against the
-- server's sha256: the versions list marks them, and they install offline.
-- Not tied to lora_versions: the replica of versions is replaced on every
-- refresh, a downloaded file outlives that.
CREATE TABLE lora_downloads (
    account       TEXT NOT NULL,
    version_id    TEXT NOT NULL,
    filename      TEXT NOT NULL,
    path          TEXT NOT NULL,
    size          INTEGER NOT NULL CHECK (size >= 0),
    sha256        TEXT NOT NULL,
    downloaded_at TEXT NOT NULL,
    PRIMARY KEY (account, version_id)
);

-- +goose Down
DROP TABLE lora_downloads;
