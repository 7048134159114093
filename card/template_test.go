package card

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixtures = "../fixtures/templates"

func TestSampleTemplatesValidate(t *testing.T) {
	tests := []struct {
		file       string
		pages      int
		items      int
		multiple   int
		groups     int // distinct question groups
		boxes      int // subjective boxes
		gridDigits int
		color      string
		style      string
	}{
		{"math-a4.yaml", 2, 25, 5, 6, 8, 10, "red", "bracket"},
		{"english-a3.yaml", 1, 30, 0, 5, 6, 10, "black", "ellipse"},
		{"questionnaire.yaml", 1, 60, 0, 0, 0, 0, "black", "bracket"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			tpl, err := Load(filepath.Join(fixtures, tc.file))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(tpl.Pages) != tc.pages || tpl.Color != tc.color || tpl.BubbleStyle != tc.style {
				t.Errorf("got %d pages, %s %s; want %d, %s %s", len(tpl.Pages), tpl.Color, tpl.BubbleStyle, tc.pages, tc.color, tc.style)
			}
			doc, err := Layout(tpl, 200)
			if err != nil {
				t.Fatalf("Layout: %v", err)
			}
			if len(doc.Items) != tc.items {
				t.Errorf("got %d items, want %d", len(doc.Items), tc.items)
			}
			multiple, groups, boxes, grid := 0, map[string]bool{}, 0, 0
			for i, it := range doc.Items {
				if it.Number != i+1 {
					t.Errorf("item %d is numbered %d; the samples number items 1..n in order", i, it.Number)
				}
				if it.Multiple {
					multiple++
				}
			}
			for _, p := range doc.Pages {
				for _, r := range p.Subjective() {
					groups[r.Group] = true
					boxes++
				}
				for _, b := range p.Bubbles {
					if b.Kind == BubbleGrid && b.Index == 0 {
						grid++
					}
				}
				if len(p.Fiducials()) != 4 {
					t.Errorf("page %d: %d fiducials", p.Page, len(p.Fiducials()))
				}
			}
			if multiple != tc.multiple || len(groups) != tc.groups || boxes != tc.boxes || grid != tc.gridDigits {
				t.Errorf("got %d multiple-choice, %d groups, %d boxes, %d digits; want %d, %d, %d, %d",
					multiple, len(groups), boxes, grid, tc.multiple, tc.groups, tc.boxes, tc.gridDigits)
			}
			// The layout is a JSON contract; it must encode.
			if _, err := json.Marshal(doc); err != nil {
				t.Errorf("layout does not encode as JSON: %v", err)
			}
		})
	}
}

// A small valid card; each broken variant below changes one line of it.
const baseTemplate = `id: t1
title: 测试卡
subject: 数学
paper: A4
bubble_style: bracket
pages:
  - fiducials: [{x: 8, y: 8, size: 5}, {x: 197, y: 8, size: 5}, {x: 197, y: 284, size: 5}, {x: 8, y: 284, size: 5}]
    qr: {x: 178, y: 16, size: 16}
    barcode: {x: 20, y: 40, w: 60, h: 30}
    exam_number: {x: 90, y: 40, digits: 8}
    objective:
      - {x: 20, y: 110, start: 1, count: 10, options: A-D}
      - {x: 20, y: 150, start: 11, count: 5, options: A-E, multiple: true}
    subjective:
      - {group: "21", x: 20, y: 190, w: 170, h: 40, max_score: 6}
      - {group: "22", x: 20, y: 235, w: 170, h: 40, max_score: 6, step: 0.5}
`

func TestBaseTemplateIsValid(t *testing.T) {
	if _, err := Parse([]byte(baseTemplate)); err != nil {
		t.Fatalf("base template must be valid: %v", err)
	}
}

