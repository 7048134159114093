-- Two signed-in people for every change of a released or machine-read
-- value, and an append-only, hash-chained audit log (issue 20, part 3).

-- Who, as an account: the typed names stay for reading old rows.
ALTER TABLE audit_log
    ADD COLUMN seq              bigint UNIQUE,
    ADD COLUMN prev_hash        text,
    ADD COLUMN hash             text,
    ADD COLUMN actor_user_id    bigint REFERENCES users(id),
    ADD COLUMN approver_user_id bigint REFERENCES users(id);

-- The canonical text of a row, hashed with the previous row's hash.
-- store.AuditCanonical computes the same text in Go (saoyue audit verify):
-- every field in order, as "<octet length>:<text>\n", a NULL as "-\n";
-- jsonb as its ::text, the time in UTC as 2006-01-02T15:04:05.000000Z.
CREATE FUNCTION audit_log_canonical(a audit_log) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT string_agg(CASE WHEN f IS NULL THEN '-' ELSE octet_length(f)::text || ':' || f END || E'\n', '' ORDER BY n)
    FROM unnest(ARRAY[
        a.seq::text, a.id::text,
        to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        a.actor, a.action, a.entity, a.entity_id,
        a.old_value::text, a.new_value::text, a.reason, a.approved_by,
        a.actor_user_id::text, a.approver_user_id::text
    ]) WITH ORDINALITY AS t(f, n)
$$;

CREATE FUNCTION audit_log_hash(prev text, a audit_log) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(prev || E'\n' || audit_log_canonical(a), 'UTF8')), 'hex')
$$;

-- Existing rows join the chain in id order.
DO $$
DECLARE
    r audit_log;
    prev text := repeat('0', 64);
    n bigint := 0;
BEGIN
    FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
        n := n + 1;
        r.seq := n;
        r.prev_hash := prev;
        r.hash := audit_log_hash(prev, r);
        UPDATE audit_log SET seq = r.seq, prev_hash = r.prev_hash, hash = r.hash WHERE id = r.id;
        prev := r.hash;
    END LOOP;
END $$;

ALTER TABLE audit_log
    ALTER COLUMN seq SET NOT NULL,
    ALTER COLUMN prev_hash SET NOT NULL,
    ALTER COLUMN hash SET NOT NULL;

-- Every insert, from whichever writer, is chained: one at a time per
-- schema (the lock is held to the end of the inserting transaction, so
-- writers insert their audit row last).
CREATE FUNCTION audit_log_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    last_seq bigint;
    last_hash text;
BEGIN
    PERFORM pg_advisory_xact_lock(7311, hashtext(TG_TABLE_SCHEMA));
    SELECT seq, hash INTO last_seq, last_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
    NEW.seq := COALESCE(last_seq, 0) + 1;
    NEW.prev_hash := COALESCE(last_hash, repeat('0', 64));
    NEW.hash := audit_log_hash(NEW.prev_hash, NEW);
    RETURN NEW;
END $$;
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

CREATE FUNCTION audit_log_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '审计日志只能追加，不能修改或删除 (audit_log is append-only: % refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse();

-- Exceptions: the accounts that asked and approved, and the approver's
-- note on a rejection, which the technician sees on the reopened exception.
ALTER TABLE exceptions
    ADD COLUMN requested_by_user_id bigint REFERENCES users(id),
    ADD COLUMN approved_by_user_id  bigint REFERENCES users(id),
    ADD COLUMN reject_note          text NOT NULL DEFAULT '',
    ADD COLUMN rejected_by          text;

-- A score change once scores are released (复核 on): proposed by one
-- signed-in account, applied only when a second account with the approver
-- role approves it.
CREATE TABLE score_changes (
    id                  bigserial PRIMARY KEY,
    candidate_id        bigint NOT NULL REFERENCES candidates(id),
    subject_id          bigint NOT NULL REFERENCES subjects(id),
    item                text NOT NULL,
    old_score           numeric(5,1),                    -- when proposed; NULL: no score
    new_score           numeric(5,1) NOT NULL CHECK (new_score >= 0),
    reason              text NOT NULL CHECK (reason <> ''),
    review_request_id   bigint REFERENCES review_requests(id),
    proposed_by_user_id bigint NOT NULL REFERENCES users(id),
    proposed_at         timestamptz NOT NULL DEFAULT now(),
    status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','applied','rejected')),
    decided_by_user_id  bigint REFERENCES users(id),
    decided_at          timestamptz,
    note                text NOT NULL DEFAULT '',
    CHECK (decided_by_user_id IS NULL OR decided_by_user_id <> proposed_by_user_id)
);
CREATE INDEX score_changes_pending_idx ON score_changes(subject_id) WHERE status = 'pending';
