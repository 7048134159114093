-- The whole domain of ../shared/DOMAIN.md. Later migrations add columns;
-- the keys and uniqueness rules here are the ones the rules depend on.

CREATE TABLE counties (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    name        text NOT NULL
);

CREATE TABLE schools (
    id          bigserial PRIMARY KEY,
    county_id   bigint NOT NULL REFERENCES counties(id),
    code        text NOT NULL UNIQUE,          -- county-issued school code, digits
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (code ~ '^[0-9]{2,6}$')
);

-- Students are the roster (学籍); candidates are students sitting one exam.
CREATE TABLE students (
    id          bigserial PRIMARY KEY,
    school_id   bigint NOT NULL REFERENCES schools(id),
    student_no  text NOT NULL,                 -- roster id within the school (学籍号)
    name        text NOT NULL,
    gender      text NOT NULL DEFAULT '',
    grade       text NOT NULL DEFAULT '',
    class_name  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (school_id, student_no)
);

CREATE TABLE teachers (
    id          bigserial PRIMARY KEY,
    school_id   bigint NOT NULL REFERENCES schools(id),
    teacher_no  text NOT NULL,
    name        text NOT NULL,
    phone       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (school_id, teacher_no)
);

CREATE TABLE teacher_subjects (
    teacher_id   bigint NOT NULL REFERENCES teachers(id) ON DELETE CASCADE,
    subject_code text NOT NULL,
    PRIMARY KEY (teacher_id, subject_code)
);

CREATE TABLE exams (
    id             bigserial PRIMARY KEY,
    code           text NOT NULL UNIQUE,       -- two digits, the first part of every exam number
    name           text NOT NULL,
    status         text NOT NULL DEFAULT 'setup'
                   CHECK (status IN ('setup','scanning','marking','review','final')),
    room_capacity  int  NOT NULL DEFAULT 30 CHECK (room_capacity BETWEEN 1 AND 42),
    sample_size    int  NOT NULL DEFAULT 0,    -- 0 = every student sits the exam
    sample_seed    bigint NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (code ~ '^[0-9]{2}$')
);

CREATE TABLE exam_schools (
    exam_id     bigint NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
    school_id   bigint NOT NULL REFERENCES schools(id),
    PRIMARY KEY (exam_id, school_id)
);

CREATE TABLE subjects (
    id          bigserial PRIMARY KEY,
    exam_id     bigint NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
    code        text NOT NULL,                 -- math, english ...
    name        text NOT NULL,
    session     text NOT NULL DEFAULT 'am' CHECK (session IN ('am','pm')),
    full_score  numeric(6,1) NOT NULL DEFAULT 100,
    UNIQUE (exam_id, code)
);

CREATE TABLE rooms (
    id          bigserial PRIMARY KEY,
    exam_id     bigint NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
    school_id   bigint NOT NULL REFERENCES schools(id),
    number      int  NOT NULL CHECK (number BETWEEN 1 AND 99),
    capacity    int  NOT NULL CHECK (capacity BETWEEN 1 AND 42),
    UNIQUE (exam_id, school_id, number)
);

CREATE TABLE candidates (
    id          bigserial PRIMARY KEY,
    exam_id     bigint NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
    student_id  bigint NOT NULL REFERENCES students(id),
    exam_no     text NOT NULL,
    room_id     bigint NOT NULL REFERENCES rooms(id),
    seat        int  NOT NULL CHECK (seat BETWEEN 1 AND 42),
    UNIQUE (exam_id, student_id),              -- one exam number per candidate per exam
    UNIQUE (exam_id, exam_no),
    UNIQUE (room_id, seat)
);

CREATE TABLE templates (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL,                 -- the id inside the YAML and its QR codes
    version     int  NOT NULL DEFAULT 1,
    subject_id  bigint REFERENCES subjects(id),
    body        text NOT NULL,                 -- the YAML as imported
    sha256      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (code, version)
);

CREATE TABLE batches (
    id             bigserial PRIMARY KEY,
    exam_id        bigint NOT NULL REFERENCES exams(id),
    subject_id     bigint NOT NULL REFERENCES subjects(id),
    school_id      bigint NOT NULL REFERENCES schools(id),
    room_id        bigint REFERENCES rooms(id),
    expected_cards int  NOT NULL DEFAULT 0,
    status         text NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open','closed','reconciled','uploaded')),
    created_by     text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    closed_at      timestamptz
);

-- A card is one candidate's answer card for one subject: its pages join here.
CREATE TABLE cards (
    id            bigserial PRIMARY KEY,
    subject_id    bigint NOT NULL REFERENCES subjects(id),
    candidate_id  bigint NOT NULL REFERENCES candidates(id),
    batch_id      bigint REFERENCES batches(id),
    form          text NOT NULL DEFAULT '' CHECK (form IN ('','A','B')),
    absent        boolean NOT NULL DEFAULT false,
    violation     boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (subject_id, candidate_id)
);

CREATE TABLE pages (
    id            bigserial PRIMARY KEY,
    image_sha256  text NOT NULL UNIQUE,        -- an image is stored, and becomes a page, once
    blob_key      text NOT NULL,
    batch_id      bigint REFERENCES batches(id),
    seq           int  NOT NULL DEFAULT 0,     -- position in the scan order of the batch
    source_name   text NOT NULL DEFAULT '',
    template_id   bigint REFERENCES templates(id),
    page_no       int,
    form          text NOT NULL DEFAULT '',
    card_id       bigint REFERENCES cards(id),
    status        text NOT NULL DEFAULT 'received'
                  CHECK (status IN ('received','read','exception','done')),
    received_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (image_sha256 ~ '^[0-9a-f]{64}$')
);
CREATE INDEX pages_batch_idx ON pages(batch_id, seq);
CREATE UNIQUE INDEX pages_card_page_idx ON pages(card_id, page_no) WHERE card_id IS NOT NULL;

