DROP TABLE marking_secret;
DROP TABLE problem_flags;
DROP INDEX marks_marker_idx;
DROP INDEX marks_task_idx;
ALTER TABLE marks DROP COLUMN returned_at, DROP COLUMN returned_by, DROP COLUMN return_reason;
DELETE FROM marks WHERE task_id IN (SELECT id FROM marking_tasks WHERE kind <> 'normal');
DELETE FROM marking_tasks WHERE kind <> 'normal';
DROP INDEX marking_tasks_assigned_idx;
DROP INDEX marking_tasks_held_idx;
DROP INDEX marking_tasks_reserved_idx;
DROP INDEX marking_tasks_dispatch_idx;
DROP INDEX marking_tasks_arbitration_idx;
DROP INDEX marking_tasks_crop_round_idx;
ALTER TABLE marking_tasks
    DROP COLUMN kind, DROP COLUMN school_id, DROP COLUMN marker_school_id, DROP COLUMN for_marker,
    DROP COLUMN ref_mark_id, DROP COLUMN control_id, DROP COLUMN not_before;
ALTER TABLE marking_tasks ADD CONSTRAINT marking_tasks_crop_id_round_key UNIQUE (crop_id, round);
DROP TABLE control_answers;
DROP TABLE marking_assignments;
DROP INDEX question_groups_id_subject_idx;
ALTER TABLE question_groups
    DROP COLUMN final_rule, DROP COLUMN compare, DROP COLUMN arbiter,
    DROP COLUMN remark_share, DROP COLUMN control_share;
