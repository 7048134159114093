package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/store"
)

// readResult is the part of the reader's JSON the exception view shows;
// web does not import omr, so it names the fields itself.
type readResult struct {
	Template string `json:"template"`
	Page     int    `json:"page"`
	Rotation int    `json:"rotation"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	ExamNo   *struct {
		Barcode, Grid, Value, Verdict string
		Box                           []float64
	} `json:"exam_no"`
	Items []struct {
		Item    int       `json:"item"`
		Chosen  []string  `json:"chosen"`
		Status  string    `json:"status"`
		Box     []float64 `json:"box"`
		Options []struct {
			Label    string  `json:"label"`
			Fill     float64 `json:"fill"`
			Darkness float64 `json:"darkness"`
			Strokes  float64 `json:"strokes"`
			State    string  `json:"state"`
		} `json:"options"`
	} `json:"items"`
	Quality []string `json:"quality"`
}

type exceptionPage struct {
	Exc       *store.Exception
	KindName  string
	Page      *store.PageView
	Result    *readResult
	Item      int
	ItemIndex int // index in Result.Items, -1 when none
	// Highlight is the spot of the page the exception is about, as
	// percentages of the image (left, top, width, height).
	Highlight []float64
	Left      int // open exceptions of the school, this one included
	Error     string
}

var exceptionKinds = map[string]string{
	"registration": "定位失败", "wrong_template": "非本科目答题卡", "blank_page": "空白页", "exam_no": "考号无法识别或不一致",
	"duplicate": "重复扫描", "form_mismatch": "题本类型不符", "doubtful": "填涂不清", "multi": "多选（单选题）",
	"missing_page": "缺页", "quality": "图像质量差",
	"exam_no_unknown": "考号不在考生名单中", "wrong_school": "非本校考生", "withdrawn": "考生已退出",
	"unreadable_image": "图像无法读取", "damaged_image": "图像文件损坏",
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
	f := store.ExceptionFilter{Status: "open"}
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
		d.KindName = exceptionKinds[d.Exc.Kind]
		if d.KindName == "" {
			d.KindName = d.Exc.Kind
		}
		d.Item, _ = strconv.Atoi(d.Exc.ItemNo)
		if d.Exc.PageID != nil {
			d.Page, err = store.GetPageView(ctx, s.DB.Pool, *d.Exc.PageID)
			if err != nil {
				s.error(w, r, err)
				return
			}
			if len(d.Page.Result) > 0 {
				var rr readResult
				if json.Unmarshal(d.Page.Result, &rr) == nil {
					d.Result = &rr
					for i, it := range rr.Items {
						if it.Item == d.Item && d.Item != 0 {
							d.ItemIndex = i
							d.Highlight = percentBox(it.Box, rr.Width, rr.Height)
						}
					}
					if d.Highlight == nil && rr.ExamNo != nil && strings.HasPrefix(d.Exc.Kind, "exam_no") {
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
