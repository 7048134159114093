package web

import (
	"net/http"

	"github.com/saoyue/saoyue"
)

type markPage struct {
	Error     string
	GroupCode string
	SubjectID int64
	Leader    bool
}

// handleMarkPage: GET /mark, the page teachers spend their marking days
// in. Everything after the first paint goes through the marking API.
func (s *Server) handleMarkPage(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	d := markPage{}
	m, err := s.markerOf(r)
	switch {
	case saoyue.ErrorCode(err) == saoyue.EFORBIDDEN:
		d.Error = "您目前没有正在阅卷的题组：阅卷尚未开始或已经结束，或您不在阅卷安排中。如有疑问请联系监测中心。"
	case err != nil:
		s.error(w, r, err)
		return
	default:
		d.GroupCode, d.SubjectID, d.Leader = m.GroupCode, m.SubjectID, m.Leader()
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, "mark.html", pageData{Title: "阅卷", Nav: "mark", Session: sess, Data: d})
}
