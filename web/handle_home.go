package web

import (
	"net/http"

	"github.com/saoyue/saoyue/store"
)

// handleHome: GET / sends each account to the page of its work.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	sess := s.pageSession(w, r)
	if sess == nil {
		return
	}
	http.Redirect(w, r, homeOf(sess.User), http.StatusSeeOther)
}

func homeOf(u *store.User) string {
	switch {
	case u.Has(store.RoleCentre):
		return "/centre"
	case u.Has(store.RoleMarker) || u.Has(store.RoleLeader):
		return "/mark"
	case u.Has(store.RoleTechnician):
		return "/tech"
	case u.Has(store.RoleApprover):
		return "/approvals"
	}
	return "/password"
}
