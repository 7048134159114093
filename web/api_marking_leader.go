package web

import (
	"net/http"
	"time"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading/marking"
)

// Leader endpoints: the caller must be the leader of a group; every task
// they touch is of their group and of another school than theirs.

// handleLeaderProblems: GET /api/leader/problems lists open problem answers.
func (s *Server) handleLeaderProblems(w http.ResponseWriter, r *http.Request) {
	m := s.marker(w, r)
	if m == nil {
		return
	}
	ids, err := s.taskIDs(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	ps, err := s.engine().Problems(r.Context(), m)
	if err != nil {
		s.error(w, r, err)
		return
	}
	type problemJSON struct {
		ID        int64                `json:"id"`
		TaskID    string               `json:"task_id"`
		CropURL   string               `json:"crop_url"`
		MarkerID  int64                `json:"marker_id"`
		Reason    saoyue.ProblemReason `json:"reason"`
		Note      string               `json:"note"`
		CreatedAt time.Time            `json:"created_at"`
	}
	out := []problemJSON{}
	for _, p := range ps {
		id := ids.Encode(p.TaskID)
		out = append(out, problemJSON{ID: p.ID, TaskID: id, CropURL: cropURL(id), MarkerID: p.MarkerID, Reason: p.Reason, Note: p.Note, CreatedAt: p.CreatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"problems": out})
}

// handleLeaderResolve: POST /api/leader/problems/{problem}/resolve
// {"action": "score", "scores": [...], "note": "..."} scores the answer
// (final), or {"action": "reopen"} puts it back in the queue. 204.
func (s *Server) handleLeaderResolve(w http.ResponseWriter, r *http.Request) {
	m := s.marker(w, r)
	if m == nil {
		return
	}
	var body struct {
		Action string    `json:"action"`
		Scores []float64 `json:"scores"`
		Note   string    `json:"note"`
	}
	id, err := pathInt(r, "problem")
	if err == nil {
		err = decodeJSON(r, &body)
	}
	if err == nil {
		err = s.engine().ResolveProblem(r.Context(), m, id, marking.Resolution{Action: body.Action, Scores: body.Scores, Note: body.Note})
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleLeaderSample: GET /api/leader/markers/{teacher}/marks?n=20 picks
// a marker's marks at random for the leader to check.
func (s *Server) handleLeaderSample(w http.ResponseWriter, r *http.Request) {
	m := s.marker(w, r)
	if m == nil {
		return
	}
	teacher, err := pathInt(r, "teacher")
	if err != nil {
		s.error(w, r, err)
		return
	}
	n, err := queryInt(r, "n", 20)
	if err != nil {
		s.error(w, r, err)
		return
	}
	ids, err := s.taskIDs(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	ms, err := s.engine().SampleMarks(r.Context(), m, teacher, n)
	if err != nil {
		s.error(w, r, err)
		return
	}
	type sampleJSON struct {
		TaskID   string    `json:"task_id"`
		CropURL  string    `json:"crop_url"`
		MarkerID int64     `json:"marker_id"`
		Scores   []float64 `json:"scores"`
		Total    float64   `json:"total"`
		MarkedAt time.Time `json:"marked_at"`
		Returned bool      `json:"returned"`
	}
	out := []sampleJSON{}
	for _, sm := range ms {
		id := ids.Encode(sm.TaskID)
		out = append(out, sampleJSON{TaskID: id, CropURL: cropURL(id), MarkerID: sm.MarkerID, Scores: sm.Scores, Total: sm.Total, MarkedAt: sm.MarkedAt, Returned: sm.Returned})
	}
	writeJSON(w, http.StatusOK, map[string]any{"marks": out})
}

// handleLeaderRemark: POST /api/leader/tasks/{task}/remark
// {"scores": [...], "reason": "..."}: the leader's score replaces the
// marker's (audited). 204.
func (s *Server) handleLeaderRemark(w http.ResponseWriter, r *http.Request) {
	m := s.marker(w, r)
	if m == nil {
		return
	}
	var body struct {
		Scores []float64 `json:"scores"`
		Reason string    `json:"reason"`
	}
	id, err := s.pathTask(r)
	if err == nil {
		err = decodeJSON(r, &body)
	}
	if err == nil {
		err = s.engine().LeaderRemark(r.Context(), m, id, body.Scores, body.Reason)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleLeaderReturn: POST /api/leader/tasks/{task}/return {"reason":
// "..."} sends the mark back to its marker. 204.
func (s *Server) handleLeaderReturn(w http.ResponseWriter, r *http.Request) {
	m := s.marker(w, r)
	if m == nil {
		return
	}
	var body struct {
		Reason string `json:"reason"`
	}
	id, err := s.pathTask(r)
	if err == nil {
		err = decodeJSON(r, &body)
	}
	if err == nil {
		err = s.engine().ReturnMark(r.Context(), m, id, body.Reason)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleLeaderControl: POST /api/leader/tasks/{task}/control {"scores":
// [...]} makes the answer a control answer with the leader's scores.
func (s *Server) handleLeaderControl(w http.ResponseWriter, r *http.Request) {
	m := s.marker(w, r)
	if m == nil {
		return
	}
	var body struct {
		Scores []float64 `json:"scores"`
	}
	id, err := s.pathTask(r)
	if err == nil {
		err = decodeJSON(r, &body)
	}
	var cid int64
	if err == nil {
		cid, err = s.engine().AddControl(r.Context(), m, id, body.Scores)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"control_id": cid})
}

// handleLeaderQuality: GET /api/leader/quality gives the quality figures
// of every marker of the leader's group.
func (s *Server) handleLeaderQuality(w http.ResponseWriter, r *http.Request) {
	m := s.marker(w, r)
	if m == nil {
		return
	}
	if !m.Leader() {
		s.error(w, r, errLeaderOnly)
		return
	}
	q, err := s.engine().GroupQuality(r.Context(), m.GroupID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, q)
}
