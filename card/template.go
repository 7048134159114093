// Package card defines answer-card templates: the YAML file that drives both
// the printed card (RenderPDF) and the OMR reader (Layout). Keeping a single
// source of geometry is what guarantees that what is printed is what is read.
//
// All template coordinates are millimetres from the top-left corner of the
// paper, x to the right and y downwards.
package card

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Template is one answer card: every side (page) the candidate writes on.
type Template struct {
	ID          string     `yaml:"id" json:"id"`
	Title       string     `yaml:"title" json:"title"`
	Subject     string     `yaml:"subject" json:"subject"`
	Paper       string     `yaml:"paper" json:"paper"`             // A4, A3, B4, B5, 8K, 16K
	Orientation string     `yaml:"orientation" json:"orientation"` // portrait (default) or landscape
	Color       string     `yaml:"color" json:"color"`             // black (default) or red (dropout)
	BubbleStyle string     `yaml:"bubble_style" json:"bubble_style"`
	Bubble      BubbleSize `yaml:"bubble" json:"bubble"`
	PrintedForm string     `yaml:"printed_form" json:"printed_form"` // "", "A" or "B": booklet form printed into the page QR
	Notes       []string   `yaml:"instructions" json:"instructions"` // 注意事项 lines; a standard text when empty
	Pages       []Page     `yaml:"pages" json:"pages"`
}

// BubbleSize is the outline of every bubble on the card, in mm.
type BubbleSize struct {
	W float64 `yaml:"w" json:"w"`
	H float64 `yaml:"h" json:"h"`
}

// Page is one side of the card, i.e. one scanned image.
type Page struct {
	Fiducials   []Square         `yaml:"fiducials" json:"fiducials"`
	QR          *Square          `yaml:"qr" json:"qr"`
	Header      *Box             `yaml:"header" json:"header,omitempty"`
	StudentInfo *InfoBox         `yaml:"student_info" json:"student_info,omitempty"`
	Notice      *Box             `yaml:"notice" json:"notice,omitempty"`
	Barcode     *Box             `yaml:"barcode" json:"barcode,omitempty"`
	ExamNumber  *ExamNumberGrid  `yaml:"exam_number" json:"exam_number,omitempty"`
	Absent      *Mark            `yaml:"absent" json:"absent,omitempty"`
	Violation   *Mark            `yaml:"violation" json:"violation,omitempty"`
	Form        *FormMark        `yaml:"form" json:"form,omitempty"`
	Objective   []ObjectiveBlock `yaml:"objective" json:"objective,omitempty"`
	Subjective  []SubjectiveBox  `yaml:"subjective" json:"subjective,omitempty"`
	Labels      []Label          `yaml:"labels" json:"labels,omitempty"`
	Frames      []Box            `yaml:"frames" json:"frames,omitempty"`
}

// Square is a square anchored at its top-left corner (fiducials, QR code).
type Square struct {
	X    float64 `yaml:"x" json:"x"`
	Y    float64 `yaml:"y" json:"y"`
	Size float64 `yaml:"size" json:"size"`
}

// Box is a rectangle anchored at its top-left corner.
type Box struct {
	X float64 `yaml:"x" json:"x"`
	Y float64 `yaml:"y" json:"y"`
	W float64 `yaml:"w" json:"w"`
	H float64 `yaml:"h" json:"h"`
}

// InfoBox holds the write-in lines for the candidate's school, class, name.
type InfoBox struct {
	Box    `yaml:",inline"`
	Fields []string `yaml:"fields" json:"fields"` // default 学校, 班级, 姓名
}

// ExamNumberGrid is the 考号 area: one write-in box and one column of
// bubbles 0-9 per digit. (X, Y) is the top-left corner of its frame.
type ExamNumberGrid struct {
	X        float64 `yaml:"x" json:"x"`
	Y        float64 `yaml:"y" json:"y"`
	Digits   int     `yaml:"digits" json:"digits"`
	ColPitch float64 `yaml:"col_pitch" json:"col_pitch"` // default bubble width + 1.5 mm
	RowPitch float64 `yaml:"row_pitch" json:"row_pitch"` // default bubble height + 1.4 mm
}

// Mark is a single invigilator bubble (absent, violation). (X, Y) is the
// top-left corner of the bubble; the label is printed to its left.
type Mark struct {
	X     float64 `yaml:"x" json:"x"`
	Y     float64 `yaml:"y" json:"y"`
	Label string  `yaml:"label" json:"label"`
}

// FormMark is the row of booklet-form bubbles (题本 A/B). (X, Y) is the
// top-left corner of the first bubble; the label is printed to its left.
type FormMark struct {
	X     float64   `yaml:"x" json:"x"`
	Y     float64   `yaml:"y" json:"y"`
	Label string    `yaml:"label" json:"label"`
	Forms OptionSet `yaml:"forms" json:"forms"` // default AB
	Pitch float64   `yaml:"pitch" json:"pitch"` // default bubble width + 3 mm
}

