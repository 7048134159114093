-- Report settings of issue 23: the 良好 line, grade bands (A–E by score
-- or by percentile), the 名次段 cut-offs, the 临界生 margin and the
-- weights of the 三率一分 composite. Defaults in store.DefaultReportSettings.
ALTER TABLE report_settings
    ADD COLUMN good_ratio        numeric(4,3) NOT NULL DEFAULT 0.75 CHECK (good_ratio >= 0 AND good_ratio <= 1), -- 0: the default 75% where it fits,
    ADD COLUMN grade_mode        text NOT NULL DEFAULT 'score' CHECK (grade_mode IN ('score','percentile')),
    -- four descending cuts: by score, fractions of the full score A ≥ c1,
    -- B ≥ c2 …; by percentile, the cumulative shares from the top.
    ADD COLUMN grade_cuts        numeric(4,3)[] NOT NULL DEFAULT '{}',
    ADD COLUMN top_n             int[] NOT NULL DEFAULT '{50,100,200,500}',
    ADD COLUMN critical_margin   numeric(4,3) NOT NULL DEFAULT 0.05 CHECK (critical_margin > 0 AND critical_margin < 1),
    ADD COLUMN composite_weights numeric(4,3)[] NOT NULL DEFAULT '{0.4,0.2,0.2,0.2}';

-- The 双向细目表: each item's 知识点 and abilities, from the answer-key
-- file. item is the objective item's number or the question group's code.
CREATE TABLE item_knowledge (
    subject_id  bigint NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    item        text   NOT NULL,
    knowledge   text[] NOT NULL DEFAULT '{}',
    abilities   text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (subject_id, item)
);
