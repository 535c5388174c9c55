-- +goose Up
-- Objects erased while presigned URLs to them may still be valid: a late
-- PUT through such a URL would bring bytes back. The purge pass deletes each
-- key (or prefix, ending in "/") again once every such URL has expired.
CREATE TABLE erased_keys (
    key         text PRIMARY KEY,
    sweep_after timestamptz NOT NULL
);
CREATE INDEX erased_keys_due ON erased_keys (sweep_after);

-- +goose Down
DROP TABLE erased_keys;
