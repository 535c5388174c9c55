-- The language of the consent text the user read and accepted on this
-- computer (#16); every consent before this was given to the English text.

-- +goose Up
ALTER TABLE consents ADD COLUMN text_language TEXT NOT NULL DEFAULT 'en'
    CHECK (text_language <> '');

-- +goose Down
ALTER TABLE consents DROP COLUMN text_language;
