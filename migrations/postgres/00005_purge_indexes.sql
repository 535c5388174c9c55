-- +goose Up
-- The hourly purge deletes by these columns; without an index each pass
-- scans the whole table (bench/purge/run.sh measures the difference).
CREATE INDEX webhook_events_received ON webhook_events (received_at);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

-- +goose Down
DROP INDEX idempotency_keys_expires;
DROP INDEX webhook_events_received;
