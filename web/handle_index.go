package web

import (
	"net/http"

	"github.com/saoyue/saoyue/store"
)

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	exams, err := s.DB.ExamSummaries(r.Context())
	if err != nil {
		s.Logger.Error("list exams", "err", err)
		http.Error(w, "服务器内部错误，请稍后重试", http.StatusInternalServerError)
		return
	}
	s.render(w, "index.html", struct{ Exams []store.ExamSummary }{exams})
}
