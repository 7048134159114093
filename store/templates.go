package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/saoyue/saoyue"
)

// ErrTemplateNotFound is returned when a subject has no card template.
var ErrTemplateNotFound = &saoyue.Error{Code: saoyue.ENOTFOUND, Message: "没有这个答题卡模板"}

// Template is a card template as registered for a subject: the YAML as
// imported, so the reader uses exactly what was printed.
type Template struct {
	ID        int64
	Code      string
	Version   int
	SubjectID int64
	Body      string
	SHA256    string
}

// SaveTemplate registers a template for a subject. Saving the same YAML
// again is a no-op; a changed YAML with the same code becomes a new version.
func SaveTemplate(ctx context.Context, q TxOrPool, t *Template) error {
	err := q.QueryRow(ctx, `
		SELECT id, version FROM templates WHERE code = $1 AND sha256 = $2 AND subject_id = $3`,
		t.Code, t.SHA256, t.SubjectID).Scan(&t.ID, &t.Version)
	if err == nil {
		return nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("look up template %s: %w", t.Code, err)
	}
	err = q.QueryRow(ctx, `
		INSERT INTO templates (code, version, subject_id, body, sha256)
		VALUES ($1, (SELECT COALESCE(max(version), 0) + 1 FROM templates WHERE code = $1), $2, $3, $4)
		RETURNING id, version`, t.Code, t.SubjectID, t.Body, t.SHA256).Scan(&t.ID, &t.Version)
	if err != nil {
		return fmt.Errorf("save template %s: %w", t.Code, err)
	}
	return nil
}

// SubjectTemplates returns the latest version of each template code
// registered for a subject.
func SubjectTemplates(ctx context.Context, q TxOrPool, subjectID int64) ([]Template, error) {
	rows, err := q.Query(ctx, `
		SELECT DISTINCT ON (code) id, code, version, subject_id, body, sha256
		FROM templates WHERE subject_id = $1 ORDER BY code, version DESC`, subjectID)
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	ts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Template, error) {
		var t Template
		err := r.Scan(&t.ID, &t.Code, &t.Version, &t.SubjectID, &t.Body, &t.SHA256)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("subject %d: %w", subjectID, ErrTemplateNotFound)
	}
	return ts, nil
}
