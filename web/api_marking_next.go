package web

import (
	"net/http"
	"time"

	"github.com/saoyue/saoyue/grading/marking"
)

type partJSON = marking.Part

type groupJSON struct {
	Code     string     `json:"code"`
	Name     string     `json:"name"`
	MaxScore float64    `json:"max_score"`
	Parts    []partJSON `json:"parts"`
}

type taskJSON struct {
	ID         string    `json:"id"`
	CropURL    string    `json:"crop_url"`
	LeaseUntil time.Time `json:"lease_until"`
}

type nextJSON struct {
	Group groupJSON  `json:"group"`
	Tasks []taskJSON `json:"tasks"` // the first to mark now, the rest prefetched; empty: nothing left
}

// handleMarkingNext: GET /api/marking/next?n=3 gives the marker up to n
// answers (default 3: one to mark and two prefetched).
func (s *Server) handleMarkingNext(w http.ResponseWriter, r *http.Request) {
	m := s.marker(w, r)
	if m == nil {
		return
	}
	n, err := queryInt(r, "n", 3)
	if err != nil {
		s.error(w, r, err)
		return
	}
	ids, err := s.taskIDs(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	next, err := s.engine().Next(r.Context(), m, n)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := nextJSON{
		Group: groupJSON{Code: next.Group.Code, Name: next.Group.Name, MaxScore: next.Group.MaxScore, Parts: next.Parts},
		Tasks: []taskJSON{},
	}
	for _, t := range next.Tasks {
		id := ids.Encode(t.ID)
		out.Tasks = append(out.Tasks, taskJSON{ID: id, CropURL: cropURL(id), LeaseUntil: t.LeaseUntil})
	}
	writeJSON(w, http.StatusOK, out)
}
