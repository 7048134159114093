package web

import (
	"net/http"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading/marking"
	"github.com/saoyue/saoyue/store"
)

var errLeaderOnly = saoyue.Errorf(saoyue.EFORBIDDEN, "只有题组长可以进行此操作")

type planMarkerJSON struct {
	TeacherID  int64  `json:"teacher_id"`
	TeacherNo  string `json:"teacher_no"`
	Name       string `json:"name"`
	SchoolCode string `json:"school_code"`
	Role       string `json:"role"`
}

type planGroupJSON struct {
	GroupID   int64            `json:"group_id"`
	Code      string           `json:"code"`
	Mode      string           `json:"mode"`
	Answers   int              `json:"answers"`
	Workload  float64          `json:"workload"`
	PerMarker float64          `json:"per_marker"`
	Markers   []planMarkerJSON `json:"markers"`
	Lacking   []string         `json:"lacking"`
}

type planJSON struct {
	SubjectID int64           `json:"subject_id"`
	Groups    []planGroupJSON `json:"groups"`
	Problems  []string        `json:"problems"`
	Warnings  []string        `json:"warnings"`
}

func toPlanJSON(p *marking.Plan) planJSON {
	out := planJSON{SubjectID: p.SubjectID, Groups: []planGroupJSON{}, Problems: append([]string{}, p.Problems...), Warnings: append([]string{}, p.Warnings...)}
	for _, g := range p.Groups {
		pg := planGroupJSON{GroupID: g.GroupID, Code: g.Code, Mode: g.Mode, Answers: g.Answers, Workload: g.Workload,
			PerMarker: g.PerMarker, Markers: []planMarkerJSON{}, Lacking: append([]string{}, g.Lacking...)}
		for _, a := range g.Markers {
			pg.Markers = append(pg.Markers, planMarkerJSON{TeacherID: a.TeacherID, TeacherNo: a.TeacherNo, Name: a.Name, SchoolCode: a.SchoolCode, Role: string(a.Role)})
		}
		out.Groups = append(out.Groups, pg)
	}
	return out
}

// centreSubject names the centre account and resolves the path's exam
// and subject codes.
func (s *Server) centreSubject(w http.ResponseWriter, r *http.Request) (actor string, subjectID int64, ok bool) {
	actor = centreActor(r)
	id, err := marking.SubjectID(r.Context(), s.DB, r.PathValue("exam"), r.PathValue("subject"))
	if err != nil {
		s.error(w, r, err)
		return "", 0, false
	}
	return actor, id, true
}

func (s *Server) writePlan(w http.ResponseWriter, r *http.Request, p *marking.Plan, err error) {
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPlanJSON(p))
}

// handleCentrePlan: GET .../plan shows the plan with what it lacks.
func (s *Server) handleCentrePlan(w http.ResponseWriter, r *http.Request) {
	if _, subject, ok := s.centreSubject(w, r); ok {
		p, err := marking.LoadPlan(r.Context(), s.DB, subject)
		s.writePlan(w, r, p, err)
	}
}

// handleCentrePlanGenerate: POST .../plan makes a plan from the roster,
// replacing the old one; 400 naming the groups that lack markers if the
// roster cannot staff the subject.
func (s *Server) handleCentrePlanGenerate(w http.ResponseWriter, r *http.Request) {
	if actor, subject, ok := s.centreSubject(w, r); ok {
		p, err := marking.GeneratePlan(r.Context(), s.DB, subject, actor)
		s.writePlan(w, r, p, err)
	}
}

