package web

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
)

// Auth says who is calling the marking API: Marker resolves the signed-in
// teacher to their marking assignment, and Centre accepts only centre
// staff. Both return a *saoyue.Error with EUNAUTHORIZED when nobody is
// signed in and EFORBIDDEN when the person has no such role. The server's
// is sessionAuth (browser sessions); with a nil Server.Auth every marking
// route answers 401. Some tests use a header-based Auth that exists only
// in the test files.
type Auth interface {
	Marker(r *http.Request) (*grading.Marker, error)
	Centre(r *http.Request) (actor string, err error)
}

// markingState is what the marking handlers build once, on first use.
type markingState struct {
	once sync.Once
	mu   sync.Mutex
	ids  *grading.TaskIDs
}

func (s *Server) engine() *grading.Engine {
	s.marking.once.Do(func() {
		if s.Marking == nil {
			s.Marking = grading.NewEngine(s.DB, grading.MarkingOptions{})
		}
	})
	return s.Marking
}

// taskIDs loads the opaque-id codec from the database once; a failure is
// retried on the next request rather than remembered.
func (s *Server) taskIDs(r *http.Request) (*grading.TaskIDs, error) {
	s.marking.mu.Lock()
	defer s.marking.mu.Unlock()
	if s.marking.ids == nil {
		ids, err := grading.LoadTaskIDs(r.Context(), s.DB)
		if err != nil {
			return nil, err
		}
		s.marking.ids = ids
	}
	return s.marking.ids, nil
}

func (s *Server) markingRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/marking/next", s.handleMarkingNext)
	mux.HandleFunc("POST /api/marking/tasks/{task}/mark", s.handleMarkingSubmit)
	mux.HandleFunc("PUT /api/marking/tasks/{task}/mark", s.handleMarkingRevise)
	mux.HandleFunc("POST /api/marking/tasks/{task}/flag", s.handleMarkingFlag)
	mux.HandleFunc("GET /api/marking/tasks/{task}/crop", s.handleMarkingCrop)
	mux.HandleFunc("GET /api/marking/history", s.handleMarkingHistory)
	mux.HandleFunc("GET /api/marking/progress", s.handleMarkingProgress)

	mux.HandleFunc("GET /api/leader/problems", s.handleLeaderProblems)
	mux.HandleFunc("POST /api/leader/problems/{problem}/resolve", s.handleLeaderResolve)
	mux.HandleFunc("GET /api/leader/markers/{teacher}/marks", s.handleLeaderSample)
	mux.HandleFunc("POST /api/leader/tasks/{task}/remark", s.handleLeaderRemark)
	mux.HandleFunc("POST /api/leader/tasks/{task}/return", s.handleLeaderReturn)
	mux.HandleFunc("POST /api/leader/tasks/{task}/control", s.handleLeaderControl)
	mux.HandleFunc("GET /api/leader/quality", s.handleLeaderQuality)

	mux.HandleFunc("GET /api/centre/exams/{exam}/subjects/{subject}/plan", s.handleCentrePlan)
	mux.HandleFunc("POST /api/centre/exams/{exam}/subjects/{subject}/plan", s.handleCentrePlanGenerate)
	mux.HandleFunc("PUT /api/centre/exams/{exam}/subjects/{subject}/plan/teachers/{teacher}", s.handleCentrePlanAssign)
	mux.HandleFunc("DELETE /api/centre/exams/{exam}/subjects/{subject}/plan/teachers/{teacher}", s.handleCentrePlanUnassign)
	mux.HandleFunc("POST /api/centre/exams/{exam}/subjects/{subject}/tasks", s.handleCentreCreateTasks)
	mux.HandleFunc("GET /api/centre/exams/{exam}/subjects/{subject}/progress", s.handleCentreProgress)
	mux.HandleFunc("GET /api/centre/groups/{group}/quality", s.handleCentreQuality)
	mux.HandleFunc("PUT /api/centre/groups/{group}/settings", s.handleCentreGroupSettings)
}

func noAuth() error {
	return saoyue.Errorf(saoyue.EUNAUTHORIZED, "Sign-in is not available yet.")
}

// marker identifies the calling marker or writes the error.
func (s *Server) marker(w http.ResponseWriter, r *http.Request) *grading.Marker {
	if s.Auth == nil {
		s.writeError(w, r, noAuth())
		return nil
	}
	m, err := s.Auth.Marker(r)
	if err != nil {
		s.writeError(w, r, err)
		return nil
	}
	return m
}

// centre identifies the calling centre staff or writes the error.
func (s *Server) centre(w http.ResponseWriter, r *http.Request) (string, bool) {
	if s.Auth == nil {
		s.writeError(w, r, noAuth())
		return "", false
	}
	actor, err := s.Auth.Centre(r)
	if err != nil {
		s.writeError(w, r, err)
		return "", false
	}
	return actor, true
}

// pathTask decodes the opaque task id in the path.
func (s *Server) pathTask(r *http.Request) (int64, error) {
	ids, err := s.taskIDs(r)
	if err != nil {
		return 0, err
	}
	return ids.Decode(r.PathValue("task"))
}

// pathInt reads a numeric path value.
func pathInt(r *http.Request, name string) (int64, error) {
	v, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, saoyue.Errorf(saoyue.ENOTFOUND, "No such %s.", name)
	}
	return v, nil
}

// queryInt reads an optional numeric query parameter.
func queryInt(r *http.Request, name string, def int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, saoyue.Errorf(saoyue.EINVALID, "%s must be a whole number.", name)
	}
	return v, nil
}

func cropURL(id string) string { return "/api/marking/tasks/" + id + "/crop" }
