package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/report/reporttest"
	"github.com/saoyue/saoyue/store/storetest"
)

func TestReportDownloads(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	reporttest.SeedSmallExam(t, db, "review")
	srv := httptest.NewServer(NewServer(db, nil, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	defer srv.Close()
	// Reports name every candidate: a stranger is sent to sign in and a
	// marker is refused; the centre downloads.
	stranger := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := stranger.Get(srv.URL + "/exams/21/report.xlsx"); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("report without signing in: %v %v, want a redirect to sign in", resp.StatusCode, err)
	}
	st := &site{t: t, db: db, srv: srv}
	st.user("marker1", false, []saoyue.Role{saoyue.RoleMarker}, nil, nil)
	st.user("centre1", false, []saoyue.Role{saoyue.RoleCentre}, nil, nil)
	if resp, err := st.client("marker1").Get(srv.URL + "/exams/21/report.xlsx"); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("report as a marker: %v %v, want 403", resp.StatusCode, err)
	}
	// A school's technician gets their own school only, whatever they ask.
	var school0101 int64
	if err := db.Pool.QueryRow(context.Background(), `SELECT id FROM schools WHERE code = '0101'`).Scan(&school0101); err != nil {
		t.Fatal(err)
	}
	st.user("tech0101", false, []saoyue.Role{saoyue.RoleTechnician}, nil, &school0101)
	resp0, err := st.client("tech0101").Get(srv.URL + "/exams/21/report.xlsx?school=0102")
	if err != nil || resp0.StatusCode != 200 || !strings.Contains(resp0.Header.Get("Content-Disposition"), "report-21-0101") {
		t.Fatalf("technician's report: %v %v %q, want school 0101 only", resp0.StatusCode, err, resp0.Header.Get("Content-Disposition"))
	}
	resp0.Body.Close()
	centre := st.client("centre1")
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := centre.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}

	resp, body := get("/exams/21/report.xlsx?school=0101&subject=math")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), `filename="report-21-0101-math.xlsx"`) {
		t.Fatalf("xlsx: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("downloaded workbook does not open: %v", err)
	}
	rows, _ := f.GetRows("成绩总表")
	if len(rows) != 6 || rows[1][3] != "一小" {
		t.Errorf("school filter: %d rows %v", len(rows), rows)
	}
	f.Close()

	resp, body = get("/exams/21/report.csv?table=county")
	if resp.StatusCode != 200 || !bytes.HasPrefix(body, []byte("\xEF\xBB\xBF学科")) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("csv: %d %q", resp.StatusCode, body[:min(len(body), 30)])
	}
	resp, body = get("/exams/21/report.csv?table=nope")
	if resp.StatusCode != 404 || !strings.Contains(string(body), "items-math") {
		t.Errorf("unknown table: %d %s", resp.StatusCode, body)
	}
	resp, _ = get("/exams/99/report.xlsx")
	if resp.StatusCode != 404 {
		t.Errorf("unknown exam: %d", resp.StatusCode)
	}
	resp, body = get("/exams/21/report.xlsx?class=1%E7%8F%AD")
	if resp.StatusCode != 400 {
		t.Errorf("class without school: %d %s", resp.StatusCode, body)
	}
	resp, body = get("/exams/21/report")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "下载 Excel 报告") || !strings.Contains(string(body), "0102 二小") {
		t.Errorf("page: %d %s", resp.StatusCode, body)
	}

	if !strings.Contains(string(body), "report.pdf?school=0101&amp;kind=students") || !strings.Contains(string(body), "class=2%e7%8f%ad") {
		t.Errorf("page has no PDF links per school and class: %s", body)
	}

	// PDFs: the school's analysis and one class's report cards.
	resp, body = get("/exams/21/report.pdf?school=0102")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(body, []byte("%PDF")) ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "report-21-0102-analysis.pdf") {
		t.Errorf("school pdf: %d %v", resp.StatusCode, resp.Header)
	}
	resp, body = get("/exams/21/report.pdf?school=0101&class=2%E7%8F%AD&kind=students")
	if resp.StatusCode != 200 || !bytes.HasPrefix(body, []byte("%PDF")) || bytes.Count(body, []byte("/Type /Page\n")) != 2 {
		t.Errorf("class report cards: %d, %d pages", resp.StatusCode, bytes.Count(body, []byte("/Type /Page\n")))
	}
	resp, body = get("/exams/21/report.pdf")
	if resp.StatusCode != 400 || !strings.Contains(string(body), "请选择学校") {
		t.Errorf("pdf without a school: %d %s", resp.StatusCode, body)
	}
	// The technician of 0101 asking for 0102 gets 0101.
	r2, err := st.client("tech0101").Get(srv.URL + "/exams/21/report.pdf?school=0102")
	if err != nil || r2.StatusCode != 200 || !strings.Contains(r2.Header.Get("Content-Disposition"), "report-21-0101") {
		t.Errorf("technician's pdf: %v %v", r2.StatusCode, err)
	}
}

