package web

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/reading"
	"github.com/saoyue/saoyue/store"
)

// registerPageSize is how many exceptions one page of the register shows.
const registerPageSize = 100

// registerRow is one line of the exception register as shown.
type registerRow struct {
	store.RegisterRow
	KindName   string
	StatusName string
	Resolution string
}

type registerPage struct {
	Exams    []store.ExamSubject // one per exam
	Subjects []store.ExamSubject // the chosen exam's
	Schools  []store.School
	Kinds    [][2]string
	Statuses [][2]string
	Exam     string
	School   string
	Subject  string
	Kind     string
	Status   string
	Rows     []registerRow
	Total    int
	Page     int
	Pages    int
	Query    string // the filter as a query string, for the CSV and paging links
}

// resolutionText says in Chinese what a person decided about an exception.
func resolutionText(raw json.RawMessage) string {
	var res grading.ExceptionResolution
	if len(raw) == 0 || json.Unmarshal(raw, &res) != nil || res.Action == "" {
		return ""
	}
	var what string
	switch res.Action {
	case grading.ActionExamNo:
		what = "考号改为 " + res.ExamNo
	case grading.ActionAnswer:
		what = fmt.Sprintf("第 %d 题答案改为 %s", res.Item, res.Answer)
	case grading.ActionBlank:
		what = fmt.Sprintf("第 %d 题判为空白", res.Item)
	case grading.ActionAccept:
		what = "维持机器识别结果"
	case grading.ActionRescan:
		what = "重新扫描"
	case grading.ActionVoid:
		what = "作废（非本袋答题卡）"
	default:
		what = res.Action
	}
	if res.Reason != "" {
		what += "；" + res.Reason
	}
	return what
}

// registerFilter reads the page's filter from the query.
func (s *Server) registerFilter(r *http.Request, d *registerPage) (store.RegisterFilter, error) {
	q := r.URL.Query()
	d.Exam, d.School, d.Subject, d.Kind, d.Status = q.Get("exam"), q.Get("school"), q.Get("subject"), q.Get("kind"), q.Get("status")
	d.Page, _ = strconv.Atoi(q.Get("page"))
	d.Page = max(d.Page, 1)
	f := store.RegisterFilter{SubjectCode: d.Subject, Kind: reading.Kind(d.Kind), Status: saoyue.ExceptionStatus(d.Status)}
	subs, err := store.ListExamSubjects(r.Context(), s.DB.Pool)
	if err != nil {
		return f, err
	}
	for _, x := range subs {
		if len(d.Exams) == 0 || d.Exams[len(d.Exams)-1].ExamCode != x.ExamCode {
			d.Exams = append(d.Exams, x)
		}
		if x.ExamCode == d.Exam {
			f.ExamID = x.ExamID
			d.Subjects = append(d.Subjects, x)
		}
	}
	if d.Schools, err = store.ListSchools(r.Context(), s.DB.Pool); err != nil {
		return f, err
	}
	for _, sc := range d.Schools {
		if sc.Code == d.School {
			f.SchoolID = sc.ID
		}
	}
	if d.School != "" && f.SchoolID == 0 {
		f.SchoolID = -1 // an unknown school matches nothing
	}
	if d.Exam != "" && f.ExamID == 0 {
		f.ExamID = -1
	}
	v := url.Values{}
	for k, val := range map[string]string{"exam": d.Exam, "school": d.School, "subject": d.Subject, "kind": d.Kind, "status": d.Status} {
		if val != "" {
			v.Set(k, val)
		}
	}
	d.Query = v.Encode()
	return f, nil
}

func toRegisterRows(rows []store.RegisterRow) []registerRow {
	out := make([]registerRow, 0, len(rows))
	for _, x := range rows {
		out = append(out, registerRow{RegisterRow: x, KindName: x.Kind.Name(), StatusName: x.Status.Name(), Resolution: resolutionText(x.Resolution)})
	}
	return out
}

// handleRegisterPage: GET /centre/exceptions, the exception register of
// every school (异常试卷登记表), filtered by exam, school, subject, kind
// and status, a hundred to a page.
func (s *Server) handleRegisterPage(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	d := registerPage{}
	f, err := s.registerFilter(r, &d)
	if err != nil {
		s.error(w, r, err)
		return
	}
	for _, k := range reading.Kinds {
		d.Kinds = append(d.Kinds, [2]string{string(k), k.Name()})
	}
	for _, st := range saoyue.ExceptionStatuses {
		d.Statuses = append(d.Statuses, [2]string{string(st), st.Name()})
	}
	f.Limit, f.Offset = registerPageSize, (d.Page-1)*registerPageSize
	rows, total, err := store.ExceptionRegister(r.Context(), s.DB.Pool, f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	d.Rows, d.Total = toRegisterRows(rows), total
	d.Pages = max(1, (total+registerPageSize-1)/registerPageSize)
	s.render(w, "register.html", pageData{Title: "异常登记", Nav: "centre", Session: sess, Data: d})
}

// handleRegisterCSV: GET /centre/exceptions.csv, the filtered register
// whole, for Excel (UTF-8 with a byte-order mark so Excel reads Chinese).
func (s *Server) handleRegisterCSV(w http.ResponseWriter, r *http.Request) {
	d := registerPage{}
	f, err := s.registerFilter(r, &d)
	if err != nil {
		s.error(w, r, err)
		return
	}
	rows, _, err := store.ExceptionRegister(r.Context(), s.DB.Pool, f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="exceptions.csv"`)
	_, _ = w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"编号", "考试", "学校代码", "学校", "学科", "批次", "考场", "页序", "类型", "题号", "原因", "状态", "处理结果",
		"提交人", "提交时间", "处理人", "审核人", "处理时间", "发现时间"})
	for _, x := range toRegisterRows(rows) {
		_ = cw.Write([]string{strconv.FormatInt(x.ID, 10), x.ExamCode, x.SchoolCode, x.SchoolName, x.SubjectName, optInt64(x.BatchID),
			optInt(x.Room), optInt(x.PageSeq), x.KindName, x.ItemNo, x.Reason, x.StatusName, x.Resolution,
			derefStr(x.RequestedBy), optTime(x.RequestedAt), derefStr(x.ResolvedBy), derefStr(x.ApprovedBy), optTime(x.ResolvedAt), x.CreatedAt.Format("2006-01-02 15:04")})
	}
	cw.Flush()
}

func optInt64(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func optInt(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

func optTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format("2006-01-02 15:04")
}

func derefStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