func TestInvalidTemplatesAreRefused(t *testing.T) {
	tests := []struct {
		name, old, new string
		want           string // substring of the error: the field path and the reason
	}{
		{"too many options", "options: A-D", "options: ABCDEFGH", "pages[0].objective[0].options: 超过 7 个选项"},
		{"unknown paper", "paper: A4", "paper: A5", `paper: 纸张 "A5" 未知`},
		{"missing fiducials", "  - fiducials: [{x: 8, y: 8, size: 5}, {x: 197, y: 8, size: 5}, {x: 197, y: 284, size: 5}, {x: 8, y: 284, size: 5}]\n    qr:",
			"  - qr:", "pages[0].fiducials: 缺少"},
		{"three fiducials", ", {x: 8, y: 284, size: 5}]", "]", "pages[0].fiducials: 需要正好 4 个"},
		{"two fiducials in one corner", "{x: 8, y: 284, size: 5}]", "{x: 20, y: 20, size: 5}]", "左上角上有第二个定位方块"},
		{"overlapping bubbles", "options: A-D}", "options: A-D, option_pitch: 3}", "pages[0].objective[0]: 填涂点 1B 与 pages[0].objective[0] 的填涂点 1A 重叠"},
		{"off the paper", "barcode: {x: 20,", "barcode: {x: 170,", "pages[0].barcode: 超出纸张"},
		{"over the QR code", "barcode: {x: 20, y: 40,", "barcode: {x: 120, y: 20,", "pages[0].barcode: 与 pages[0].qr"},
		{"label over a fiducial", "    barcode:", "    labels: [{x: 10, y: 12, text: 说明}]\n    barcode:", "pages[0].labels[0]: 与 pages[0].fiducials[0]"},
		{"duplicate item numbers", "start: 11,", "start: 8,", "pages[0].objective[1]: 题号 8 已在 pages[0].objective[0] 中使用"},
		{"duplicate question id", `group: "22"`, `group: "21"`, "pages[0].subjective[1]: 题 21 已在"},
		{"max score not multiple of step", "max_score: 6, step: 0.5", "max_score: 6.3, step: 0.5", "pages[0].subjective[1].max_score: 6.3 不是步长 0.5 的整数倍"},
		{"step rounded away", "max_score: 6, step: 0.5", "max_score: 6, step: 0.0000001", "pages[0].subjective[1].step: 分值最多保留一位小数"},
		{"negative max score", "max_score: 6}", "max_score: -2}", "pages[0].subjective[0].max_score: 必须大于 0"},
		{"blocks overlap", "{x: 20, y: 150,", "{x: 30, y: 115,", "pages[0].objective[1]: 与 pages[0].objective[0]"},
		{"no digits", "digits: 8", "digits: 0", "pages[0].exam_number.digits: 应为 1-20"},
		{"unknown bubble style", "bubble_style: bracket", "bubble_style: square", `bubble_style: "square" 不是 bracket（方括号）或 ellipse（椭圆）`},
		{"unknown colour", "paper: A4", "paper: A4\ncolor: blue", `color: "blue" 不是 black（黑）或 red（红）`},
		{"missing id", "id: t1", "id: ''", "id: 缺少"},
		{"bad id", "id: t1", "id: 'a|b'", "id: \"a|b\" 应为"},
		{"missing QR", "    qr: {x: 178, y: 16, size: 16}\n", "", "pages[0].qr: 缺少"},
		{"typo in a field name", "paper: A4", "paper: A4\ncolour: red", "field colour not found"},
		{"no pages", "pages:\n", "pages: []\nxpages:\n", "field xpages not found"},
		{"duplicate option", "options: A-E,", "options: [A, B, A],", "pages[0].objective[1].options[2]: 选项 \"A\" 重复"},
		{"zero count", "count: 10,", "count: 0,", "pages[0].objective[0].count: 应为 1-300"},
		{"NaN coordinate", "barcode: {x: 20,", "barcode: {x: .nan,", "pages[0].barcode.x: 不是有效的数字"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(baseTemplate, tc.old) {
				t.Fatalf("test is broken: %q not in the base template", tc.old)
			}
			src := strings.Replace(baseTemplate, tc.old, tc.new, 1)
			_, err := Parse([]byte(src))
			if err == nil {
				t.Fatalf("template accepted; want error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error does not name the problem\n got: %v\nwant: ...%s...", err, tc.want)
			}
		})
	}
}

func TestValidationErrorListsEveryProblem(t *testing.T) {
	src := strings.Replace(baseTemplate, "paper: A4", "paper: A4\ncolor: blue\norientation: sideways", 1)
	_, err := Parse([]byte(src))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want *ValidationError, got %T %v", err, err)
	}
	if len(ve.Problems) != 2 {
		t.Errorf("want 2 problems, got %q", ve.Problems)
	}
}

