package web

import (
	"net/http"
	"strings"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/store"
)

// stageStep is one of the seven stages as the 考试进程 page lists them.
type stageStep struct {
	Stage         saoyue.Stage
	Done, Current bool
}

// handleStagesPage: GET /centre/stages?exam=21, the exam's stages, what
// blocks the next one, its subjects and its history (考试进程).
func (s *Server) handleStagesPage(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	exams, err := store.ExamSummaries(r.Context(), s.DB.Pool)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	code := r.URL.Query().Get("exam")
	if code == "" && len(exams) > 0 {
		code = exams[0].Code
	}
	if code == "" {
		s.pageError(w, r, saoyue.Errorf(saoyue.ENOTFOUND, "尚未创建考试"))
		return
	}
	v, err := grading.ExamStage(r.Context(), s.DB, code)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	steps := make([]stageStep, len(saoyue.Stages))
	for i, st := range saoyue.Stages {
		steps[i] = stageStep{Stage: st, Done: st.Index() < v.Stage.Index(), Current: st == v.Stage}
	}
	q := r.URL.Query()
	s.render(w, "stages.html", pageData{Title: "考试进程", Nav: "centre", Session: sess, Data: map[string]any{
		"View": v, "Steps": steps, "Exams": exams, "Error": q.Get("error"), "Done": q.Get("done"),
		"Scanning": v.Stage == saoyue.StageScanning,
	}})
}

// handleStagesAdvance: POST /centre/stages/advance with exam, to, subject,
// force and reason. A refusal comes back on the page in Chinese.
func (s *Server) handleStagesAdvance(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	req := grading.AdvanceRequest{
		ExamCode: r.PostFormValue("exam"),
		To:       saoyue.Stage(r.PostFormValue("to")),
		Subject:  r.PostFormValue("subject"),
		Actor:    actorOf(sess.User),
		Force:    r.PostFormValue("force") != "",
		Reason:   strings.TrimSpace(r.PostFormValue("reason")),
	}
	back := "/centre/stages?exam=" + urlQuery(req.ExamCode)
	v, err := grading.Advance(r.Context(), s.DB, req)
	if err != nil {
		if saoyue.ErrorCode(err) == saoyue.EINTERNAL {
			s.pageError(w, r, err)
			return
		}
		http.Redirect(w, r, back+"&error="+urlQuery(saoyue.ErrorMessage(err)), http.StatusSeeOther)
		return
	}
	done := "考试已进入「" + v.Stage.Name() + "」阶段"
	if req.Subject != "" {
		done = "学科 " + req.Subject + " 已开始阅卷"
	}
	http.Redirect(w, r, back+"&done="+urlQuery(done), http.StatusSeeOther)
}
