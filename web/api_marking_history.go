package web

import (
	"net/http"
)

type historyJSON struct {
	markJSON
	Revisable    bool   `json:"revisable"`
	Returned     bool   `json:"returned"`
	ReturnReason string `json:"return_reason,omitempty"`
}

// handleMarkingHistory: GET /api/marking/history?limit=50 lists the
// marker's own latest marks, those the leader sent back first.
func (s *Server) handleMarkingHistory(w http.ResponseWriter, r *http.Request) {
	m := s.marker(w, r)
	if m == nil {
		return
	}
	limit, err := queryInt(r, "limit", 50)
	if err != nil {
		s.error(w, r, err)
		return
	}
	ids, err := s.taskIDs(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	hs, err := s.engine().History(r.Context(), m, limit)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := []historyJSON{}
	for _, h := range hs {
		out = append(out, historyJSON{markJSON: s.markJSON(ids, &h.Marked), Revisable: h.Revisable, Returned: h.Returned, ReturnReason: h.ReturnReason})
	}
	writeJSON(w, http.StatusOK, map[string]any{"marks": out})
}

// handleMarkingProgress: GET /api/marking/progress gives the marker's
// counts: marked, held, returned, and answers still available to them.
func (s *Server) handleMarkingProgress(w http.ResponseWriter, r *http.Request) {
	m := s.marker(w, r)
	if m == nil {
		return
	}
	p, err := s.engine().Progress(r.Context(), m)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"group": p.GroupCode, "role": m.Role, "marked": p.Marked, "held": p.Held, "returned": p.Returned, "available": p.Available,
	})
}
