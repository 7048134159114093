DROP TABLE IF EXISTS item_knowledge;
ALTER TABLE report_settings
    DROP COLUMN IF EXISTS good_ratio,
    DROP COLUMN IF EXISTS grade_mode,
    DROP COLUMN IF EXISTS grade_cuts,
    DROP COLUMN IF EXISTS top_n,
    DROP COLUMN IF EXISTS critical_margin,
    DROP COLUMN IF EXISTS composite_weights;
