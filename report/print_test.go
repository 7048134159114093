package report_test

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading/stats"
	"github.com/saoyue/saoyue/report"
	"github.com/saoyue/saoyue/store"
)

// genExam builds a larger exam: schools × classes × perClass candidates,
// one subject of `objective` two-point single-choice items and `groups`
// ten-point groups with sub-questions, about 3% absent and 1% violation.
// The rng is seeded, so the exam is the same every run.
func genExam(schools, classes, perClass, objective, groups int, seed uint64) *stats.ExamResults {
	rng := rand.New(rand.NewPCG(seed, 7))
	full := float64(objective*2 + groups*10)
	paper := stats.SubjectPaper{Code: "math", Name: "数学", FullScore: full}
	for k := 1; k <= objective; k++ {
		paper.Items = append(paper.Items, stats.PaperItem{Code: strconv.Itoa(k), Objective: true, Kind: saoyue.ItemSingle, Max: 2, Key: "A"})
	}
	for g := 1; g <= groups; g++ {
		paper.Items = append(paper.Items, stats.PaperItem{Code: strconv.Itoa(objective + g), Max: 10})
	}
	res := &stats.ExamResults{Code: "31", Name: "生成考试", Subjects: []stats.SubjectPaper{paper}}
	for s := 0; s < schools; s++ {
		for c := 0; c < classes; c++ {
			for i := 0; i < perClass; i++ {
				ability := rng.NormFloat64() + float64(s%3)*0.3 - float64(c%2)*0.2
				r := stats.SubjectResult{Status: stats.Present}
				switch u := rng.Float64(); {
				case u < 0.03:
					r.Status = stats.Absent
				case u < 0.04:
					r.Status = stats.Violation
				}
				if r.Status == stats.Present {
					// Exact sizes, as report.Load allocates them: the 100,000-candidate
					// benchmark measures the report, not append's spare capacity.
					r.Scores, r.Responses = make([]float64, 0, len(paper.Items)), make([]string, 0, len(paper.Items))
					for k, it := range paper.Items {
						p := 1 / (1 + mathExp(-(ability - float64(k%5-2)*0.5)))
						if it.Objective {
							if rng.Float64() < p {
								r.Scores, r.Responses = append(r.Scores, 2), append(r.Responses, "A")
							} else {
								r.Scores, r.Responses = append(r.Scores, 0), append(r.Responses, string(rune('B'+rng.IntN(3))))
							}
							continue
						}
						v := 0.0
						for j := 0; j < 10; j++ {
							if rng.Float64() < p {
								v++
							}
						}
						r.Scores, r.Responses = append(r.Scores, v), append(r.Responses, "")
					}
				}
				no := fmt.Sprintf("31%04d%02d%02d", s+1, c+1, i+1)
				res.Candidates = append(res.Candidates, stats.CandidateResults{
					ExamNo: no, Name: "考生" + no[6:], SchoolCode: fmt.Sprintf("%04d", s+1), SchoolName: fmt.Sprintf("第%d小学", s+1),
					Class: fmt.Sprintf("%d班", c+1), Subjects: []stats.SubjectResult{r},
				})
			}
		}
	}
	return res
}

func workbookZip(t *testing.T, r *report.Report) (*zip.Reader, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := report.WriteXLSX(&buf, r); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return zr, buf.Bytes()
}

