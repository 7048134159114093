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

-- Every insert, from whichever writer, is chained: numbered, given the
-- previous row's hash and its own ("sealed"). Rows are sealed as their
-- transaction commits, by a deferred trigger that seals every committed or
-- own row still pending. When another transaction is sealing at that very
-- moment, the trigger does not wait for it (that would make every mark
-- wait for every other mark's commit): the row is sealed by the next
-- writer, or by `saoyue audit verify`, which seals what is pending first.
CREATE FUNCTION audit_log_unsealed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.seq := NULL; NEW.prev_hash := NULL; NEW.hash := NULL;  -- only the seal sets them
    RETURN NEW;
END $$;
CREATE TRIGGER audit_log_unsealed BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_unsealed();

-- audit_log_seal_pending seals the pending rows in id order; the caller
-- holds the chain's lock. It returns how many it sealed.
CREATE FUNCTION audit_log_seal_pending() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    r audit_log;
    last_seq bigint;
    last_hash text;
    n bigint := 0;
BEGIN
    SELECT seq, hash INTO last_seq, last_hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
    last_seq := COALESCE(last_seq, 0);
    last_hash := COALESCE(last_hash, repeat('0', 64));
    PERFORM set_config('saoyue.audit_sealing', 'on', true);
    FOR r IN SELECT * FROM audit_log WHERE seq IS NULL ORDER BY id LOOP
        last_seq := last_seq + 1;
        r.seq := last_seq;
        r.prev_hash := last_hash;
        r.hash := audit_log_hash(last_hash, r);
        UPDATE audit_log SET seq = r.seq, prev_hash = r.prev_hash, hash = r.hash WHERE id = r.id;
        last_hash := r.hash;
        n := n + 1;
    END LOOP;
    PERFORM set_config('saoyue.audit_sealing', 'off', true);
    RETURN n;
END $$;

CREATE FUNCTION audit_log_seal() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF pg_try_advisory_xact_lock(7311, hashtext(TG_TABLE_SCHEMA)) THEN
        PERFORM audit_log_seal_pending();
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER audit_log_seal AFTER INSERT ON audit_log
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_log_seal();

-- A sealed row never changes or goes.
CREATE FUNCTION audit_log_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
       AND current_setting('saoyue.audit_sealing', true) = 'on' THEN
        RETURN NEW;  -- the seal of a pending row
    END IF;
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
