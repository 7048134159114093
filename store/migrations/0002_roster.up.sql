-- Exams are usually for one grade (e.g. 五年级); the roster may hold several,
-- so the exam remembers which grade sits it. Empty = every student.
ALTER TABLE exams ADD COLUMN grade text NOT NULL DEFAULT '';
