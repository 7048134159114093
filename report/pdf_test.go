package report_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saoyue/saoyue/grading/stats"
	"github.com/saoyue/saoyue/report"
	"github.com/saoyue/saoyue/report/reporttest"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// rasterise runs pdftoppm (poppler-utils) over the PDF at 30 dpi and
// returns the page images' sizes, and pdftotext's text.
func rasterise(t *testing.T, pdf []byte) ([][2]int, string) {
	t.Helper()
	for _, tool := range []string{"pdftoppm", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (apt-get install poppler-utils): %v", tool, err)
		}
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "r.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-r", "30", "-png", in, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "p-*.png"))
	var sizes [][2]int
	for _, p := range pages {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, [2]int{cfg.Width, cfg.Height})
	}
	txt, err := exec.Command("pdftotext", "-layout", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return sizes, string(txt)
}

// A4 at 30 dpi is 248 × 351 pixels (210 × 297 mm).
func checkA4(t *testing.T, what string, sizes [][2]int) {
	t.Helper()
	for i, s := range sizes {
		if s[0] < 246 || s[0] > 250 || s[1] < 349 || s[1] > 353 {
			t.Errorf("%s page %d is %d×%d pixels at 30 dpi, not A4 (248×351)", what, i+1, s[0], s[1])
		}
	}
}

func TestSchoolAndStudentPDFs(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	reporttest.SeedSmallExam(t, db, "final")
	r, err := report.Generate(context.Background(), db, "21", report.Filter{School: "0101"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.WriteSchoolPDF(&buf, r); err != nil {
		t.Fatal(err)
	}
	sizes, text := rasterise(t, buf.Bytes())
	if len(sizes) < 2 {
		t.Errorf("school report has %d pages, want the overview and the subject charts", len(sizes))
	}
	checkA4(t, "school report", sizes)
	flat := strings.Join(strings.Fields(text), "")
	for _, want := range []string{"一小", "成绩分析报告", "总体情况", "超均率8.9%", "在全县2所学校中列第1名", "各题得分率", "1班", "2班"} {
		if !strings.Contains(flat, want) {
			t.Errorf("school report lacks %q:\n%s", want, text)
		}
	}

	buf.Reset()
	if err := report.WriteStudentPDF(&buf, r); err != nil {
		t.Fatal(err)
	}
	sizes, text = rasterise(t, buf.Bytes())
	if len(sizes) != 5 {
		t.Errorf("%d 成绩报告单 pages for 0101's 5 candidates", len(sizes))
	}
	checkA4(t, "report cards", sizes)
	flat = strings.Join(strings.Fields(text), "")
	for _, want := range []string{"成绩报告单", "一小", "姓名：A", "姓名：E", "各科得分率"} {
		if !strings.Contains(flat, want) {
			t.Errorf("report cards lack %q", want)
		}
	}

	// One class: D and E.
	r, err = report.Generate(context.Background(), db, "21", report.Filter{School: "0101", Class: "2班"})
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := report.WriteStudentPDF(&buf, r); err != nil {
		t.Fatal(err)
	}
	if sizes, _ = rasterise(t, buf.Bytes()); len(sizes) != 2 {
		t.Errorf("%d pages for 2班's 2 candidates", len(sizes))
	}
	r, _ = report.Generate(context.Background(), db, "21", report.Filter{})
	if err := report.WriteSchoolPDF(&buf, r); err == nil {
		t.Error("a school report without a school")
	}
}

// A paper of 200 items does not fit on one card page: every item is printed,
// going on over a second page headed with the student (pdftotext finds all
// 14 rows of 15 items, and item 200, on each student's pages).
func TestStudentPDFPrintsEveryItem(t *testing.T) {
	t.Parallel()
	res := genExam(1, 1, 2, 180, 20, 5)
	r, err := report.Build(res, store.DefaultReportSettings, report.Filter{School: "0001"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.WriteStudentPDF(&buf, r); err != nil {
		t.Fatal(err)
	}
	sizes, text := rasterise(t, buf.Bytes())
	checkA4(t, "long report cards", sizes)
	pages := strings.Split(strings.TrimRight(text, "\f"), "\f")
	if len(sizes) != 4 || len(pages) != 4 {
		t.Fatalf("%d pages (%d in the text) for 2 students of 200 items, want 2 each", len(sizes), len(pages))
	}
	for k, c := range r.Results.Candidates {
		if c.Subjects[0].Status != stats.Present {
			t.Fatalf("generated candidate %s not present", c.ExamNo)
		}
		first, second := pages[2*k], pages[2*k+1]
		both := strings.Join(strings.Fields(first+second), "")
		if !strings.Contains(strings.Join(strings.Fields(second), ""), "姓名："+c.Name) || !strings.Contains(second, "（续）") {
			t.Errorf("page %d does not go on with %s:\n%s", 2*k+2, c.Name, second)
		}
		if n := strings.Count(both, "得分/满分"); n != 14 {
			t.Errorf("%s: %d rows of item scores, want 14 (200 items, 15 a row)", c.Name, n)
		}
		last := fmt.Sprintf("%g/10", c.Subjects[0].Scores[199])
		if !strings.Contains(second, "200") || !strings.Contains(second, last) {
			t.Errorf("%s: item 200 (%s) missing from the second page:\n%s", c.Name, last, second)
		}
	}
}
