package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/report"
	"github.com/saoyue/saoyue/store"
)

// The report page and downloads: the centre and approvers see the whole
// exam, a school's technician only their school once scores are released.

func reportFilter(r *http.Request) report.Filter {
	q := r.URL.Query()
	return report.Filter{
		School:  strings.TrimSpace(q.Get("school")),
		Class:   strings.TrimSpace(q.Get("class")),
		Subject: strings.TrimSpace(q.Get("subject")),
	}
}

// reportFileName is ASCII so every browser keeps it: report-21-0101-math.
func reportFileName(code string, f report.Filter, ext string) string {
	parts := []string{"report", code}
	for _, p := range []string{f.School, f.Subject} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	name := strings.Join(parts, "-")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '/' {
			return '_'
		}
		return r
	}, name) + ext
}

func (s *Server) handleReportXLSX(w http.ResponseWriter, r *http.Request) {
	code, f, ok := s.reportRequest(w, r)
	if !ok {
		return
	}
	rep, err := report.Generate(r.Context(), s.DB, code, f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, reportFileName(code, f, ".xlsx")))
	if err := report.WriteXLSX(w, rep); err != nil {
		// Headers are gone: the browser gets a broken file, the log the cause.
		s.Logger.Error("write report", "exam", code, "err", err)
	}
}

func (s *Server) handleReportCSV(w http.ResponseWriter, r *http.Request) {
	code, f, ok := s.reportRequest(w, r)
	if !ok {
		return
	}
	key := r.URL.Query().Get("table")
	if key == "" {
		key = "scores"
	}
	rep, err := report.Generate(r.Context(), s.DB, code, f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	t, ok := rep.Table(key)
	if !ok {
		s.error(w, r, saoyue.Errorf(saoyue.ENOTFOUND, "没有表 %q；可选：%s", key, strings.Join(rep.TableKeys(), ", ")))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, reportFileName(code, f, "-"+key+".csv")))
	if err := report.WriteCSV(w, t); err != nil {
		s.Logger.Error("write report csv", "exam", code, "table", key, "err", err)
	}
}

