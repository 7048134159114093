DROP INDEX IF EXISTS batches_bag_idx;
DROP TABLE IF EXISTS scan_tokens;
