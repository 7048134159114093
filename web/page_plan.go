package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading/marking"
	"github.com/saoyue/saoyue/store"
)

// planGroupView is one question group on 阅卷安排: who marks it and how.
type planGroupView struct {
	marking.PlanGroup
	Settings *store.MarkingGroup
	Locked   bool // a mark exists: the mode is fixed
}

type rosterRow struct {
	store.Teacher
	GroupCode string
	Role      string
}

type planPage struct {
	Subjects   []store.ExamSubject
	Exam       string
	Subject    string
	Groups     []planGroupView
	Roster     []rosterRow
	Unassigned int
	Problems   []string
	Warnings   []string
	Error      string
	OK         string
}

// handlePlanPage: GET /centre/plan?exam=21&subject=math, the centre's
// marking plan of one subject: teachers per group with their roles, each
// group's mode and arbitration, and what the plan lacks.
func (s *Server) handlePlanPage(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	ctx := r.Context()
	q := r.URL.Query()
	d := planPage{Exam: q.Get("exam"), Subject: q.Get("subject"), Error: q.Get("error"), OK: q.Get("ok")}
	if exam, subject, ok := strings.Cut(q.Get("pick"), "|"); ok {
		d.Exam, d.Subject = exam, subject
	}
	var err error
	if d.Subjects, err = store.ListExamSubjects(ctx, s.DB.Pool); err != nil {
		s.pageError(w, r, err)
		return
	}
	for _, x := range d.Subjects {
		if d.Subject == "" && (d.Exam == "" || d.Exam == x.ExamCode) {
			d.Exam, d.Subject = x.ExamCode, x.SubjectCode // the newest exam's, or the named exam's, first subject
		}
	}
	render := func() {
		s.render(w, "plan.html", pageData{Title: "阅卷安排", Nav: "centre", Session: sess, Data: d})
	}
	if d.Exam == "" {
		render()
		return
	}
	subjectID, err := marking.SubjectID(ctx, s.DB, d.Exam, d.Subject)
	if err == nil {
		err = s.fillPlan(r, subjectID, &d)
	}
	if err != nil {
		if saoyue.ErrorCode(err) == saoyue.EINTERNAL {
			s.pageError(w, r, err)
			return
		}
		d.Error = saoyue.ErrorMessage(err)
	}
	render()
}

func (s *Server) fillPlan(r *http.Request, subjectID int64, d *planPage) error {
	ctx := r.Context()
	plan, err := marking.LoadPlan(ctx, s.DB, subjectID)
	if err != nil {
		return err
	}
	d.Problems, d.Warnings = plan.Problems, plan.Warnings
	gs, err := store.ListMarkingGroups(ctx, s.DB.Pool, subjectID)
	if err != nil {
		return err
	}
	byID := map[int64]*store.MarkingGroup{}
	for i := range gs {
		byID[gs[i].ID] = &gs[i]
	}
	where := map[int64]rosterRow{}
	for _, g := range plan.Groups {
		locked, err := store.GroupHasMarks(ctx, s.DB.Pool, g.GroupID)
		if err != nil {
			return err
		}
		d.Groups = append(d.Groups, planGroupView{PlanGroup: g, Settings: byID[g.GroupID], Locked: locked})
		for _, a := range g.Markers {
			where[a.TeacherID] = rosterRow{GroupCode: g.Code, Role: string(a.Role)}
		}
	}
	ts, err := store.ListSubjectTeachers(ctx, s.DB.Pool, subjectID)
	if err != nil {
		return err
	}
	for _, t := range ts {
		row := where[t.ID]
		row.Teacher = t
		if row.GroupCode == "" {
			d.Unassigned++
		}
		d.Roster = append(d.Roster, row)
	}
	return nil
}

