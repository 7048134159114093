package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/report"
)

// handleReportPDF serves a school's printable documents:
//
//	GET /exams/{code}/report.pdf?school=0101                 分析报告
//	GET /exams/{code}/report.pdf?school=0101&kind=students   成绩报告单 of the school
//	GET /exams/{code}/report.pdf?school=0101&class=2班&kind=students   … of one class
//
// The same guard as the workbook: the centre any school, a school's
// technician only their own once review is open.
func (s *Server) handleReportPDF(w http.ResponseWriter, r *http.Request) {
	code, f, ok := s.reportRequest(w, r)
	if !ok {
		return
	}
	if f.School == "" {
		s.error(w, r, saoyue.Errorf(saoyue.EINVALID, "打印报告请选择学校"))
		return
	}
	f.Subject = ""
	kind := r.URL.Query().Get("kind")
	write, suffix := report.WriteSchoolPDF, "-analysis.pdf"
	switch kind {
	case "", "school":
	case "students":
		write, suffix = report.WriteStudentPDF, "-cards.pdf"
	default:
		s.error(w, r, saoyue.Errorf(saoyue.EINVALID, "kind 只能是 school（分析报告）或 students（成绩报告单）"))
		return
	}
	rep, err := report.Generate(r.Context(), s.DB, code, f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	rep.Font = s.CJKFont
	name := reportFileName(code, f, "")
	if f.Class != "" {
		name += "-class"
	}
	// Written to memory first: a PDF that fails half way must be an error
	// page, not a broken download.
	var buf bytes.Buffer
	if err := write(&buf, rep); err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s%s"`, name, suffix))
	if _, err := w.Write(buf.Bytes()); err != nil {
		s.Logger.Error("write report pdf", "exam", code, "err", err)
	}
}

// pdfLinks are one school's PDF downloads on the report page: the
// analysis report, the school's report cards and each class's.
type pdfLinks struct {
	School, Label string
	Classes       []string
}

func reportPDFLinks(rep *report.Report) []pdfLinks {
	var out []pdfLinks
	for _, g := range rep.Members.Schools {
		if rep.Filter.School != "" && g.SchoolCode != rep.Filter.School {
			continue
		}
		l := pdfLinks{School: g.SchoolCode, Label: g.SchoolCode + " " + g.SchoolName}
		for _, c := range rep.Members.Classes[g.SchoolCode] {
			l.Classes = append(l.Classes, c.Class)
		}
		out = append(out, l)
	}
	return out
}

// handleProgressXLSX serves the 进退步 workbook of the report against an
// earlier exam the same students sat, as `saoyue report --compare` writes
// it:
//
//	GET /exams/{code}/progress.xlsx?prev=21[&school=0101]
//
// The centre's report page lists the exams sharing students to choose from.
func (s *Server) handleProgressXLSX(w http.ResponseWriter, r *http.Request) {
	code, f, ok := s.reportRequest(w, r)
	if !ok {
		return
	}
	prev := strings.TrimSpace(r.URL.Query().Get("prev"))
	if prev == "" {
		s.error(w, r, saoyue.Errorf(saoyue.EINVALID, "进退步请选择要比较的上一次考试"))
		return
	}
	f.Subject = ""
	rep, err := report.Generate(r.Context(), s.DB, code, f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := report.Compare(r.Context(), s.DB, rep, prev); err != nil {
		s.error(w, r, err)
		return
	}
	// Written to memory first: a comparison that fails half way must be an
	// error page, not a broken download.
	var buf bytes.Buffer
	if err := report.WriteXLSX(&buf, rep); err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, reportFileName(code, f, "-progress-"+strings.TrimPrefix(reportFileName(prev, report.Filter{}, ""), "report-")+".xlsx")))
	if _, err := w.Write(buf.Bytes()); err != nil {
		s.Logger.Error("write progress workbook", "exam", code, "prev", prev, "err", err)
	}
}
