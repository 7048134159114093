package web

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading/marking"
)

// markingState is what the marking handlers build once, on first use.
type markingState struct {
	once sync.Once
	mu   sync.Mutex
	ids  *marking.TaskIDs
}

func (s *Server) engine() *marking.Engine {
	s.marking.once.Do(func() {
		if s.Marking == nil {
			s.Marking = marking.NewEngine(s.DB, marking.MarkingOptions{})
		}
	})
	return s.Marking
}

// taskIDs loads the opaque-id codec from the database once; a failure is
// retried on the next request rather than remembered.
func (s *Server) taskIDs(r *http.Request) (*marking.TaskIDs, error) {
	s.marking.mu.Lock()
	defer s.marking.mu.Unlock()
	if s.marking.ids == nil {
		ids, err := marking.LoadTaskIDs(r.Context(), s.DB)
		if err != nil {
			return nil, err
		}
		s.marking.ids = ids
	}
	return s.marking.ids, nil
}

// marker resolves the calling teacher's marking assignment or writes the
// error; the route's guard has already admitted the account.
func (s *Server) marker(w http.ResponseWriter, r *http.Request) *marking.Marker {
	m, err := s.markerOf(r)
	if err != nil {
		s.error(w, r, err)
		return nil
	}
	return m
}

// centreActor names the signed-in centre account in the audit log.
func centreActor(r *http.Request) string { return actorOf(sessionOf(r).User) }

// pathTask decodes the opaque task id in the path.
func (s *Server) pathTask(r *http.Request) (int64, error) {
	ids, err := s.taskIDs(r)
	if err != nil {
		return 0, err
	}
	return ids.Decode(r.PathValue("task"))
}

// pathNames name the numeric path values in the user's terms.
var pathNames = map[string]string{
	"id": "记录", "problem": "问题卷", "teacher": "阅卷教师", "group": "题组",
}

// pathInt reads a numeric path value.
func pathInt(r *http.Request, name string) (int64, error) {
	v, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, saoyue.Errorf(saoyue.ENOTFOUND, "没有这个%s", pathNames[name])
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
		return 0, saoyue.Errorf(saoyue.EINVALID, "参数 %s 必须是整数", name)
	}
	return v, nil
}

func cropURL(id string) string { return "/api/marking/tasks/" + id + "/crop" }