// ObjectiveBlock is a run of consecutively numbered items laid out in
// columns: item k of the block goes to column k/Rows, row k%Rows. (X, Y) is
// the top-left corner of the first item's number cell.
type ObjectiveBlock struct {
	X           float64   `yaml:"x" json:"x"`
	Y           float64   `yaml:"y" json:"y"`
	Start       int       `yaml:"start" json:"start"`
	Count       int       `yaml:"count" json:"count"`
	Options     OptionSet `yaml:"options" json:"options"`
	Multiple    bool      `yaml:"multiple" json:"multiple"`
	Rows        int       `yaml:"rows" json:"rows"`                 // items per column, default 5
	ColPitch    float64   `yaml:"col_pitch" json:"col_pitch"`       // distance between item columns
	RowPitch    float64   `yaml:"row_pitch" json:"row_pitch"`       // distance between item rows
	OptionPitch float64   `yaml:"option_pitch" json:"option_pitch"` // distance between option bubbles
	NumberWidth float64   `yaml:"number_width" json:"number_width"` // cell for the item number, left of the bubbles
}

// SubjectiveBox is the answer box of one sub-question of a question group.
type SubjectiveBox struct {
	Box      `yaml:",inline"`
	Group    string  `yaml:"group" json:"group"` // question group id: the unit of marking assignment
	Sub      string  `yaml:"sub" json:"sub"`     // sub-question label, e.g. "(1)"; may be empty
	Title    string  `yaml:"title" json:"title"` // printed heading; default "<group><sub>."
	MaxScore float64 `yaml:"max_score" json:"max_score"`
	Step     float64 `yaml:"step" json:"step"`   // smallest score increment, default 1
	Lines    int     `yaml:"lines" json:"lines"` // ruled writing lines, 0 = none
}

// Label is free printed text, e.g. a section heading. (X, Y) is the
// top-left corner of the text; Size is in points.
type Label struct {
	X    float64 `yaml:"x" json:"x"`
	Y    float64 `yaml:"y" json:"y"`
	Text string  `yaml:"text" json:"text"`
	Size float64 `yaml:"size" json:"size"` // default 10 pt
}

// OptionSet is the list of bubble labels of an item. In YAML it is either a
// sequence (["T", "F"]), a letter range ("A-D"), or a string whose every
// character is one option ("TF", "✓✗", "ABCDE").
type OptionSet []string

// UnmarshalYAML accepts the three spellings documented on OptionSet.
func (o *OptionSet) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.SequenceNode:
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		*o = list
		return nil
	case yaml.ScalarNode:
		*o = expandOptions(n.Value)
		return nil
	}
	return fmt.Errorf("第 %d 行：options 应写成 A-D 这样的字符串或列表", n.Line)
}

func expandOptions(s string) OptionSet {
	s = strings.TrimSpace(s)
	r := []rune(s)
	if len(r) == 3 && r[1] == '-' && r[0] < r[2] && isRangeRune(r[0]) && isRangeRune(r[2]) {
		var out OptionSet
		for c := r[0]; c <= r[2]; c++ {
			out = append(out, string(c))
		}
		return out
	}
	var out OptionSet
	for _, c := range s {
		if c == ' ' || c == ',' {
			continue
		}
		out = append(out, string(c))
	}
	return out
}

func isRangeRune(c rune) bool { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') }

// Paper sizes in mm, portrait. 8K and 16K are the large Chinese 8开/16开.
var paperSizes = map[string][2]float64{
	"A4":  {210, 297},
	"A3":  {297, 420},
	"B5":  {176, 250},
	"B4":  {250, 353},
	"8K":  {270, 390},
	"16K": {195, 270},
}

// PaperSize returns the page width and height in mm after orientation.
func (t *Template) PaperSize() (w, h float64, err error) {
	s, ok := paperSizes[strings.ToUpper(t.Paper)]
	if !ok {
		return 0, 0, fmt.Errorf("纸张 %q 未知（可用 A4、A3、B5、B4、8K、16K）", t.Paper)
	}
	w, h = s[0], s[1]
	if t.Orientation == "landscape" {
		w, h = h, w
	}
	return w, h, nil
}

// Load reads, parses and validates a template file.
func Load(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("读取答题卡模板失败：%w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("答题卡模板 %s：%w", path, err)
	}
	return t, nil
}

// Parse decodes a YAML template, fills in defaults and validates it.
// Unknown fields are refused so that a typo cannot silently drop a block.
func Parse(data []byte) (*Template, error) {
	var t Template
	if err := decodeStrict(data, &t); err != nil {
		return nil, err
	}
	t.SetDefaults()
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

func decodeStrict(data []byte, t *Template) (err error) {
	// yaml.v3 has panicked on hostile input in the past; a bad upload
	// must be an error, not a crashed server.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("模板不是有效的 YAML：%v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(t); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("模板是空的")
		}
		return fmt.Errorf("模板不是有效的 YAML：%w", err)
	}
	return nil
}

