-- +goose Up
-- Why a consent ended: the user withdrew it, or the retention period it
-- promised ran out and the hourly purge erased the user's data. The desktop
-- reads it to tell the user why their photos are gone.
ALTER TABLE consents ADD COLUMN ended_reason text
    CHECK (ended_reason IN ('withdrawn', 'retention'));
UPDATE consents SET ended_reason = 'withdrawn' WHERE withdrawn_at IS NOT NULL;
ALTER TABLE consents ADD CONSTRAINT consents_ended_reason
    CHECK ((withdrawn_at IS NULL) = (ended_reason IS NULL));
-- The purge looks for live consents past their retention every hour.
CREATE INDEX consents_live ON consents (user_id, created_at DESC) WHERE withdrawn_at IS NULL;

-- +goose Down
DROP INDEX consents_live;
ALTER TABLE consents DROP CONSTRAINT consents_ended_reason;
ALTER TABLE consents DROP COLUMN ended_reason;
