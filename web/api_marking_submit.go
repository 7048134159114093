package web

import (
	"net/http"
	"time"

	"github.com/saoyue/saoyue/grading/marking"
)

type markJSON struct {
	TaskID    string    `json:"task_id"`
	Scores    []float64 `json:"scores"`
	Total     float64   `json:"total"`
	MarkedAt  time.Time `json:"marked_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (s *Server) markJSON(ids *marking.TaskIDs, mk *marking.Marked) markJSON {
	return markJSON{TaskID: ids.Encode(mk.TaskID), Scores: mk.Scores, Total: mk.Total, MarkedAt: mk.MarkedAt, UpdatedAt: mk.UpdatedAt}
}

// handleMarkingSubmit: POST /api/marking/tasks/{task}/mark
// {"scores": [4, 2.5], "duration_ms": 5200} stores the marker's scores,
// one per part.
func (s *Server) handleMarkingSubmit(w http.ResponseWriter, r *http.Request) {
	m := s.marker(w, r)
	if m == nil {
		return
	}
	var body struct {
		Scores     []float64 `json:"scores"`
		DurationMS int       `json:"duration_ms"`
	}
	id, err := s.pathTask(r)
	if err == nil {
		err = decodeJSON(r, &body)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	mk, err := s.engine().Submit(r.Context(), m, id, marking.Submission{Scores: body.Scores, DurationMS: body.DurationMS})
	if err != nil {
		s.error(w, r, err)
		return
	}
	ids, _ := s.taskIDs(r)
	writeJSON(w, http.StatusOK, s.markJSON(ids, mk))
}

// handleMarkingRevise: PUT /api/marking/tasks/{task}/mark
// {"scores": [...], "reason": "..."} changes the marker's own recent mark
// (or one the leader sent back); the change is audited.
func (s *Server) handleMarkingRevise(w http.ResponseWriter, r *http.Request) {
	m := s.marker(w, r)
	if m == nil {
		return
	}
	var body struct {
		Scores []float64 `json:"scores"`
		Reason string    `json:"reason"`
	}
	id, err := s.pathTask(r)
	if err == nil {
		err = decodeJSON(r, &body)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	mk, err := s.engine().Revise(r.Context(), m, id, body.Scores, body.Reason)
	if err != nil {
		s.error(w, r, err)
		return
	}
	ids, _ := s.taskIDs(r)
	writeJSON(w, http.StatusOK, s.markJSON(ids, mk))
}
