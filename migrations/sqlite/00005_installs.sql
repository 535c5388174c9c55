-- +goose Up
-- Where this app copied a trained LoRA, with the bytes it copied: a consent
-- withdrawal deletes these copies too, but only while they are still the
-- file the app put there.
CREATE TABLE lora_installs (
    path         TEXT PRIMARY KEY,
    account      TEXT NOT NULL,
    version_id   TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    installed_at TEXT NOT NULL
);

-- +goose Down
DROP TABLE lora_installs;
