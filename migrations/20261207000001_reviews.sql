-- Reviews of the catalogue's works (films and albums), attached by the work's global id.
CREATE TABLE reviews (
    id            TEXT    PRIMARY KEY NOT NULL, -- a UUIDv7, hyphenated
    subject       TEXT    NOT NULL,             -- the work's global id
    rating        INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    title         TEXT,
    body          TEXT    NOT NULL,
    author        TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,             -- ms since the Unix epoch, strictly increasing
    edited_at     INTEGER,
    token_hash    BLOB    NOT NULL,             -- SHA-256 of the edit token
    hidden_at     INTEGER,
    hidden_reason TEXT
) STRICT;

CREATE INDEX reviews_by_subject ON reviews (subject, created_at DESC, id DESC);

-- The first answer to each idempotency key, kept 24 hours so that a retry gets it again
-- (the edit token included), then erased.
CREATE TABLE idempotency (
    key        TEXT    PRIMARY KEY NOT NULL,
    input_hash BLOB    NOT NULL,
    review_id  TEXT    NOT NULL,
    edit_token TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
