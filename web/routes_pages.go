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
	mux.HandleFunc("GET /leader", s.handleLeaderPage)
	mux.HandleFunc("GET /tech", s.handleTechPage)
	mux.HandleFunc("GET /tech/exceptions", s.handleExceptionPage)
	mux.HandleFunc("POST /tech/exceptions/{id}/resolve", s.handleExceptionResolve)
	mux.HandleFunc("GET /pages/{id}/image", s.handlePageImage)
	mux.HandleFunc("GET /approvals", s.handleApprovalsPage)
	mux.HandleFunc("POST /approvals/{id}", s.handleApprovalDecide)
	mux.HandleFunc("POST /approvals/scores/{id}", s.handleScoreChangeDecide)
	mux.HandleFunc("GET /centre", s.handleDashboardPage)
	mux.HandleFunc("GET /api/centre/dashboard", s.handleDashboardJSON)
	mux.HandleFunc("GET /centre/stages", s.handleStagesPage)
	mux.HandleFunc("POST /centre/stages/advance", s.handleStagesAdvance)
	mux.HandleFunc("GET /centre/plan", s.handlePlanPage)
	mux.HandleFunc("POST /centre/plan/assign", s.handlePlanAssign)
	mux.HandleFunc("POST /centre/plan/remove", s.handlePlanRemove)
	mux.HandleFunc("POST /centre/plan/settings", s.handlePlanSettings)
	mux.HandleFunc("POST /centre/plan/auto", s.handlePlanAuto)
	mux.HandleFunc("GET /centre/exceptions", s.handleRegisterPage)
	mux.HandleFunc("GET /centre/exceptions.csv", s.handleRegisterCSV)
	mux.HandleFunc("GET /centre/accounts", s.handleAccountsPage)
	mux.HandleFunc("POST /centre/accounts/{id}/{action}", s.handleAccountAction)
}
