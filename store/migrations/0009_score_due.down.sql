DROP INDEX IF EXISTS pages_received;
DROP INDEX IF EXISTS cards_score_due;
ALTER TABLE cards DROP COLUMN IF EXISTS score_due;
