package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/store"
)

type approvalRow struct {
	Exc      *store.Exception
	KindName string
	Res      grading.ExceptionResolution
}

// handleApprovalsPage: GET /approvals, the changes of machine-read values
// waiting for a second person (DOMAIN rule 3).
func (s *Server) handleApprovalsPage(w http.ResponseWriter, r *http.Request) {
	sess := s.pageSession(w, r, store.RoleApprover)
	if sess == nil {
		return
	}
	es, err := store.Exceptions(r.Context(), s.DB.Pool, store.ExceptionFilter{Status: "pending_approval"})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	rows := []approvalRow{}
	for _, e := range es {
		row := approvalRow{Exc: e, KindName: exceptionKinds[e.Kind]}
		_ = json.Unmarshal(e.Resolution, &row.Res)
		rows = append(rows, row)
	}
	s.render(w, "approvals.html", pageData{Title: "更正审核", Nav: "approvals", Session: sess,
		Data: map[string]any{"Rows": rows, "Error": r.URL.Query().Get("error"), "Me": actorOf(sess.User)}})
}

// handleApprovalDecide: POST /approvals/{id} with decision=approve|reject.
func (s *Server) handleApprovalDecide(w http.ResponseWriter, r *http.Request) {
	sess := s.pageSession(w, r, store.RoleApprover)
	if sess == nil {
		return
	}
	id, err := pathInt(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	approve := r.PostFormValue("decision") == "approve"
	err = grading.ApproveException(r.Context(), s.DB, id, actorOf(sess.User), approve, strings.TrimSpace(r.PostFormValue("note")))
	if err != nil {
		if saoyue.ErrorCode(err) == saoyue.EINTERNAL {
			s.pageError(w, r, err)
			return
		}
		http.Redirect(w, r, "/approvals?error="+urlQuery(saoyue.ErrorMessage(err)), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/approvals", http.StatusSeeOther)
}
