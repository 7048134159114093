DROP TABLE IF EXISTS score_changes;
ALTER TABLE exceptions
    DROP COLUMN IF EXISTS requested_by_user_id,
    DROP COLUMN IF EXISTS approved_by_user_id,
    DROP COLUMN IF EXISTS reject_note,
    DROP COLUMN IF EXISTS rejected_by;
DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log;
DROP TRIGGER IF EXISTS audit_log_seal ON audit_log;
DROP TRIGGER IF EXISTS audit_log_unsealed ON audit_log;
DROP FUNCTION IF EXISTS audit_log_refuse();
DROP FUNCTION IF EXISTS audit_log_seal();
DROP FUNCTION IF EXISTS audit_log_seal_pending();
DROP FUNCTION IF EXISTS audit_log_unsealed();
DROP FUNCTION IF EXISTS audit_log_hash(text, audit_log);
DROP FUNCTION IF EXISTS audit_log_canonical(audit_log);
ALTER TABLE audit_log
    DROP COLUMN IF EXISTS seq,
    DROP COLUMN IF EXISTS prev_hash,
    DROP COLUMN IF EXISTS hash,
    DROP COLUMN IF EXISTS actor_user_id,
    DROP COLUMN IF EXISTS approver_user_id;
