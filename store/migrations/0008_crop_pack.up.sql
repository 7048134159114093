-- The answer crops of a page are packed into one object (one PUT instead of
-- one per question group); a crop row names its bytes in it. A NULL size is
-- a crop stored as a whole object of its own.
ALTER TABLE crops ADD COLUMN blob_offset bigint NOT NULL DEFAULT 0,
                  ADD COLUMN blob_size bigint CHECK (blob_size > 0);