// Default geometry, in mm. The bubble is sized for a 2B pencil stroke.
const (
	defaultBubbleW = 5.0
	defaultBubbleH = 3.0
	defaultRows    = 5
)

// SetDefaults fills in every optional field left at its zero value. Parse
// calls it; call it yourself before Validate or Layout on a template built
// in Go.
func (t *Template) SetDefaults() {
	t.Paper = strings.ToUpper(strings.TrimSpace(t.Paper))
	setDefault(&t.Orientation, "portrait")
	setDefault(&t.Color, "black")
	setDefault(&t.BubbleStyle, "bracket")
	setDefault(&t.Bubble.W, defaultBubbleW)
	setDefault(&t.Bubble.H, defaultBubbleH)
	if len(t.Notes) == 0 {
		t.Notes = append([]string(nil), defaultNotes...)
	}
	for i := range t.Pages {
		t.Pages[i].setDefaults(t.Bubble)
	}
}

// setDefault sets *v to def when it is still the zero value.
func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// setDefaults fills in a page's defaults; the pitches follow the size of
// the card's bubbles.
func (p *Page) setDefaults(bubble BubbleSize) {
	bw, bh := bubble.W, bubble.H
	if p.StudentInfo != nil && len(p.StudentInfo.Fields) == 0 {
		p.StudentInfo.Fields = []string{"学校", "班级", "姓名"}
	}
	if g := p.ExamNumber; g != nil {
		setDefault(&g.ColPitch, bw+1.5)
		setDefault(&g.RowPitch, bh+1.4)
	}
	if p.Absent != nil {
		setDefault(&p.Absent.Label, "缺考标记")
	}
	if p.Violation != nil {
		setDefault(&p.Violation.Label, "违纪标记")
	}
	if f := p.Form; f != nil {
		setDefault(&f.Label, "试卷类型")
		if len(f.Forms) == 0 {
			f.Forms = OptionSet{"A", "B"}
		}
		setDefault(&f.Pitch, bw+3)
	}
	for j := range p.Objective {
		p.Objective[j].setDefaults(bubble)
	}
	for j := range p.Subjective {
		setDefault(&p.Subjective[j].Step, 1)
	}
	for j := range p.Labels {
		setDefault(&p.Labels[j].Size, 10)
	}
}

// setDefaults fills in a block's layout; the column pitch depends on the
// number cell and option pitch, so it comes last.
func (b *ObjectiveBlock) setDefaults(bubble BubbleSize) {
	setDefault(&b.Rows, defaultRows)
	setDefault(&b.OptionPitch, bubble.W+1.5)
	setDefault(&b.NumberWidth, 7)
	setDefault(&b.RowPitch, bubble.H+2.5)
	setDefault(&b.ColPitch, b.NumberWidth+float64(len(b.Options)-1)*b.OptionPitch+bubble.W+6)
}

var defaultNotes = []string{
	"1．答题前，考生先将自己的学校、班级、姓名填写清楚，并认真核对条形码上的信息。",
	"2．选择题必须使用2B铅笔填涂；修改时用橡皮擦干净，不留痕迹。",
	"3．非选择题用0.5毫米黑色签字笔在各题对应的答题区域内作答，超出答题区域书写的答案无效。",
	"4．保持卡面清洁，不要折叠、不要弄破，严禁在条形码区和定位点处作任何标记。",
}

// PageCode is the text of the page identity QR code. form is "A", "B" or
// "" for a card printed for either booklet (encoded as "-").
func PageCode(templateID string, page int, form string) string {
	if form == "" {
		form = "-"
	}
	return fmt.Sprintf("SY1|%s|%d|%s", templateID, page, form)
}

// PageID is what the page QR code says about a scanned page.
type PageID struct {
	TemplateID string `json:"template_id"`
	Page       int    `json:"page"` // 1-based
	Form       string `json:"form"` // "A", "B" or "" when the card is form-neutral
}

// ParsePageCode decodes the text of a page QR code written by PageCode.
func ParsePageCode(s string) (PageID, error) {
	parts := strings.Split(s, "|")
	if len(parts) != 4 || parts[0] != "SY1" {
		return PageID{}, fmt.Errorf("page code %q is not a saoyue card code (want SY1|id|page|form)", s)
	}
	var id PageID
	id.TemplateID = parts[1]
	if _, err := fmt.Sscanf(parts[2], "%d", &id.Page); err != nil || id.Page < 1 || fmt.Sprint(id.Page) != parts[2] {
		return PageID{}, fmt.Errorf("page code %q: bad page number %q", s, parts[2])
	}
	switch parts[3] {
	case "-":
	case "A", "B":
		id.Form = parts[3]
	default:
		return PageID{}, fmt.Errorf("page code %q: bad form %q (want A, B or -)", s, parts[3])
	}
	if !validID(id.TemplateID) {
		return PageID{}, fmt.Errorf("page code %q: bad template id", s)
	}
	return id, nil
}

func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		ok := c == '-' || c == '_' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }
