DROP TABLE IF EXISTS answer_overrides;
DROP INDEX IF EXISTS pages_status_idx, cards_batch_idx, templates_subject_idx;
ALTER TABLE exceptions DROP COLUMN IF EXISTS requested_by, DROP COLUMN IF EXISTS requested_at, DROP COLUMN IF EXISTS approved_by;
ALTER TABLE question_groups DROP COLUMN IF EXISTS subs;
