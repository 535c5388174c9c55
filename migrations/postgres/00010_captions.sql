-- Captions (#17): each photo's own caption, naming the person as {trigger}
-- ('' stands for the job's caption template) and where it came from; the
-- dataset's last auto-caption run; and, on each version, the captions it
-- was trained on, kept as they were when its job was created so later edits
-- to the dataset never rewrite what a version says it learned from.

-- +goose Up
ALTER TABLE lora_dataset_items
    ADD COLUMN caption        text NOT NULL DEFAULT '',
    ADD COLUMN caption_source text NOT NULL DEFAULT 'template'
        CHECK (caption_source IN ('template', 'user', 'auto'));

-- The caption declared at datasets/init, which the item takes at commit.
ALTER TABLE lora_dataset_uploads ADD COLUMN caption text NOT NULL DEFAULT '';

-- The last auto-caption run; '' when there was none.
ALTER TABLE lora_datasets
    ADD COLUMN caption_status       text NOT NULL DEFAULT ''
        CHECK (caption_status IN ('', 'queued', 'running', 'done', 'failed')),
    ADD COLUMN caption_error        text NOT NULL DEFAULT '',
    ADD COLUMN caption_count        integer NOT NULL DEFAULT 0,
    ADD COLUMN caption_requested_at timestamptz,
    ADD COLUMN caption_finished_at  timestamptz;

-- {storage_key: caption} of the dataset's photos when the job was created
-- ('' for the template). NULL for the versions made before captions.
ALTER TABLE lora_versions ADD COLUMN captions_json jsonb;

-- +goose Down
ALTER TABLE lora_versions DROP COLUMN captions_json;
ALTER TABLE lora_datasets
    DROP COLUMN caption_status,
    DROP COLUMN caption_error,
    DROP COLUMN caption_count,
    DROP COLUMN caption_requested_at,
    DROP COLUMN caption_finished_at;
ALTER TABLE lora_dataset_uploads DROP COLUMN caption;
ALTER TABLE lora_dataset_items DROP COLUMN caption, DROP COLUMN caption_source;