func zipText(t *testing.T, zr *zip.Reader, name string) string {
	t.Helper()
	f, err := zr.Open(name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	return string(b)
}

// sheetFiles maps sheet names to their part names, through the workbook
// and its relationships.
func sheetFiles(t *testing.T, zr *zip.Reader) map[string]string {
	t.Helper()
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := xml.Unmarshal([]byte(zipText(t, zr, "xl/workbook.xml")), &wb); err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal([]byte(zipText(t, zr, "xl/_rels/workbook.xml.rels")), &rels); err != nil {
		t.Fatal(err)
	}
	target := map[string]string{}
	for _, r := range rels.Rels {
		target[r.ID] = "xl/" + strings.TrimPrefix(r.Target, "/xl/")
	}
	out := map[string]string{}
	for _, s := range wb.Sheets {
		out[s.Name] = target[s.RID]
	}
	return out
}

type sheetXML struct {
	PageSetup struct {
		Paper       string `xml:"paperSize,attr"`
		Orientation string `xml:"orientation,attr"`
		FitToWidth  string `xml:"fitToWidth,attr"`
		FitToHeight string `xml:"fitToHeight,attr"`
	} `xml:"pageSetup"`
	FitToPage struct {
		Fit string `xml:"fitToPage,attr"`
	} `xml:"sheetPr>pageSetUpPr"`
	Rows []struct {
		R       int     `xml:"r,attr"`
		Ht      float64 `xml:"ht,attr"`
		Custom  string  `xml:"customHeight,attr"`
		Content string  `xml:",innerxml"`
	} `xml:"sheetData>row"`
	Breaks []struct {
		ID int `xml:"id,attr"`
	} `xml:"rowBreaks>brk"`
	Drawing struct {
		RID string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
	} `xml:"drawing"`
}

// Every sheet prints on A4, one page wide, with the header row repeated;
// the cover prints on one portrait page with a height on every row and no
// repository path; no chart is cut by a page break.
func TestPrintSetup(t *testing.T) {
	t.Parallel()
	res := genExam(3, 2, 20, 16, 4, 1)
	r, err := report.Build(res, store.DefaultReportSettings, report.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	zr, _ := workbookZip(t, r)
	files := sheetFiles(t, zr)
	var wb struct {
		Names []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:",chardata"`
		} `xml:"definedNames>definedName"`
	}
	if err := xml.Unmarshal([]byte(zipText(t, zr, "xl/workbook.xml")), &wb); err != nil {
		t.Fatal(err)
	}
	titles := map[string]bool{}
	for _, n := range wb.Names {
		if n.Name == "_xlnm.Print_Titles" {
			titles[n.Value] = true
		}
	}
	truthy := func(v string) bool { return v == "1" || v == "true" }
	for name, part := range files {
		var sx sheetXML
		if err := xml.Unmarshal([]byte(zipText(t, zr, part)), &sx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if sx.PageSetup.Paper != "9" || sx.PageSetup.FitToWidth != "1" || !truthy(sx.FitToPage.Fit) {
			t.Errorf("%s: page setup %+v fit %+v, want A4 (9), one page wide", name, sx.PageSetup, sx.FitToPage)
		}
		if !titles["'"+name+"'!$1:$1"] {
			t.Errorf("%s: no print titles", name)
		}
		if name == "说明" {
			checkCover(t, sx, zipText(t, zr, part), zipText(t, zr, "xl/sharedStrings.xml"))
			continue
		}
		if sx.Drawing.RID != "" {
			checkChartPage(t, zr, name, part, sx)
		}
	}
}

func checkCover(t *testing.T, sx sheetXML, raw, shared string) {
	t.Helper()
	if sx.PageSetup.Orientation != "portrait" || sx.PageSetup.FitToHeight != "1" {
		t.Errorf("说明 page setup %+v, want portrait on one page", sx.PageSetup)
	}
	if !strings.Contains(raw, `<mergeCell ref="A1:B1"`) {
		t.Error("说明: the title is not merged across the printed width")
	}
	for _, row := range sx.Rows {
		if row.R >= 3 && strings.Contains(row.Content, "<v>") && (row.Ht < 15 || row.Custom != "1" && row.Custom != "true") {
			t.Errorf("说明 row %d has no explicit height (%v)", row.R, row.Ht)
		}
	}
	for _, bad := range []string{"docs/", ".md", "STATISTICS"} {
		if strings.Contains(shared, bad) || strings.Contains(raw, bad) {
			t.Errorf("说明 points at a repository path (%q)", bad)
		}
	}
}

// checkChartPage finds the chart's anchor rows and the sheet's row breaks:
// a break inside the chart cuts it; with no break before it, the table
// above must be short enough to share the page.
func checkChartPage(t *testing.T, zr *zip.Reader, name, part string, sx sheetXML) {
	t.Helper()
	relsPart := strings.Replace(part, "worksheets/", "worksheets/_rels/", 1) + ".rels"
	rels := zipText(t, zr, relsPart)
	i := strings.Index(rels, `Target="../drawings/`)
	if i < 0 {
		t.Fatalf("%s: drawing not found in %s", name, rels)
	}
	target := rels[i+len(`Target="../`):]
	target = "xl/" + target[:strings.Index(target, `"`)]
	var dr struct {
		Anchors []struct {
			From int `xml:"from>row"`
			To   int `xml:"to>row"`
		} `xml:"twoCellAnchor"`
	}
	if err := xml.Unmarshal([]byte(zipText(t, zr, target)), &dr); err != nil || len(dr.Anchors) != 1 {
		t.Fatalf("%s: drawing %v %+v", name, err, dr)
	}
	a := dr.Anchors[0]
	broken := false
	for _, b := range sx.Breaks {
		// Break id b: row b (1-based) ends a page, row b+1 starts the next,
		// which is 0-based row b.
		if b.ID > a.From && b.ID <= a.To {
			t.Errorf("%s: page break after row %d cuts the chart (rows %d–%d)", name, b.ID, a.From+1, a.To+1)
		}
		if b.ID == a.From {
			broken = true
		}
	}
	dataRows := a.From - 1 // header in row 1, chart right below the data
	if !broken && dataRows > 10 {
		t.Errorf("%s: %d table rows and the chart on one A4 page", name, dataRows)
	}
	if name == "小题分析-数学" && !broken {
		t.Errorf("%s: 20 items and the chart share a page", name)
	}
}

func mathExp(x float64) float64 { return math.Exp(x) }

// withSubsAndKnowledge gives a generated exam's groups two sub-questions
// (the first part max 4, the score split as evenly as the maxima allow),
// and every item a knowledge point and an ability, so that every table of
// the report has data.
func withSubsAndKnowledge(res *stats.ExamResults) {
	p := &res.Subjects[0]
	for j := range p.Items {
		p.Items[j].Knowledge = []string{"知识点" + strconv.Itoa(j%8)}
		p.Items[j].Abilities = []string{"能力" + strconv.Itoa(j%3)}
		if !p.Items[j].Objective {
			p.Subs = append(p.Subs, stats.SubItem{Item: j, Label: p.Items[j].Code + "(1)", Max: 4},
				stats.SubItem{Item: j, Label: p.Items[j].Code + "(2)", Max: p.Items[j].Max - 4})
		}
	}
	for i := range res.Candidates {
		r := &res.Candidates[i].Subjects[0]
		if r.Status != stats.Present {
			continue
		}
		r.SubScores = make([]float64, 0, len(p.Subs))
		for _, sub := range p.Subs {
			v := r.Scores[sub.Item]
			if strings.HasSuffix(sub.Label, "(1)") {
				r.SubScores = append(r.SubScores, math.Min(4, math.Floor(v/2)))
			} else {
				r.SubScores = append(r.SubScores, v-math.Min(4, math.Floor(v/2)))
			}
		}
	}
}
