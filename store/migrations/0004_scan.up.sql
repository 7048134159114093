-- Technician tokens of the scan stations: each belongs to one school and
-- lets saoyue-scan open that school's batches and upload their pages. Only
-- the SHA-256 of a token is kept; the token itself is shown once.
CREATE TABLE scan_tokens (
    id            bigserial PRIMARY KEY,
    token_sha256  text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    school_id     bigint NOT NULL REFERENCES schools(id),
    label         text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX scan_tokens_school_idx ON scan_tokens(school_id);

-- A bag scanned again continues its open batch: found by these columns.
CREATE INDEX batches_bag_idx ON batches(exam_id, subject_id, school_id, room_id) WHERE status = 'open';
