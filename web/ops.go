package web

import (
	"net/http"

	"github.com/saoyue/saoyue"
)

// QueueDashboardPath is where asynqmon is mounted; its handler must be
// built with this RootPath.
const QueueDashboardPath = "/centre/queue"

// handleMetrics: GET /metrics, the Prometheus scrape (docs/OPERATIONS.md);
// a server built without metrics has none.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if s.Metrics == nil {
		s.error(w, r, saoyue.Errorf(saoyue.ENOTFOUND, "本服务没有开启监控指标"))
		return
	}
	s.Metrics.ServeHTTP(w, r)
}

// handleQueueDashboard: the asynq queue dashboard under /centre/queue/,
// for the centre only: it can delete and re-run tasks. It needs Redis.
func (s *Server) handleQueueDashboard(w http.ResponseWriter, r *http.Request) {
	if s.QueueDashboard == nil {
		s.error(w, r, saoyue.Errorf(saoyue.ENOTFOUND, "任务队列面板需要 Redis：本服务未配置 Redis"))
		return
	}
	// asynqmon's page boots with two inline scripts; only its pages, for
	// the centre alone, allow them.
	w.Header().Set("Content-Security-Policy", toolSecurityPolicy)
	s.QueueDashboard.ServeHTTP(w, r)
}

// toolSecurityPolicy is the page policy with inline scripts allowed, for a
// third-party tool's pages only.
const toolSecurityPolicy = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) handleQueueRedirect(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, QueueDashboardPath+"/", http.StatusMovedPermanently)
}
