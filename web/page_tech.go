package web

import (
	"net/http"
	"strconv"

	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/store"
)

type techPage struct {
	School    string
	Batches   []store.TechBatch
	Selected  *store.TechBatch
	Reconcile *grading.Reconciliation
}

// handleTechPage: GET /tech, the technician's batches of their school and
// the reconciliation of the chosen one (DOMAIN rule 2).
func (s *Server) handleTechPage(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	bs, err := store.SchoolBatches(r.Context(), s.DB.Pool, *sess.User.SchoolID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	d := techPage{School: sess.User.SchoolName, Batches: bs}
	want, _ := strconv.ParseInt(r.URL.Query().Get("batch"), 10, 64)
	for i := range bs {
		if bs[i].ID == want || (want == 0 && i == 0) {
			d.Selected = &bs[i]
		}
	}
	if d.Selected != nil {
		rec, err := grading.Reconcile(r.Context(), s.DB, d.Selected.ID)
		if err != nil {
			s.error(w, r, err)
			return
		}
		d.Reconcile = rec
	}
	s.render(w, "tech.html", pageData{Title: "扫描批次", Nav: "tech", Session: sess, Data: d})
}
