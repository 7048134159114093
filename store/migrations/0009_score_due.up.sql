-- A card whose pages changed since it was last scored. The page reading
-- sets it in its own transaction and card:score clears it in its own, with
-- the card row locked; a card:score task that was dropped because another
-- was still running for the same card leaves the flag set, and the sweep
-- scores the card again. Pages stuck in 'received' (their task lost with
-- Redis) are found by the sweep through this index too.
ALTER TABLE cards ADD COLUMN score_due boolean NOT NULL DEFAULT false;
CREATE INDEX cards_score_due ON cards (id) WHERE score_due;
CREATE INDEX pages_received ON pages (received_at) WHERE status = 'received';
