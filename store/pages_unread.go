package store

import (
	"context"
	"fmt"

	"github.com/saoyue/saoyue/reading"
)

// FailUnreadPages gives up on the pages of a batch still waiting to be
// read, for a caller that knows no reading is coming (the demo, once its
// in-process queue has run dry: a reading that failed for good). Each
// becomes an exception of the kind given, so it is reported and
// rescanned rather than waited for. It returns how many there were.
func FailUnreadPages(ctx context.Context, q TxOrPool, batchID int64, kind reading.Kind, reason string) (int, error) {
	tag, err := q.Exec(ctx, `
		WITH failed AS (
			UPDATE pages SET status = 'exception' WHERE batch_id = $1 AND status = 'received' RETURNING id
		)
		INSERT INTO exceptions (batch_id, page_id, kind, reason)
		SELECT $1, id, $2, $3 FROM failed
		ON CONFLICT (COALESCE(page_id, 0), COALESCE(card_id, 0), kind, item_no) DO NOTHING`, batchID, kind, reason)
	if err != nil {
		return 0, fmt.Errorf("fail unread pages of batch %d: %w", batchID, err)
	}
	return int(tag.RowsAffected()), nil
}
