package queue

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Task types, domain:verb.
const (
	TypePageRead  = "page:read"  // read one page image with the OMR reader
	TypeCardScore = "card:score" // score a card's objective items from the key
)

// PageReadPayload names the page to read.
type PageReadPayload struct {
	PageID int64 `json:"page_id"`
}

// CardScorePayload names the card to score. IfDue skips a card whose
// pages have not changed since it was last scored.
type CardScorePayload struct {
	CardID int64 `json:"card_id"`
	IfDue  bool  `json:"if_due,omitempty"`
}

// NewPageReadTask reads a page. The task id is the page's, so a page is
// never read twice at the same time, however often it is enqueued.
func NewPageReadTask(pageID int64) (*asynq.Task, []asynq.Option) {
	return newTask(TypePageRead, PageReadPayload{PageID: pageID}, fmt.Sprintf("page:read:%d", pageID), 2*time.Minute)
}

// NewCardScoreTask scores a card.
func NewCardScoreTask(cardID int64) (*asynq.Task, []asynq.Option) {
	return newTask(TypeCardScore, CardScorePayload{CardID: cardID}, fmt.Sprintf("card:score:%d", cardID), time.Minute)
}

// NewCardScoreAfterReadTask scores a card after a reading changed it, when
// the reading could not score it itself (the page handler scores the card a
// reading completes, and queues this only if that scoring failed).
//
// Its id is the reading's own, not the card's: with one id per card, a
// reading that committed while the card's scoring was running, or in the
// retention after it, found the id taken and its change waited for the
// sweep; with two sides of a card read together that was most cards. Each
// reading's task runs after the reading committed, and skips the card
// when another scoring has covered the change already (IfDue), which
// costs one query.
func NewCardScoreAfterReadTask(cardID int64, reading string) (*asynq.Task, []asynq.Option) {
	return newTask(TypeCardScore, CardScorePayload{CardID: cardID, IfDue: true}, fmt.Sprintf("card:score:%d:%s", cardID, reading), time.Minute)
}

func newTask(typ string, payload any, id string, timeout time.Duration) (*asynq.Task, []asynq.Option) {
	b, err := json.Marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("marshal %s payload: %v", typ, err)) // plain structs of ints cannot fail
	}
	return asynq.NewTask(typ, b), []asynq.Option{
		asynq.TaskID(id),
		asynq.MaxRetry(10),
		asynq.Timeout(timeout),
		// Keep finished ids for a while so a re-enqueue right after
		// completion is also refused; handlers are idempotent anyway.
		asynq.Retention(10 * time.Minute),
	}
}

// DecodePayload unmarshals a task payload; a bad payload is never retried.
func DecodePayload(t *asynq.Task, v any) error {
	if err := json.Unmarshal(t.Payload(), v); err != nil {
		return fmt.Errorf("bad %s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	return nil
}
