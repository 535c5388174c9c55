-- Captions (#17): each photo's caption, where it came from, and whether
-- the server has the last edit; the last auto-caption run of a dataset as
-- the server reported it; the caption each file of an upload was declared
-- with, so a resumed upload sends the same one.

-- +goose Up
ALTER TABLE lora_dataset_items ADD COLUMN caption TEXT NOT NULL DEFAULT '';
ALTER TABLE lora_dataset_items ADD COLUMN caption_source TEXT NOT NULL DEFAULT 'template'
    CHECK (caption_source IN ('template', 'user', 'auto'));
-- 0 while an edit made here after the upload waits to be sent: nothing the
-- user typed is lost when the server does not answer.
ALTER TABLE lora_dataset_items ADD COLUMN caption_sent INTEGER NOT NULL DEFAULT 1
    CHECK (caption_sent IN (0, 1));
ALTER TABLE lora_datasets ADD COLUMN caption_run_json TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_upload_files ADD COLUMN caption TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE sync_upload_files DROP COLUMN caption;
ALTER TABLE lora_datasets DROP COLUMN caption_run_json;
ALTER TABLE lora_dataset_items DROP COLUMN caption_sent;
ALTER TABLE lora_dataset_items DROP COLUMN caption_source;
ALTER TABLE lora_dataset_items DROP COLUMN caption;
