package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/reading"
	"github.com/saoyue/saoyue/store"
)

// approvalRow is a pending correction of a machine-read value, with what
// the machine read next to it.
type approvalRow struct {
	Exc      *store.Exception
	KindName string
	Res      grading.ExceptionResolution
	Mine     bool
	// The machine's reading: the exam number's barcode and grid, or the
	// item's read answer and its status.
	Barcode, Grid, ExamNo string
	Read                  string
	ReadStatus            reading.ItemStatus
}

type scoreChangeRow struct {
	*store.PendingScoreChange
	Mine bool
}

// handleApprovalsPage: GET /approvals, the changes waiting for a second
// signed-in person (DOMAIN rule 3): corrections of machine-read values
// and changes of released scores.
func (s *Server) handleApprovalsPage(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	ctx := r.Context()
	es, err := store.Exceptions(ctx, s.DB.Pool, store.ExceptionFilter{Status: saoyue.ExceptionPendingApproval})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	rows := []approvalRow{}
	for _, e := range es {
		row, err := s.approvalRow(r, sess.User, e)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		rows = append(rows, row)
	}
	pcs, err := store.ListScoreChanges(ctx, s.DB.Pool, saoyue.ScoreChangePending)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	changes := []scoreChangeRow{}
	for _, c := range pcs {
		changes = append(changes, scoreChangeRow{c, c.ProposedByID == sess.User.ID})
	}
	s.render(w, "approvals.html", pageData{Title: "更正审核", Nav: "approvals", Session: sess,
		Data: map[string]any{"Rows": rows, "Changes": changes, "Error": r.URL.Query().Get("error")}})
}

func (s *Server) approvalRow(r *http.Request, me *store.User, e *store.Exception) (approvalRow, error) {
	row := approvalRow{Exc: e, KindName: e.Kind.Name()}
	_ = json.Unmarshal(e.Resolution, &row.Res)
	row.Mine = e.RequestedByUserID != nil && *e.RequestedByUserID == me.ID ||
		e.RequestedBy != nil && *e.RequestedBy == actorOf(me)
	var err error
	switch {
	case row.Res.Action == grading.ActionExamNo && e.PageID != nil:
		row.ExamNo, row.Barcode, row.Grid, err = store.PageExamNo(r.Context(), s.DB.Pool, *e.PageID)
	case e.CardID != nil && row.Res.Item > 0:
		var resp map[int]store.CardResponse
		if resp, err = store.CardResponses(r.Context(), s.DB.Pool, *e.CardID); err == nil {
			row.Read, row.ReadStatus = resp[row.Res.Item].Chosen, resp[row.Res.Item].Status
		}
	}
	return row, err
}

// handleApprovalDecide: POST /approvals/{id} with decision=approve|reject
// and a note (required to reject): an exception's pending correction.
func (s *Server) handleApprovalDecide(w http.ResponseWriter, r *http.Request) {
	s.decide(w, r, grading.ApproveException)
}

// handleScoreChangeDecide: POST /approvals/scores/{id}, the same for a
// pending score change.
func (s *Server) handleScoreChangeDecide(w http.ResponseWriter, r *http.Request) {
	s.decide(w, r, grading.DecideScoreChange)
}

func (s *Server) decide(w http.ResponseWriter, r *http.Request, fn func(ctx context.Context, db *store.DB, id int64, approver *store.User, approve bool, note string) error) {
	sess := sessionOf(r)
	id, err := pathInt(r, "id")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	approve := r.PostFormValue("decision") == "approve"
	err = fn(r.Context(), s.DB, id, sess.User, approve, strings.TrimSpace(r.PostFormValue("note")))
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
