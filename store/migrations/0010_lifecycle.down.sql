ALTER TABLE rooms DROP COLUMN supplementary;
ALTER TABLE candidates DROP COLUMN withdrawn_at, DROP COLUMN added_after_freeze;
DROP TABLE label_prints;
DROP TABLE exam_stage_log;
ALTER TABLE subjects DROP COLUMN marking_opened_at, DROP COLUMN marking_opened_by;
ALTER TABLE exams DROP COLUMN numbers_frozen_at;
ALTER TABLE exams DROP CONSTRAINT exams_status_check;
UPDATE exams SET status = 'setup' WHERE status = 'rosters_frozen';
UPDATE exams SET status = 'final' WHERE status = 'archived';
ALTER TABLE exams ADD CONSTRAINT exams_status_check
    CHECK (status IN ('setup','scanning','marking','review','final'));
