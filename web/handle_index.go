package web

import (
	"net/http"

	"github.com/saoyue/saoyue/store"
)

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	exams, err := store.ExamSummaries(r.Context(), s.DB.Pool)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, "index.html", struct{ Exams []store.ExamSummary }{exams})
}
