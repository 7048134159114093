-- The exam's lifecycle (issue 20): explicit stages, per-subject marking
-- start, the stage history, the roster freeze and withdrawn candidates.
-- The rules (which transition needs what) are in grading/lifecycle.go; the
-- stage names are saoyue.Stage.

ALTER TABLE exams DROP CONSTRAINT IF EXISTS exams_status_check;
ALTER TABLE exams ADD CONSTRAINT exams_status_check
    CHECK (status IN ('setup','rosters_frozen','scanning','marking','review','final','archived'));

-- Exam numbers are frozen from the first printed label on: a later import
-- may add and withdraw candidates, never move a number.
ALTER TABLE exams ADD COLUMN numbers_frozen_at timestamptz;

-- Marking of one subject may start while other subjects still scan.
ALTER TABLE subjects
    ADD COLUMN marking_opened_at timestamptz,
    ADD COLUMN marking_opened_by text;

-- Every stage change, forced ones with their reason and what was still open.
CREATE TABLE exam_stage_log (
    id          bigserial PRIMARY KEY,
    exam_id     bigint NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
    subject_id  bigint REFERENCES subjects(id) ON DELETE CASCADE,  -- a subject's marking start
    from_stage  text NOT NULL,
    to_stage    text NOT NULL,
    actor       text NOT NULL,
    forced      boolean NOT NULL DEFAULT false,
    reason      text NOT NULL DEFAULT '',
    open_items  jsonb NOT NULL DEFAULT '[]',                       -- the preconditions that failed
    at          timestamptz NOT NULL DEFAULT now(),
    CHECK (NOT forced OR reason <> '')
);
CREATE INDEX exam_stage_log_exam_idx ON exam_stage_log(exam_id, id);

-- Labels printed, per school: the 考号锁定 stage needs every school's.
CREATE TABLE label_prints (
    id          bigserial PRIMARY KEY,
    exam_id     bigint NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
    school_id   bigint NOT NULL REFERENCES schools(id),
    printed_by  text NOT NULL DEFAULT '',
    printed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX label_prints_exam_idx ON label_prints(exam_id, school_id);

-- A withdrawn candidate keeps their number, marked 退出; a late one gets a
-- new number in a supplementary room or the next free seat.
ALTER TABLE candidates
    ADD COLUMN withdrawn_at timestamptz,
    ADD COLUMN added_after_freeze boolean NOT NULL DEFAULT false;
ALTER TABLE rooms ADD COLUMN supplementary boolean NOT NULL DEFAULT false;