// handleCentrePlanAssign: PUT .../plan/teachers/{teacher} {"group_id": 7,
// "role": "marker|leader"} puts or moves a teacher.
func (s *Server) handleCentrePlanAssign(w http.ResponseWriter, r *http.Request) {
	actor, subject, ok := s.centreSubject(w, r)
	if !ok {
		return
	}
	var body struct {
		GroupID int64  `json:"group_id"`
		Role    string `json:"role"`
	}
	teacher, err := pathInt(r, "teacher")
	if err == nil {
		err = decodeJSON(r, &body)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	p, err := marking.Assign(r.Context(), s.DB, subject, teacher, body.GroupID, saoyue.Role(body.Role), actor)
	s.writePlan(w, r, p, err)
}

// handleCentrePlanUnassign: DELETE .../plan/teachers/{teacher}.
func (s *Server) handleCentrePlanUnassign(w http.ResponseWriter, r *http.Request) {
	_, subject, ok := s.centreSubject(w, r)
	if !ok {
		return
	}
	teacher, err := pathInt(r, "teacher")
	if err != nil {
		s.error(w, r, err)
		return
	}
	p, err := marking.Unassign(r.Context(), s.DB, subject, teacher)
	s.writePlan(w, r, p, err)
}

// handleCentreCreateTasks: POST .../tasks creates tasks for every crop of
// the subject without one; {"created": n, "unplaced": [crop ids]}.
func (s *Server) handleCentreCreateTasks(w http.ResponseWriter, r *http.Request) {
	_, subject, ok := s.centreSubject(w, r)
	if !ok {
		return
	}
	n, unplaced, err := marking.CreateSubjectTasks(r.Context(), s.DB.Pool, subject)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if unplaced == nil {
		unplaced = []int64{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"created": n, "unplaced": unplaced})
}

type progressJSON struct {
	GroupID          int64  `json:"group_id"`
	Code             string `json:"code"`
	Mode             string `json:"mode"`
	Answers          int    `json:"answers"`
	Tasks            int    `json:"tasks"`
	Marked           int    `json:"marked"`
	Open             int    `json:"open"`
	Leased           int    `json:"leased"`
	Problems         int    `json:"problems"`
	Arbitrations     int    `json:"arbitrations"`
	ArbitrationsToDo int    `json:"arbitrations_to_do"`
	Markers          int    `json:"markers"`
	Scored           int    `json:"scored"`
}

// handleCentreProgress: GET .../progress counts each group's tasks.
func (s *Server) handleCentreProgress(w http.ResponseWriter, r *http.Request) {
	_, subject, ok := s.centreSubject(w, r)
	if !ok {
		return
	}
	ps, err := marking.SubjectProgress(r.Context(), s.DB, subject)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := []progressJSON{}
	for _, p := range ps {
		out = append(out, progressJSON{p.GroupID, p.Code, p.Mode, p.Answers, p.Tasks, p.Marked, p.Open, p.Leased,
			p.Problems, p.Arbitrations, p.ArbitrationsDo, p.Markers, p.Scored})
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": out})
}

// handleCentreQuality: GET /api/centre/groups/{group}/quality.
func (s *Server) handleCentreQuality(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "group")
	if err != nil {
		s.error(w, r, err)
		return
	}
	q, err := s.engine().GroupQuality(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, q)
}

// handleCentreGroupSettings: PUT /api/centre/groups/{group}/settings with
// marking.GroupSettings as JSON.
func (s *Server) handleCentreGroupSettings(w http.ResponseWriter, r *http.Request) {
	actor := centreActor(r)
	id, err := pathInt(r, "group")
	if err != nil {
		s.error(w, r, err)
		return
	}
	var body marking.GroupSettings
	if err := decodeJSON(r, &body); err != nil {
		s.error(w, r, err)
		return
	}
	g, err := marking.ConfigureGroup(r.Context(), s.DB, id, body, actor)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, groupSettingsJSON(g))
}

func groupSettingsJSON(g *store.MarkingGroup) map[string]any {
	return map[string]any{"group_id": g.ID, "code": g.Code, "settings": marking.GroupSettings{
		Mode: g.Mode, Tolerance: g.Tolerance, FinalRule: g.FinalRule, Compare: g.Compare, Arbiter: g.Arbiter,
		RemarkShare: g.RemarkShare, ControlShare: g.ControlShare}}
}