CREATE TABLE read_results (
    page_id         bigint PRIMARY KEY REFERENCES pages(id) ON DELETE CASCADE,
    reader_version  text NOT NULL,
    exam_no_barcode text NOT NULL DEFAULT '',
    exam_no_grid    text NOT NULL DEFAULT '',
    exam_no_verdict text NOT NULL DEFAULT '',
    rotation        int  NOT NULL DEFAULT 0,
    result          jsonb NOT NULL,            -- every item with its fills and confidence
    read_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE exceptions (
    id           bigserial PRIMARY KEY,
    batch_id     bigint REFERENCES batches(id),
    page_id      bigint REFERENCES pages(id),
    card_id      bigint REFERENCES cards(id),
    kind         text NOT NULL,                -- registration, wrong_template, blank_page, exam_no, duplicate, form_mismatch, doubtful, multi, missing_page, quality
    item_no      text NOT NULL DEFAULT '',
    reason       text NOT NULL,
    detail       jsonb NOT NULL DEFAULT '{}',
    status       text NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open','pending_approval','resolved')),
    resolution   jsonb,
    resolved_by  text,
    resolved_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
-- The same problem found twice (a handler re-run) is one exception.
CREATE UNIQUE INDEX exceptions_dedup_idx ON exceptions(COALESCE(page_id, 0), COALESCE(card_id, 0), kind, item_no);
CREATE INDEX exceptions_open_idx ON exceptions(batch_id) WHERE status <> 'resolved';

CREATE TABLE answer_keys (
    id              bigserial PRIMARY KEY,
    subject_id      bigint NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    form            text NOT NULL DEFAULT '' CHECK (form IN ('','A','B')),
    item_no         int  NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('single','multi','tf')),
    answers         text[] NOT NULL,           -- accepted answers, e.g. {B} or {AC} or {A,C} after a dispute
    points          numeric(5,1) NOT NULL CHECK (points >= 0),
    partial_points  numeric(5,1) NOT NULL DEFAULT 0 CHECK (partial_points >= 0),
    excluded        boolean NOT NULL DEFAULT false,
    UNIQUE (subject_id, form, item_no)
);

CREATE TABLE question_groups (
    id          bigserial PRIMARY KEY,
    subject_id  bigint NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    code        text NOT NULL,
    name        text NOT NULL DEFAULT '',
    max_score   numeric(5,1) NOT NULL CHECK (max_score > 0),
    step        numeric(4,1) NOT NULL DEFAULT 1 CHECK (step > 0),
    mode        text NOT NULL DEFAULT '1+0' CHECK (mode IN ('1+0','2+1')),
    tolerance   numeric(5,1) NOT NULL DEFAULT 0,
    UNIQUE (subject_id, code)
);

-- One score per candidate and item: objective items by number, subjective by group code.
CREATE TABLE item_scores (
    candidate_id  bigint NOT NULL REFERENCES candidates(id),
    subject_id    bigint NOT NULL REFERENCES subjects(id),
    item          text NOT NULL,
    score         numeric(5,1) NOT NULL CHECK (score >= 0),
    response      text NOT NULL DEFAULT '',
    source        text NOT NULL CHECK (source IN ('omr','mark','manual')),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (candidate_id, subject_id, item)
);

CREATE TABLE crops (
    id            bigserial PRIMARY KEY,
    page_id       bigint NOT NULL REFERENCES pages(id),
    card_id       bigint REFERENCES cards(id),
    group_id      bigint NOT NULL REFERENCES question_groups(id),
    blob_key      text NOT NULL,
    UNIQUE (page_id, group_id)
);

CREATE TABLE marking_tasks (
    id            bigserial PRIMARY KEY,
    crop_id       bigint NOT NULL REFERENCES crops(id),
    group_id      bigint NOT NULL REFERENCES question_groups(id),
    round         smallint NOT NULL DEFAULT 1 CHECK (round BETWEEN 1 AND 3),  -- 3 = arbitration
    status        text NOT NULL DEFAULT 'open'
                  CHECK (status IN ('open','leased','marked','problem','void')),
    assigned_to   bigint REFERENCES teachers(id),
    lease_until   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (crop_id, round)
);
CREATE INDEX marking_tasks_open_idx ON marking_tasks(group_id, status);

CREATE TABLE marks (
    id          bigserial PRIMARY KEY,
    task_id     bigint NOT NULL REFERENCES marking_tasks(id),
    marker_id   bigint NOT NULL REFERENCES teachers(id),
    scores      numeric(5,1)[] NOT NULL,       -- per sub-question
    total       numeric(5,1) NOT NULL CHECK (total >= 0),
    kind        text NOT NULL DEFAULT 'normal' CHECK (kind IN ('normal','remark','control','arbitration','leader')),
    duration_ms int  NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Every manual change of a machine-read value or a score: who, when, old, new, why.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL,
    entity      text NOT NULL,
    entity_id   text NOT NULL,
    old_value   jsonb,
    new_value   jsonb,
    reason      text NOT NULL DEFAULT '',
    approved_by text
);
CREATE INDEX audit_log_entity_idx ON audit_log(entity, entity_id);

CREATE TABLE incidents (
    id          bigserial PRIMARY KEY,
    exam_id     bigint NOT NULL REFERENCES exams(id),
    school_id   bigint REFERENCES schools(id),
    room_id     bigint REFERENCES rooms(id),
    level       smallint NOT NULL CHECK (level BETWEEN 1 AND 3),
    description text NOT NULL,
    reported_by text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
