-- What datasets/init promised: each declared file, under the key the server
-- chose, with the size and checksum the upload is bound to. commit checks
-- the stored object against this row, never against what the client says.

-- +goose Up
CREATE TABLE lora_dataset_uploads (
    dataset_id   uuid NOT NULL REFERENCES lora_datasets (id) ON DELETE CASCADE,
    storage_key  text NOT NULL,
    name         text NOT NULL,
    size_bytes   bigint NOT NULL CHECK (size_bytes > 0),
    content_type text NOT NULL,
    sha256       text NOT NULL,
    upload_id    text NOT NULL DEFAULT '', -- multipart only
    part_size    bigint NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    committed_at timestamptz,
    PRIMARY KEY (dataset_id, storage_key)
);

-- +goose Down
DROP TABLE lora_dataset_uploads;
