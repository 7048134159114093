-- Score release, review (复核, 查分) and report settings (issue 8).

-- Per-exam thresholds of the report, as fractions of each full score.
-- An exam without a row uses the defaults: pass 60% (DOMAIN rule 14),
-- excellent 85%, low below 40%, bands of 10 points.
CREATE TABLE report_settings (
    exam_id         bigint PRIMARY KEY REFERENCES exams(id) ON DELETE CASCADE,
    pass_ratio      numeric(4,3) NOT NULL DEFAULT 0.6  CHECK (pass_ratio > 0 AND pass_ratio <= 1),
    excellent_ratio numeric(4,3) NOT NULL DEFAULT 0.85 CHECK (excellent_ratio > 0 AND excellent_ratio <= 1),
    low_ratio       numeric(4,3) NOT NULL DEFAULT 0.4  CHECK (low_ratio > 0 AND low_ratio <= 1),
    band_width      numeric(5,1) NOT NULL DEFAULT 10   CHECK (band_width > 0),
    CHECK (excellent_ratio >= pass_ratio)
);

-- When the exam went to school review and when the centre made it final
-- (DOMAIN rule 8). exams.status says where it is now; this keeps who and when.
CREATE TABLE exam_release (
    exam_id          bigint PRIMARY KEY REFERENCES exams(id) ON DELETE CASCADE,
    review_opened_at timestamptz,
    review_opened_by text,
    final_at         timestamptz,
    final_by         text
);

-- A candidate-level review request (查分): logged, then answered; a score
-- change it leads to goes through the audited change of item scores.
CREATE TABLE review_requests (
    id            bigserial PRIMARY KEY,
    candidate_id  bigint NOT NULL REFERENCES candidates(id) ON DELETE CASCADE,
    subject_id    bigint NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    item          text NOT NULL DEFAULT '',    -- '' = the whole subject
    requested_by  text NOT NULL,
    reason        text NOT NULL,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open','answered')),
    answer        text NOT NULL DEFAULT '',
    score_changed boolean NOT NULL DEFAULT false,
    answered_by   text,
    answered_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (status = 'open' OR (answered_by IS NOT NULL AND answered_at IS NOT NULL))
);
CREATE INDEX review_requests_candidate_idx ON review_requests(candidate_id);
CREATE INDEX review_requests_open_idx ON review_requests(subject_id) WHERE status = 'open';
