package web

import "net/http"

// QueueDashboardPath is where asynqmon is mounted; its handler must be
// built with this RootPath.
const QueueDashboardPath = "/centre/queue"

// opsRoutes are the operators' routes (docs/OPERATIONS.md): the Prometheus
// scrape, open like /healthz (it names no person, only counts), and the
// asynq queue dashboard, for the centre role only: it can delete and
// re-run tasks.
func (s *Server) opsRoutes(mux *http.ServeMux) {
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.Metrics)
	}
	if s.QueueDashboard != nil {
		mux.HandleFunc(QueueDashboardPath+"/", s.centreOnly(s.QueueDashboard.ServeHTTP))
		mux.Handle("GET "+QueueDashboardPath, http.RedirectHandler(QueueDashboardPath+"/", http.StatusMovedPermanently))
	}
}
