-- +goose Up
-- Each queued action belongs to the account that queued it: after a switch
-- of account, another account's withdrawal or training must never go with
-- the new token. Entries queued before this column existed belong to the
-- account signed in then.
ALTER TABLE sync_outbox ADD COLUMN account TEXT NOT NULL DEFAULT '';
UPDATE sync_outbox SET account = COALESCE(
    (SELECT value FROM settings WHERE key = 'account_email') || ' on ' || (SELECT value FROM settings WHERE key = 'server_url'), '');
DROP INDEX sync_outbox_due;
CREATE INDEX sync_outbox_due ON sync_outbox (account, status, next_attempt_at);

-- +goose Down
DROP INDEX sync_outbox_due;
CREATE INDEX sync_outbox_due ON sync_outbox (status, next_attempt_at);
ALTER TABLE sync_outbox DROP COLUMN account;