// TestProgressDownload walks the centre's 进退步 download: the report page of
// exam 22 lists exam 21 (five students sat both) to compare with, and the
// workbook it sends has the 进退步 sheets, 0101's mean change −0.2 by hand
// (A 10→6, B 8→9, C 6→9, D 8→3, E 3→7). A technician is refused and sees no
// such form; a missing, unknown or same exam is a clear error.
func TestProgressDownload(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	reporttest.SeedSmallExam(t, db, "final")
	reporttest.SeedFollowUpExam(t, db, "22", map[string]float64{"A": 6, "B": 9, "C": 9, "D": 3, "E": 7})
	srv := httptest.NewServer(NewServer(db, nil, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	defer srv.Close()
	st := &site{t: t, db: db, srv: srv}
	st.user("centre1", false, []saoyue.Role{saoyue.RoleCentre}, nil, nil)
	var school0101 int64
	if err := db.Pool.QueryRow(context.Background(), `SELECT id FROM schools WHERE code = '0101'`).Scan(&school0101); err != nil {
		t.Fatal(err)
	}
	st.user("tech0101", false, []saoyue.Role{saoyue.RoleTechnician}, nil, &school0101)
	get := func(who, path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := st.client(who).Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}

	resp, body := get("centre1", "/exams/22/report")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `action="/exams/22/progress.xlsx"`) ||
		!strings.Contains(string(body), `<option value="21">21 `) || !strings.Contains(string(body), "（5 名共同学生）") {
		t.Fatalf("report page has no 进退步 choice of exam 21: %d %s", resp.StatusCode, body)
	}
	resp, body = get("centre1", "/exams/22/progress.xlsx?prev=21&school=0101")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), `filename="report-22-0101-progress-21.xlsx"`) {
		t.Fatalf("progress download: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("downloaded workbook does not open: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("进退步-学校班级")
	if err != nil || len(rows) < 2 {
		t.Fatalf("no 进退步 sheet: %v %v", rows, err)
	}
	col := map[string]int{}
	for k, h := range rows[0] {
		col[h] = k
	}
	found := false
	for _, row := range rows[1:] {
		if len(row) > col["平均分变化"] && row[col["学校代码"]] == "0101" && row[col["班级"]] == "" {
			found = true
			if row[col["匹配人数"]] != "5" || row[col["平均分变化"]] != "-0.2" && row[col["平均分变化"]] != "-0.20" {
				t.Errorf("0101 row %v, want 5 matched and a change of −0.2", row)
			}
		}
	}
	if !found {
		t.Errorf("no row for 0101: %v", rows)
	}
	if students, _ := f.GetRows("进退步-学生"); len(students) != 6 {
		t.Errorf("%d student rows, want 0101's 5", len(students)-1)
	}

	for _, c := range []struct {
		path, want string
		code       int
	}{
		{"/exams/22/progress.xlsx", "请选择要比较的上一次考试", 400},
		{"/exams/22/progress.xlsx?prev=99", "没有考试 99", 404},
		{"/exams/22/progress.xlsx?prev=22", "不能与考试 22 自身比较", 400},
	} {
		if resp, body := get("centre1", c.path); resp.StatusCode != c.code || !strings.Contains(string(body), c.want) {
			t.Errorf("%s: %d %s, want %d %q", c.path, resp.StatusCode, body, c.code, c.want)
		}
	}
	if resp, _ := get("tech0101", "/exams/22/progress.xlsx?prev=21"); resp.StatusCode != 403 {
		t.Errorf("technician's progress download: %d, want 403", resp.StatusCode)
	}
	if resp, body := get("tech0101", "/exams/22/report"); resp.StatusCode != 200 || strings.Contains(string(body), "progress.xlsx") {
		t.Errorf("technician's report page: %d, offers 进退步: %v", resp.StatusCode, strings.Contains(string(body), "progress.xlsx"))
	}
}