// planAction runs one POST of the plan page and sends the browser back to
// the subject's plan with the outcome, or the Chinese reason it was refused.
func (s *Server) planAction(w http.ResponseWriter, r *http.Request, act func(actor string, subjectID int64) (ok string, err error)) {
	sess := sessionOf(r)
	exam, subject := r.PostFormValue("exam"), r.PostFormValue("subject")
	back := "/centre/plan?exam=" + url.QueryEscape(exam) + "&subject=" + url.QueryEscape(subject)
	subjectID, err := marking.SubjectID(r.Context(), s.DB, exam, subject)
	msg := ""
	if err == nil {
		msg, err = act(actorOf(sess.User), subjectID)
	}
	switch {
	case err != nil && saoyue.ErrorCode(err) == saoyue.EINTERNAL:
		s.pageError(w, r, err)
		return
	case err != nil:
		back += "&error=" + url.QueryEscape(saoyue.ErrorMessage(err))
	default:
		back += "&ok=" + url.QueryEscape(msg)
	}
	if g := r.PostFormValue("group"); g != "" {
		back += "#g-" + url.QueryEscape(g)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func formInt(r *http.Request, name, what string) (int64, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue(name)), 10, 64)
	if err != nil || v <= 0 {
		return 0, saoyue.Errorf(saoyue.EINVALID, "请选择%s。", what)
	}
	return v, nil
}

// handlePlanAssign: POST /centre/plan/assign (teacher, group, role) puts or
// moves a teacher of the subject's roster on a group.
func (s *Server) handlePlanAssign(w http.ResponseWriter, r *http.Request) {
	s.planAction(w, r, func(actor string, subjectID int64) (string, error) {
		teacher, err := formInt(r, "teacher", "教师")
		if err != nil {
			return "", err
		}
		group, err := formInt(r, "group", "题组")
		if err != nil {
			return "", err
		}
		if _, err := marking.Assign(r.Context(), s.DB, subjectID, teacher, group, saoyue.Role(r.PostFormValue("role")), actor); err != nil {
			return "", err
		}
		return "已安排教师", nil
	})
}

// handlePlanRemove: POST /centre/plan/remove (teacher) takes a teacher off.
func (s *Server) handlePlanRemove(w http.ResponseWriter, r *http.Request) {
	s.planAction(w, r, func(actor string, subjectID int64) (string, error) {
		teacher, err := formInt(r, "teacher", "教师")
		if err != nil {
			return "", err
		}
		if _, err := marking.Unassign(r.Context(), s.DB, subjectID, teacher); err != nil {
			return "", err
		}
		return "已移除教师", nil
	})
}

// handlePlanSettings: POST /centre/plan/settings (group, mode, tolerance,
// arbiter, final_rule) sets a group's marking; the other settings stay.
func (s *Server) handlePlanSettings(w http.ResponseWriter, r *http.Request) {
	s.planAction(w, r, func(actor string, subjectID int64) (string, error) {
		id, err := formInt(r, "group", "题组")
		if err != nil {
			return "", err
		}
		g, err := store.GetMarkingGroup(r.Context(), s.DB.Pool, id)
		if err != nil || g.SubjectID != subjectID {
			return "", saoyue.Errorf(saoyue.ENOTFOUND, "本学科没有这个题组。")
		}
		tol, err := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("tolerance")), 64)
		if err != nil {
			return "", saoyue.Errorf(saoyue.EINVALID, "误差阈值须为数字，如 2 或 1.5。")
		}
		set := marking.GroupSettings{Mode: r.PostFormValue("mode"), Tolerance: tol, FinalRule: r.PostFormValue("final_rule"),
			Compare: g.Compare, Arbiter: r.PostFormValue("arbiter"), RemarkShare: g.RemarkShare, ControlShare: g.ControlShare}
		if _, err := marking.ConfigureGroup(r.Context(), s.DB, id, set, actor); err != nil {
			return "", err
		}
		return "题组 " + g.Code + " 的设置已保存", nil
	})
}

// handlePlanAuto: POST /centre/plan/auto makes the plan from the roster.
func (s *Server) handlePlanAuto(w http.ResponseWriter, r *http.Request) {
	s.planAction(w, r, func(actor string, subjectID int64) (string, error) {
		if _, err := marking.GeneratePlan(r.Context(), s.DB, subjectID, actor); err != nil {
			return "", err
		}
		return "已按教师名单自动生成阅卷安排", nil
	})
}
