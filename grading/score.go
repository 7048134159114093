package grading

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/store"
)

// RegisterTemplate stores a card template for a subject and creates its
// question groups from the template's answer boxes. Registering the same
// file again changes nothing.
func RegisterTemplate(ctx context.Context, db *store.DB, subjectID int64, yamlBody []byte) (*store.Template, error) {
	t, err := card.Parse(yamlBody)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(yamlBody)
	st := &store.Template{Code: t.ID, SubjectID: subjectID, Body: string(yamlBody), SHA256: hex.EncodeToString(sum[:])}
	err = db.InTx(ctx, func(tx pgx.Tx) error {
		if err := store.SaveTemplate(ctx, tx, st); err != nil {
			return err
		}
		for _, g := range Groups(t) {
			g.SubjectID = subjectID
			if err := store.UpsertQuestionGroup(ctx, tx, &g); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// Groups collects a template's question groups, each with its sub-questions
// in card order.
func Groups(t *card.Template) []store.QuestionGroup {
	var out []store.QuestionGroup
	index := map[string]int{}
	for _, p := range t.Pages {
		for _, s := range p.Subjective {
			i, ok := index[s.Group]
			if !ok {
				i = len(out)
				index[s.Group] = i
				out = append(out, store.QuestionGroup{Code: s.Group, Name: "第" + s.Group + "题", Step: s.Step})
			}
			g := &out[i]
			g.Subs = append(g.Subs, store.SubQuestion{Sub: s.Sub, Max: s.MaxScore, Step: s.Step})
			g.MaxScore += s.MaxScore
			if s.Step < g.Step {
				g.Step = s.Step
			}
		}
	}
	return out
}

// ImportKey replaces a subject's answer key for a form and rescores every
// card of the subject; the change is written to the audit log with the old
// and new keys.
func ImportKey(ctx context.Context, db *store.DB, subjectID int64, key *Key, actor, reason string) (rescored int, err error) {
	rows := make([]store.KeyRow, 0, len(key.Items))
	for _, k := range key.Sorted() {
		rows = append(rows, store.KeyRow{Form: key.Form, Item: k.Item, Kind: k.Kind, Answers: k.Answers,
			Points: k.Points, PartialPoints: k.PartialPoints, Excluded: k.Excluded})
	}
	err = keyTx(ctx, db, subjectID, actor, saoyue.AuditKeyReplace, func(tx pgx.Tx) error {
		old, err := store.ReplaceKey(ctx, tx, subjectID, key.Form, rows)
		if err != nil {
			return err
		}
		if err := store.SaveKnowledge(ctx, tx, subjectID, key.Knowledge(subjectID)); err != nil {
			return err
		}
		return store.WriteAudit(ctx, tx, store.AuditEntry{Actor: actor, Action: saoyue.AuditKeyReplace, Entity: saoyue.EntitySubject,
			EntityID: strconv.FormatInt(subjectID, 10), Old: old, New: rows, Reason: reason})
	})
	if err != nil {
		return 0, err
	}
	return Rescore(ctx, db, subjectID, actor, reason)
}

// Rescore recomputes the objective scores of every card of a subject from
// the current key, in one transaction, and records how many changed.
func Rescore(ctx context.Context, db *store.DB, subjectID int64, actor, reason string) (changed int, err error) {
	cards, err := store.SubjectCards(ctx, db.Pool, subjectID)
	if err != nil {
		return 0, err
	}
	err = keyTx(ctx, db, subjectID, actor, saoyue.AuditRescore, func(tx pgx.Tx) error {
		keys, err := loadKeys(ctx, tx, subjectID)
		if err != nil {
			return err
		}
		for _, id := range cards {
			in, err := store.ReadCardToScore(ctx, tx, id, false)
			if err != nil {
				return err
			}
			n, err := scoreCard(ctx, tx, in.Card, keys, in.Responses)
			if err != nil {
				return err
			}
			changed += n
		}
		return store.WriteAudit(ctx, tx, store.AuditEntry{Actor: actor, Action: saoyue.AuditRescore, Entity: saoyue.EntitySubject,
			EntityID: strconv.FormatInt(subjectID, 10), New: map[string]int{"cards": len(cards), "scores_changed": changed}, Reason: reason})
	})
	return changed, err
}

// ScoreCard scores one card's objective items. Items the reader was not
// sure of (doubtful, not yet resolved) get no score: the card is not
// finished until a person decides. Absent candidates get no scores.
func ScoreCard(ctx context.Context, db *store.DB, cardID int64) (changed int, err error) {
	// The card's lock and everything scoring reads go with BEGIN.
	var in store.CardToScore
	err = db.InTxAfter(ctx, func(b *pgx.Batch) { store.QueueCardToScore(b, cardID, true, true, &in) }, func(tx pgx.Tx) error {
		changed, err = scoreCard(ctx, tx, in.Card, keysByForm(in.Key), in.Responses)
		return err
	})
	return changed, err
}

func loadKeys(ctx context.Context, q store.TxOrPool, subjectID int64) (map[string]map[int]KeyItem, error) {
	rows, err := store.Keys(ctx, q, subjectID)
	if err != nil {
		return nil, err
	}
	return keysByForm(rows), nil
}

func keysByForm(rows []store.KeyRow) map[string]map[int]KeyItem {
	keys := map[string]map[int]KeyItem{}
	for _, r := range rows {
		if keys[r.Form] == nil {
			keys[r.Form] = map[int]KeyItem{}
		}
		keys[r.Form][r.Item] = KeyItem{Item: r.Item, Kind: r.Kind, Answers: r.Answers, Points: r.Points,
			PartialPoints: r.PartialPoints, Excluded: r.Excluded}
	}
	return keys
}

// scoreCard scores c from resp, what was read on it (store.CardResponses).
func scoreCard(ctx context.Context, tx pgx.Tx, c *store.Card, keys map[string]map[int]KeyItem, resp map[int]store.CardResponse) (int, error) {
	key := keys[c.Form]
	if key == nil {
		key = keys[""]
	}
	var scores []store.ItemScore
	if !c.Absent && key != nil {
		for item, k := range key {
			r, ok := resp[item]
			if !ok || !r.Status.Scorable() {
				continue // not read yet, or waiting for a person
			}
			s, scored := k.Score(r.Chosen)
			if !scored {
				continue
			}
			scores = append(scores, store.ItemScore{Item: strconv.Itoa(item), Score: s, Response: r.Chosen})
		}
	}
	n, err := store.SetObjectiveScores(ctx, tx, c.CandidateID, c.SubjectID, scores)
	if err != nil {
		return 0, fmt.Errorf("score card %d: %w", c.ID, err)
	}
	return n, nil
}
