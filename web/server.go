// Package web is saoyue's HTTP server: plain net/http with Go 1.22 route
// patterns, one handler per file, templates embedded.
package web

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/grading/marking"
	"github.com/saoyue/saoyue/metrics"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/reading"
	"github.com/saoyue/saoyue/store"
)

//go:embed templates/*.html
var templateFS embed.FS

// Server holds the handlers' dependencies.
type Server struct {
	DB     *store.DB
	Blobs  blob.Store
	Logger *slog.Logger
	// CJKFont is the Chinese font of the printable report PDFs; empty:
	// the first installed one.
	CJKFont string
	tmpl    *template.Template
	// Ingester takes uploaded page images (the scan API); nil refuses uploads.
	Ingester *queue.Ingester
	// Marking is the marking engine; nil uses the defaults.
	Marking *marking.Engine
	marking markingState
	// Ready are the dependencies /readyz asks; nil asks the database and
	// the blob store.
	Ready []Check
	// SecureCookies marks session cookies Secure even on plain HTTP, for a
	// server behind a TLS-terminating proxy.
	SecureCookies bool
	// Metrics serves GET /metrics (Prometheus); nil: no such route.
	Metrics http.Handler
	// QueueDashboard is asynqmon, served under /centre/queue/ to the centre
	// role; nil (no Redis): no such route.
	QueueDashboard http.Handler
}

// NewServer parses the templates once at start, so a broken template fails
// the start, not a user's request.
func NewServer(db *store.DB, blobs blob.Store, logger *slog.Logger) *Server {
	s := &Server{
		DB:     db,
		Blobs:  blobs,
		Logger: logger,
		tmpl:   template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")),
	}
	return s
}

// Handler returns the routes of the table (routes.go) behind the
// security headers and the cross-origin check.
func (s *Server) Handler() http.Handler {
	mux := s.mux(s.routes())
	// Browsers say where a request comes from; a cross-site POST is refused
	// before any handler runs, in addition to the CSRF tokens. The metrics
	// wrap the mux itself: it names the route on the request it is given.
	return s.logRequests(s.securityHeaders(http.NewCrossOriginProtection().Handler(metrics.Routes(mux))))
}

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		next.ServeHTTP(w, r)
		s.Logger.Debug("http", "method", r.Method, "path", r.URL.Path, "dur", time.Since(start))
	})
}

func (s *Server) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.tmpl.ExecuteTemplate(w, name, data); err != nil {
		s.Logger.Error("render page", "template", name, "err", err)
	}
}

var funcs = template.FuncMap{
	"asset":    assetURL,
	"add":      func(a, b int) int { return a + b },
	"roleName": func(r saoyue.Role) string { return r.Name() },
	// accountActions are the buttons of an account on 账号管理: nobody
	// is offered to disable their own account.
	"accountActions": func(disabled, self bool) [][2]string {
		var out [][2]string
		switch {
		case disabled:
			out = append(out, [2]string{"enable", "启用"})
		case !self:
			out = append(out, [2]string{"disable", "停用"})
		}
		return append(out, [2]string{"reset", "重置密码"}, [2]string{"unlock", "解锁"}, [2]string{"signout", "全部退出"})
	},
	"sub": func(a, b int) int { return a - b },
	"deref": func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	},
	"pct":       func(v float64) string { return strconv.Itoa(int(v*100+0.5)) + "%" },
	"stateName": func(s reading.State) string { return s.Name() },
	"stageName": func(s saoyue.Stage) string { return s.Name() },
}
