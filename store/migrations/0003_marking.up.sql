-- Subjective marking (issue 6): assignment plans, 2+1 settings, dispatch,
-- quality control and problem flags. Rules and formulas: docs/MARKING.md.

-- How a 2+1 group settles: final = mean of the agreeing pair or the
-- arbitrator's score; marks disagree when |a-b| > tolerance (gt) or
-- >= tolerance (ge); arbitration by any third marker or only the leader.
-- The QC shares are per answer marked.
ALTER TABLE question_groups
    ADD COLUMN final_rule    text NOT NULL DEFAULT 'mean' CHECK (final_rule IN ('mean','arbiter')),
    ADD COLUMN compare       text NOT NULL DEFAULT 'gt' CHECK (compare IN ('gt','ge')),
    ADD COLUMN arbiter       text NOT NULL DEFAULT 'marker' CHECK (arbiter IN ('marker','leader')),
    ADD COLUMN remark_share  numeric(5,4) NOT NULL DEFAULT 0.01 CHECK (remark_share BETWEEN 0 AND 1),
    ADD COLUMN control_share numeric(5,4) NOT NULL DEFAULT 0.01 CHECK (control_share BETWEEN 0 AND 1);
-- Lets the plan refer to (group, subject) so a teacher cannot be put on a
-- group of another subject than the assignment's.
CREATE UNIQUE INDEX question_groups_id_subject_idx ON question_groups(id, subject_id);

-- The plan: each teacher marks one group of a subject (DOMAIN rule 5).
CREATE TABLE marking_assignments (
    subject_id  bigint NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    teacher_id  bigint NOT NULL REFERENCES teachers(id) ON DELETE CASCADE,
    group_id    bigint NOT NULL,
    role        text NOT NULL DEFAULT 'marker' CHECK (role IN ('marker','leader')),
    updated_by  text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject_id, teacher_id),
    FOREIGN KEY (group_id, subject_id) REFERENCES question_groups(id, subject_id) ON DELETE CASCADE
);
CREATE INDEX marking_assignments_group_idx ON marking_assignments(group_id);

-- Answers the leader has scored, seeded unseen into markers' queues.
CREATE TABLE control_answers (
    id          bigserial PRIMARY KEY,
    group_id    bigint NOT NULL REFERENCES question_groups(id) ON DELETE CASCADE,
    crop_id     bigint NOT NULL REFERENCES crops(id),
    school_id   bigint NOT NULL REFERENCES schools(id),
    scores      numeric(5,1)[] NOT NULL,
    total       numeric(5,1) NOT NULL CHECK (total >= 0),
    created_by  bigint NOT NULL REFERENCES teachers(id),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (group_id, crop_id)
);

-- A crop has one task per normal round, but any number of control and
-- re-mark tasks (one per marker and mark), so the uniqueness narrows.
ALTER TABLE marking_tasks DROP CONSTRAINT marking_tasks_crop_id_round_key;
ALTER TABLE marking_tasks
    ADD COLUMN kind             text NOT NULL DEFAULT 'normal' CHECK (kind IN ('normal','control','remark')),
    ADD COLUMN school_id        bigint REFERENCES schools(id),   -- the answer's school: the cross-school filter
    ADD COLUMN marker_school_id bigint REFERENCES schools(id),   -- school of assigned_to: 2+1 pairs differ
    ADD COLUMN for_marker       bigint REFERENCES teachers(id),  -- control and re-mark tasks belong to one marker
    ADD COLUMN ref_mark_id      bigint REFERENCES marks(id),     -- the mark a re-mark repeats
    ADD COLUMN control_id       bigint REFERENCES control_answers(id),
    ADD COLUMN not_before       timestamptz;                     -- a re-mark waits before it comes back
CREATE UNIQUE INDEX marking_tasks_crop_round_idx ON marking_tasks(crop_id, round) WHERE kind = 'normal';
CREATE INDEX marking_tasks_dispatch_idx ON marking_tasks(group_id, id)
    WHERE kind = 'normal' AND status IN ('open','leased');
CREATE INDEX marking_tasks_arbitration_idx ON marking_tasks(group_id, id)
    WHERE kind = 'normal' AND round = 3 AND status IN ('open','leased');
CREATE INDEX marking_tasks_reserved_idx ON marking_tasks(for_marker, id)
    WHERE for_marker IS NOT NULL AND status IN ('open','leased');
CREATE INDEX marking_tasks_held_idx ON marking_tasks(assigned_to) WHERE status = 'leased';
CREATE INDEX marking_tasks_assigned_idx ON marking_tasks(assigned_to, id);

-- A leader can send a mark back to its marker to be marked again.
ALTER TABLE marks
    ADD COLUMN returned_at   timestamptz,
    ADD COLUMN returned_by   bigint REFERENCES teachers(id),
    ADD COLUMN return_reason text NOT NULL DEFAULT '';
CREATE INDEX marks_task_idx ON marks(task_id);
CREATE INDEX marks_marker_idx ON marks(marker_id, id);

-- 问题卷: answers a marker could not mark, for the group leader.
CREATE TABLE problem_flags (
    id          bigserial PRIMARY KEY,
    task_id     bigint NOT NULL REFERENCES marking_tasks(id),
    group_id    bigint NOT NULL REFERENCES question_groups(id) ON DELETE CASCADE,
    school_id   bigint NOT NULL REFERENCES schools(id),
    marker_id   bigint NOT NULL REFERENCES teachers(id),
    reason      text NOT NULL CHECK (reason IN ('blank','illegible','wrong_region','copying','other')),
    note        text NOT NULL DEFAULT '',
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open','resolved')),
    resolution  text NOT NULL DEFAULT '',
    resolved_by bigint REFERENCES teachers(id),
    resolved_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX problem_flags_open_idx ON problem_flags(task_id) WHERE status = 'open';
CREATE INDEX problem_flags_group_idx ON problem_flags(group_id, id) WHERE status = 'open';

-- The key that turns task ids into opaque ones: random per installation,
-- kept in the database so ids survive a restart and agree across servers.
CREATE TABLE marking_secret (
    id   int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    key  bytea NOT NULL
);
INSERT INTO marking_secret (key) VALUES (uuid_send(gen_random_uuid()));
