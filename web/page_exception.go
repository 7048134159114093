package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/reading"
	"github.com/saoyue/saoyue/store"
)

type exceptionPage struct {
	Exc       *store.Exception
	KindName  string
	Page      *store.PageView
	Result    *reading.Result
	Item      int
	ItemIndex int // index in Result.Items, -1 when none
	// Highlight is the spot of the page the exception is about, as
	// percentages of the image (left, top, width, height).
	Highlight []float64
	Left      int // open exceptions of the school, this one included
	Error     string
}

// mayHandle reports whether the account may see and resolve exceptions of
// the school: its technicians, and the centre for every school.
func mayHandle(u *store.User, schoolID int64) bool {
	if u.Has(saoyue.RoleCentre) {
		return true
	}
	return u.Has(saoyue.RoleTechnician) && u.SchoolID != nil && *u.SchoolID == schoolID && schoolID != 0
}

// handleExceptionPage: GET /tech/exceptions, one open exception at a time
// with the page image and the reader's fills (?id= picks one).
func (s *Server) handleExceptionPage(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	ctx := r.Context()
	f := store.ExceptionFilter{Status: saoyue.ExceptionOpen}
	if !sess.User.Has(saoyue.RoleCentre) {
		f.SchoolID = *sess.User.SchoolID
	}
	open, err := store.Exceptions(ctx, s.DB.Pool, f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	d := exceptionPage{Left: len(open), ItemIndex: -1, Error: r.URL.Query().Get("error")}
	want, _ := strconv.ParseInt(r.URL.Query().Get("id"), 10, 64)
	for _, e := range open {
		if e.ID == want || want == 0 {
			d.Exc = e
			break
		}
	}
	if d.Exc != nil {
		d.KindName = d.Exc.Kind.Name()
		d.Item, _ = strconv.Atoi(d.Exc.ItemNo)
		if d.Exc.PageID != nil {
			d.Page, err = store.GetPageView(ctx, s.DB.Pool, *d.Exc.PageID)
			if err != nil {
				s.error(w, r, err)
				return
			}
			if len(d.Page.Result) > 0 {
				var rr reading.Result
				if json.Unmarshal(d.Page.Result, &rr) == nil {
					d.Result = &rr
					for i, it := range rr.Items {
						if it.Number == d.Item && d.Item != 0 {
							d.ItemIndex = i
							d.Highlight = percentBox(it.Box, rr.Width, rr.Height)
						}
					}
					if d.Highlight == nil && rr.ExamNo != nil && d.Exc.Kind.AboutExamNo() {
						d.Highlight = percentBox(rr.ExamNo.Box, rr.Width, rr.Height)
					}
				}
			}
		}
	}
	s.render(w, "exception.html", pageData{Title: "异常处理", Nav: "exceptions", Session: sess, Data: d})
}

// handleExceptionResolve: POST /tech/exceptions/{id}/resolve, the
// technician's decision. A change of a machine-read value waits for an
// approver (grading.ResolveException); the page moves on to the next one.
func (s *Server) handleExceptionResolve(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	id, err := pathInt(r, "id")
	if err != nil {
		s.error(w, r, err)
		return
	}
	school, err := store.ExceptionSchool(r.Context(), s.DB.Pool, id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if !mayHandle(sess.User, school) {
		s.error(w, r, saoyue.Errorf(saoyue.EFORBIDDEN, "这条异常不属于您的学校"))
		return
	}
	item, _ := strconv.Atoi(r.PostFormValue("item"))
	res := grading.ExceptionResolution{
		Action: r.PostFormValue("action"),
		ExamNo: strings.TrimSpace(r.PostFormValue("exam_no")),
		Item:   item,
		Answer: strings.TrimSpace(r.PostFormValue("answer")),
		Reason: strings.TrimSpace(r.PostFormValue("reason")),
	}
	if _, err := grading.ResolveExceptionBy(r.Context(), s.DB, id, sess.User, res); err != nil {
		if saoyue.ErrorCode(err) == saoyue.EINTERNAL {
			s.error(w, r, err)
			return
		}
		http.Redirect(w, r, "/tech/exceptions?id="+strconv.FormatInt(id, 10)+"&error="+urlQuery(saoyue.ErrorMessage(err)), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/tech/exceptions", http.StatusSeeOther)
}

// percentBox turns a box in image pixels into percentages of the image, so
// the highlight follows the image however it is scaled on screen.
func percentBox(box []float64, w, h int) []float64 {
	if len(box) != 4 || w <= 0 || h <= 0 {
		return nil
	}
	pad := 6.0 // pixels of margin, so the outline does not hide the marks
	return []float64{
		100 * (box[0] - pad) / float64(w), 100 * (box[1] - pad) / float64(h),
		100 * (box[2] + 2*pad) / float64(w), 100 * (box[3] + 2*pad) / float64(h),
	}
}
