-- Sub-questions of a question group, from the template: [{"sub":"(1)","max":4,"step":1}, ...]
ALTER TABLE question_groups ADD COLUMN subs jsonb NOT NULL DEFAULT '[]';

-- A template belongs to a subject; one subject may have several (forms A/B).
CREATE INDEX templates_subject_idx ON templates(subject_id);

-- Resolution of exceptions: who asked for a change, who approved it.
ALTER TABLE exceptions ADD COLUMN requested_by text;
ALTER TABLE exceptions ADD COLUMN requested_at timestamptz;
ALTER TABLE exceptions ADD COLUMN approved_by text;

-- Machine-read answers corrected by a person override the reading; the
-- reading itself stays in read_results untouched.
CREATE TABLE answer_overrides (
    card_id     bigint NOT NULL REFERENCES cards(id),
    item_no     int    NOT NULL,
    response    text   NOT NULL,            -- chosen options, '' = blank
    set_by      text   NOT NULL,
    approved_by text   NOT NULL,
    set_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (card_id, item_no)
);

CREATE INDEX pages_status_idx ON pages(status) WHERE status = 'received';
CREATE INDEX cards_batch_idx ON cards(batch_id);
