package web

import (
	"net/http"

	"github.com/saoyue/saoyue"
)

// handleLeaderPage: GET /leader, for the group leaders of the plan. The
// page works through the leader API (/api/leader/*), which checks the role
// again on every call.
func (s *Server) handleLeaderPage(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	m, err := s.markerOf(r)
	if err != nil && saoyue.ErrorCode(err) != saoyue.EFORBIDDEN {
		s.error(w, r, err)
		return
	}
	if m == nil || !m.Leader() {
		s.error(w, r, saoyue.Errorf(saoyue.EFORBIDDEN, "只有题组长可以访问此页面"))
		return
	}
	s.render(w, "leader.html", pageData{Title: "题组长", Nav: "leader", Session: sess,
		Data: map[string]any{"Group": m.GroupCode, "SubjectID": m.SubjectID}})
}
