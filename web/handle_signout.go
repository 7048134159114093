package web

import "net/http"

// handleSignOut: POST /signout. A POST with the CSRF token, so another site
// cannot sign a teacher out in the middle of marking.
func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	sess, err := s.currentSession(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if sess != nil && csrfOK(r, sess) {
		s.endSession(w, r)
	}
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}
