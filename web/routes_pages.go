package web

import "net/http"

// pageRoutes are the browser's pages and the JSON they poll.
func (s *Server) pageRoutes(mux *http.ServeMux) {
	mux.Handle("GET /static/", staticHandler())
	mux.HandleFunc("GET /signin", s.handleSignInPage)
	mux.HandleFunc("POST /signin", s.handleSignIn)
	mux.HandleFunc("POST /signout", s.handleSignOut)
	mux.HandleFunc("GET /password", s.handlePasswordPage)
	mux.HandleFunc("POST /password", s.handlePassword)
	mux.HandleFunc("GET /mark", s.handleMarkPage)
}
