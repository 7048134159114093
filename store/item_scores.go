package store

import (
	"context"
	"fmt"
)

// ItemScore is one candidate's score on one item.
type ItemScore struct {
	Item     string
	Score    float64
	Response string
	Source   string
}

// SetObjectiveScores writes the machine scores of a card's objective items,
// replacing earlier machine scores and removing items no longer scored
// (excluded after a dispute). Scores set by a person ('manual') are kept.
// Returns how many scores changed.
func SetObjectiveScores(ctx context.Context, q TxOrPool, candidateID, subjectID int64, scores []ItemScore) (changed int, err error) {
	items := make([]string, len(scores))
	vals := make([]float64, len(scores))
	resp := make([]string, len(scores))
	for i, s := range scores {
		items[i], vals[i], resp[i] = s.Item, s.Score, s.Response
	}
	var n int
	err = q.QueryRow(ctx, `
		WITH new AS (
			SELECT * FROM unnest($3::text[], $4::numeric[], $5::text[]) AS t(item, score, response)
		), del AS (
			DELETE FROM item_scores s
			WHERE s.candidate_id = $1 AND s.subject_id = $2 AND s.source = 'omr'
			  AND s.item ~ '^[0-9]+$' AND NOT EXISTS (SELECT 1 FROM new WHERE new.item = s.item)
			RETURNING 1
		), up AS (
			INSERT INTO item_scores (candidate_id, subject_id, item, score, response, source)
			SELECT $1, $2, item, score, response, 'omr' FROM new
			ON CONFLICT (candidate_id, subject_id, item) DO UPDATE
			SET score = EXCLUDED.score, response = EXCLUDED.response, updated_at = now()
			WHERE item_scores.source = 'omr'
			  AND (item_scores.score, item_scores.response) IS DISTINCT FROM (EXCLUDED.score, EXCLUDED.response)
			RETURNING 1
		)
		SELECT (SELECT count(*) FROM del) + (SELECT count(*) FROM up)`,
		candidateID, subjectID, items, vals, resp).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("save objective scores: %w", err)
	}
	return n, nil
}

// CandidateScores returns a candidate's item scores in a subject.
func CandidateScores(ctx context.Context, q TxOrPool, candidateID, subjectID int64) (map[string]ItemScore, error) {
	rows, err := q.Query(ctx, `
		SELECT item, score::float8, response, source FROM item_scores
		WHERE candidate_id = $1 AND subject_id = $2`, candidateID, subjectID)
	if err != nil {
		return nil, fmt.Errorf("read scores: %w", err)
	}
	defer rows.Close()
	out := map[string]ItemScore{}
	for rows.Next() {
		var s ItemScore
		if err := rows.Scan(&s.Item, &s.Score, &s.Response, &s.Source); err != nil {
			return nil, fmt.Errorf("read scores: %w", err)
		}
		out[s.Item] = s
	}
	return out, rows.Err()
}
