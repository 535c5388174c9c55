-- The language of the consent text the user read and accepted (#16): the
-- text is offered in several languages, each its own version and hash, and
-- the record says which one it was. Every consent before this was given to
-- the English text. The default stays: a replica still running the previous
-- release during a rolling update records consents to the English text only.

-- +goose Up
ALTER TABLE consents ADD COLUMN text_language text NOT NULL DEFAULT 'en'
    CHECK (text_language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$');

-- +goose Down
ALTER TABLE consents DROP COLUMN text_language;