func TestOptionSpellings(t *testing.T) {
	tests := []struct {
		yaml string
		want []string
	}{
		{"A-D", []string{"A", "B", "C", "D"}},
		{"A-G", []string{"A", "B", "C", "D", "E", "F", "G"}},
		{"TF", []string{"T", "F"}},
		{"✓✗", []string{"✓", "✗"}},
		{"[T, F]", []string{"T", "F"}},
		{"'A, B, C'", []string{"A", "B", "C"}},
	}
	for _, tc := range tests {
		src := strings.Replace(baseTemplate, "options: A-D}", "options: "+tc.yaml+"}", 1)
		tpl, err := Parse([]byte(src))
		if err != nil {
			t.Errorf("%s: %v", tc.yaml, err)
			continue
		}
		if got := tpl.Pages[0].Objective[0].Options; strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: got %q, want %q", tc.yaml, got, tc.want)
		}
	}
}

func TestPageCodeRoundTrip(t *testing.T) {
	for _, form := range []string{"", "A", "B"} {
		s := PageCode("math-g5-2024a", 2, form)
		id, err := ParsePageCode(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if id.TemplateID != "math-g5-2024a" || id.Page != 2 || id.Form != form {
			t.Errorf("%s: got %+v", s, id)
		}
	}
	for _, bad := range []string{"", "SY1|x|1", "SY2|x|1|A", "SY1|x|0|A", "SY1|x|01|A", "SY1|x|1|C", "SY1||1|A", "SY1|x y|1|A"} {
		if _, err := ParsePageCode(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestLayoutMillimetres(t *testing.T) {
	// At 25.4 dpi one pixel is one millimetre: the numbers must be the
	// template's own, plus half a stroke for outlines.
	tpl, err := Parse([]byte(baseTemplate))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Layout(tpl, 25.4)
	if err != nil {
		t.Fatal(err)
	}
	p := doc.Pages[0]
	// pdftoppm rounds the page up from 595.28 x 841.89 pt.
	if p.WidthPx != 211 || p.HeightPx != 298 || p.WidthMM != 210 || p.HeightMM != 297 {
		t.Errorf("page %dx%d px, %vx%v mm; want 211x298 px, 210x297 mm", p.WidthPx, p.HeightPx, p.WidthMM, p.HeightMM)
	}
	f := p.Fiducials()
	if len(f) != 4 || f[0].Rect != (Rect{8, 8, 5, 5}) || f[2].Rect != (Rect{197, 284, 5, 5}) {
		t.Errorf("fiducials %+v", f)
	}
	var first Bubble
	for _, b := range p.Bubbles {
		if b.Kind == BubbleOption && b.Item == 1 && b.Option == "A" {
			first = b
		}
	}
	// Item 1 A: number cell 7 mm, then a 5x3 mm bubble.
	if !near(first.CX, 20+7+2.5) || !near(first.CY, 110+1.5) || !near(first.RX, 2.5) || !near(first.RY, 1.5) ||
		!near(first.Rect.X, 27-bubbleLineW/2) || !near(first.Rect.W, 5+bubbleLineW) {
		t.Errorf("bubble 1A = %+v", first)
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestRenderFailsClearlyWithoutFont(t *testing.T) {
	tpl, err := Parse([]byte(baseTemplate))
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing.ttf")
	err = RenderPDFWithOptions(tpl, &strings.Builder{}, RenderOptions{Fonts: Fonts{CJK: missing}})
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "CJK font") {
		t.Errorf("want an error naming the CJK font %s, got %v", missing, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(baseTemplate))
	for _, name := range []string{"math-a4.yaml", "english-a3.yaml", "questionnaire.yaml"} {
		if data, err := os.ReadFile(filepath.Join(fixtures, name)); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("pages: [{objective: [{count: 100000000, options: A-G}]}]"))
	f.Add([]byte("id: x\npages: &a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tpl, err := Parse(data)
		if err != nil {
			return
		}
		// Whatever parses must also lay out.
		if _, err := Layout(tpl, 200); err != nil {
			t.Fatalf("valid template does not lay out: %v", err)
		}
	})
}

func TestPagePixelsLikePdftoppm(t *testing.T) {
	// Sizes measured with pdftoppm -r D on fpdf output.
	tests := []struct {
		w, h, dpi float64
		pw, ph    int
	}{
		{210, 297, 25.4, 211, 298},
		{210, 297, 72, 596, 842},
		{210, 297, 100, 827, 1170},
		{210, 297, 150, 1241, 1754},
		{210, 297, 200, 1654, 2339},
		{210, 297, 300, 2481, 3508},
		{210, 297, 600, 4961, 7016},
		{420, 297, 200, 3308, 2339},
	}
	for _, tc := range tests {
		if pw, ph := PagePixels(tc.w, tc.h, tc.dpi); pw != tc.pw || ph != tc.ph {
			t.Errorf("%vx%v mm at %v dpi: got %dx%d, want %dx%d", tc.w, tc.h, tc.dpi, pw, ph, tc.pw, tc.ph)
		}
	}
}

// A template that leaves every optional field out gets the defaults the
// field comments document; pitches follow the bubble size.
func TestSetDefaults(t *testing.T) {
	tpl := &Template{Paper: " a4 ", Bubble: BubbleSize{W: 4}, Pages: []Page{{
		StudentInfo: &InfoBox{}, ExamNumber: &ExamNumberGrid{Digits: 3}, Absent: &Mark{}, Violation: &Mark{Label: "违纪"},
		Form: &FormMark{}, Objective: []ObjectiveBlock{{Count: 3, Options: OptionSet{"A", "B", "C", "D"}}, {Count: 2, Options: OptionSet{"T", "F"}, Rows: 2}},
		Subjective: []SubjectiveBox{{}}, Labels: []Label{{Text: "一、选择题"}},
	}}}
	tpl.SetDefaults()
	if tpl.Paper != "A4" || tpl.Orientation != "portrait" || tpl.Color != "black" || tpl.BubbleStyle != "bracket" {
		t.Errorf("card defaults: %q %q %q %q", tpl.Paper, tpl.Orientation, tpl.Color, tpl.BubbleStyle)
	}
	if tpl.Bubble != (BubbleSize{W: 4, H: defaultBubbleH}) || len(tpl.Notes) != len(defaultNotes) {
		t.Errorf("bubble %+v, %d notes", tpl.Bubble, len(tpl.Notes))
	}
	p := tpl.Pages[0]
	if strings.Join(p.StudentInfo.Fields, ",") != "学校,班级,姓名" {
		t.Errorf("student info fields %v", p.StudentInfo.Fields)
	}
	if p.ExamNumber.ColPitch != 5.5 || p.ExamNumber.RowPitch != 4.4 {
		t.Errorf("exam number pitches %v %v", p.ExamNumber.ColPitch, p.ExamNumber.RowPitch)
	}
	if p.Absent.Label != "缺考标记" || p.Violation.Label != "违纪" {
		t.Errorf("mark labels %q %q", p.Absent.Label, p.Violation.Label)
	}
	if p.Form.Label != "试卷类型" || strings.Join(p.Form.Forms, "") != "AB" || p.Form.Pitch != 7 {
		t.Errorf("form %+v", *p.Form)
	}
	want := []ObjectiveBlock{
		{Count: 3, Options: OptionSet{"A", "B", "C", "D"}, Rows: 5, OptionPitch: 5.5, NumberWidth: 7, RowPitch: 5.5, ColPitch: 7 + 3*5.5 + 4 + 6},
		{Count: 2, Options: OptionSet{"T", "F"}, Rows: 2, OptionPitch: 5.5, NumberWidth: 7, RowPitch: 5.5, ColPitch: 7 + 5.5 + 4 + 6},
	}
	for i, b := range p.Objective {
		got, _ := json.Marshal(b)
		exp, _ := json.Marshal(want[i])
		if string(got) != string(exp) {
			t.Errorf("objective[%d]: got %s, want %s", i, got, exp)
		}
	}
	if p.Subjective[0].Step != 1 || p.Labels[0].Size != 10 {
		t.Errorf("subjective step %v, label size %v", p.Subjective[0].Step, p.Labels[0].Size)
	}
}