var reportPage = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>成绩统计分析报告 · {{.Name}}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:60em}label{margin-right:1em}ul{columns:3}.warn{color:#a40}</style></head>
<body>
<h1>成绩统计分析报告</h1>
<p>{{.Name}}（{{.Code}}）· {{.Status}}</p>
{{range .Warnings}}<p class="warn">注意：{{.}}</p>{{end}}
<form method="get" action="/exams/{{.Code}}/report.xlsx">
<label>学校 <select name="school"><option value="">全县</option>{{range .Schools}}<option value="{{.Code}}">{{.Code}} {{.Name}}</option>{{end}}</select></label>
<label>班级 <input name="class" size="6" placeholder="如 3班"></label>
<label>学科 <select name="subject"><option value="">全部</option>{{range .Subjects}}<option value="{{.Code}}">{{.Name}}</option>{{end}}</select></label>
<button type="submit">下载 Excel 报告</button>
</form>
<h2>打印报告（PDF，A4）</h2>
<ul class="pdf">{{range $p := .PDFs}}<li>{{$p.Label}}：<a href="/exams/{{$.Code}}/report.pdf?school={{$p.School}}">分析报告</a> · <a href="/exams/{{$.Code}}/report.pdf?school={{$p.School}}&amp;kind=students">成绩报告单</a>{{range $p.Classes}} · <a href="/exams/{{$.Code}}/report.pdf?school={{$p.School}}&amp;class={{.}}&amp;kind=students">{{.}}报告单</a>{{end}}</li>{{end}}</ul>
{{if .Central}}<h2>进退步（与上一次考试比较）</h2>
{{if .Earlier}}<form method="get" action="/exams/{{.Code}}/progress.xlsx" class="progress">
<label>上一次考试 <select name="prev">{{range .Earlier}}<option value="{{.Code}}">{{.Code}} {{.Name}}（{{.Shared}} 名共同学生）</option>{{end}}</select></label>
<label>学校 <select name="school"><option value="">全县</option>{{range .Schools}}<option value="{{.Code}}">{{.Code}} {{.Name}}</option>{{end}}</select></label>
<button type="submit">下载进退步 Excel</button>
</form>{{else}}<p>没有与本次考试有共同学生的其他考试，无法比较进退步。</p>{{end}}{{end}}
<h2>CSV 数据（UTF-8）</h2>
<ul>{{range .Tables}}<li><a href="/exams/{{$.Code}}/report.csv?table={{.Key}}">{{.Sheet}}</a></li>{{end}}</ul>
</body></html>`))

func (s *Server) handleReportPage(w http.ResponseWriter, r *http.Request) {
	code, f, ok := s.reportRequest(w, r)
	if !ok {
		return
	}
	own := f.School
	rep, err := report.Generate(r.Context(), s.DB, code, report.Filter{School: own})
	if err != nil {
		s.error(w, r, err)
		return
	}
	type option struct{ Code, Name string }
	data := struct {
		Code, Name, Status string
		Warnings           []string
		Schools, Subjects  []option
		Tables             []report.Table
		PDFs               []pdfLinks
		Central            bool // the whole county: the 进退步 download
		Earlier            []store.SharedExam
	}{Code: code, Name: rep.Results.Name, Warnings: rep.Warnings, Tables: rep.AllTables()}
	data.Status = saoyue.Stage(rep.Status).Name()
	seen := map[string]bool{}
	for _, c := range rep.Results.Candidates {
		if !seen[c.SchoolCode] {
			seen[c.SchoolCode] = true
			data.Schools = append(data.Schools, option{c.SchoolCode, c.SchoolName})
		}
	}
	for _, sub := range rep.Results.Subjects {
		data.Subjects = append(data.Subjects, option{sub.Code, sub.Name})
	}
	data.PDFs = reportPDFLinks(rep)
	if own == "" {
		data.Central = true
		if data.Earlier, err = store.ExamsSharingStudents(r.Context(), s.DB.Pool, code); err != nil {
			s.error(w, r, err)
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := reportPage.Execute(w, data); err != nil {
		s.Logger.Error("render report page", "err", err)
	}
}

// reportRequest checks who asks for a report and returns the exam and the
// filter, narrowed to the asker's school where the role demands it.
// Reports name every candidate: the county centre and approvers see them
// all; a school's technician sees only their school, and only once the
// centre has opened the exam for review (DOMAIN rule 8).
func (s *Server) reportRequest(w http.ResponseWriter, r *http.Request) (string, report.Filter, bool) {
	code := r.PathValue("code")
	own, ok := s.reportScope(w, r, sessionOf(r), code)
	if !ok {
		return "", report.Filter{}, false
	}
	f := reportFilter(r)
	if own != "" {
		f.School = own
	}
	return code, f, true
}

// reportScope returns the school a report request is limited to ("" for
// the whole exam), or answers the request itself and returns false.
func (s *Server) reportScope(w http.ResponseWriter, r *http.Request, sess *store.Session, examCode string) (string, bool) {
	u := sess.User
	if u.Has(saoyue.RoleCentre) || u.Has(saoyue.RoleApprover) {
		return "", true
	}
	if u.SchoolID == nil {
		s.error(w, r, saoyue.Errorf(saoyue.EFORBIDDEN, "您的账号未关联学校，不能查看成绩"))
		return "", false
	}
	exam, err := store.GetExam(r.Context(), s.DB.Pool, examCode)
	if err != nil {
		s.error(w, r, err) // an unknown exam is ENOTFOUND, a failing database an internal error
		return "", false
	}
	if !exam.Status.ScoresReleased() {
		s.error(w, r, saoyue.Errorf(saoyue.EFORBIDDEN, "成绩尚未开放学校复核"))
		return "", false
	}
	schools, err := store.ListSchools(r.Context(), s.DB.Pool)
	if err != nil {
		s.error(w, r, err)
		return "", false
	}
	for _, sc := range schools {
		if sc.ID == *u.SchoolID {
			return sc.Code, true
		}
	}
	s.error(w, r, saoyue.Errorf(saoyue.EFORBIDDEN, "找不到您的学校"))
	return "", false
}
