package web

import (
	"net/http"

	"github.com/saoyue/saoyue"
)

// handleMarkingFlag: POST /api/marking/tasks/{task}/flag
// {"reason": "blank|illegible|wrong_region|copying|other", "note": "..."}
// sends a held answer to the group leader (问题卷). 204 on success.
func (s *Server) handleMarkingFlag(w http.ResponseWriter, r *http.Request) {
	m := s.marker(w, r)
	if m == nil {
		return
	}
	var body struct {
		Reason saoyue.ProblemReason `json:"reason"`
		Note   string               `json:"note"`
	}
	id, err := s.pathTask(r)
	if err == nil {
		err = decodeJSON(r, &body)
	}
	if err == nil {
		err = s.engine().Flag(r.Context(), m, id, body.Reason, body.Note)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
