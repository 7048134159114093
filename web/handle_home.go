package web

import (
	"net/http"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

// handleHome: GET / sends each account to the page of its work.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	http.Redirect(w, r, homeOf(sess.User), http.StatusSeeOther)
}

func homeOf(u *store.User) string {
	switch {
	case u.Has(saoyue.RoleCentre):
		return "/centre"
	case u.Has(saoyue.RoleMarker) || u.Has(saoyue.RoleLeader):
		return "/mark"
	case u.Has(saoyue.RoleTechnician):
		return "/tech"
	case u.Has(saoyue.RoleApprover):
		return "/approvals"
	}
	return "/password"
}
