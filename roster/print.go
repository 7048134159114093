package roster

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/store"
)

// The PDFs of an exam are two per school (see docs/EXAM_NUMBERS.md):
//
//	EE_SSSS_labels.pdf  barcode labels: for each room, for each subject, the
//	                    room's candidates in ascending exam-number order,
//	                    each room and subject starting a new sheet, so the
//	                    invigilator of a sitting gets exactly the sheets of
//	                    that room and that subject
//	EE_SSSS_rooms.pdf   the room list (考场名单) and seating chart, one page
//	                    per room

// DefaultFont is the CJK TrueType font the PDFs use unless PrintOptions.Font
// names another (Debian package fonts-droid-fallback).
const DefaultFont = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"

var fontCache struct {
	sync.Mutex
	path string
	data []byte
}

// cjkFont reads the font once per process: it is 4 MB.
func cjkFont(path string) ([]byte, error) {
	if path == "" {
		path = DefaultFont
	}
	fontCache.Lock()
	defer fontCache.Unlock()
	if fontCache.path == path {
		return fontCache.data, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the Chinese font for PDFs (install fonts-droid-fallback or set SAOYUE_CJK_FONT to a .ttf): %w", err)
	}
	fontCache.path, fontCache.data = path, data
	return data, nil
}

func newPDF(fontPath string) (*fpdf.Fpdf, error) {
	font, err := cjkFont(fontPath)
	if err != nil {
		return nil, err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	// A fixed date makes the same exam print the same bytes.
	pdf.SetCreationDate(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
	pdf.SetModificationDate(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
	pdf.SetCatalogSort(true)
	pdf.AddUTF8FontFromBytes("cjk", "", font)
	if pdf.Err() {
		return nil, fmt.Errorf("load Chinese font: %w", pdf.Error())
	}
	return pdf, nil
}

// textCentered sets s centred on cx.
func textCentered(pdf *fpdf.Fpdf, cx, y, size float64, s string) {
	card.Text(pdf, cx-card.TextWidth(pdf, size, s)/2, y, size, s)
}

// LabelLayout is a sheet of self-adhesive labels; lengths in mm.
type LabelLayout struct {
	Name           string
	Cols, Rows     int
	Width, Height  float64 // one label
	Left, Top      float64 // top-left corner of the first label
	PitchX, PitchY float64 // from one label to the next
}

// LabelSheet is the common A4 sheet of 21 labels, 3 across and 7 down,
// 63.5 × 38.1 mm (Avery L7160 and its many copies). 42 candidates fill two
// sheets exactly.
var LabelSheet = LabelLayout{
	Name: "A4 3x7 63.5x38.1mm (L7160)", Cols: 3, Rows: 7,
	Width: 63.5, Height: 38.1, Left: 7.2, Top: 15.15, PitchX: 66.04, PitchY: 38.1,
}

// PerSheet is how many labels a sheet holds.
func (l LabelLayout) PerSheet() int { return l.Cols * l.Rows }

// Rect returns where the i-th label of a sheet is (0-based, left to right,
// then top to bottom), in mm from the top-left corner of the page.
func (l LabelLayout) Rect(i int) (x, y, w, h float64) {
	return l.Left + float64(i%l.Cols)*l.PitchX, l.Top + float64(i/l.Cols)*l.PitchY, l.Width, l.Height
}

// The barcode is drawn on a 300 dpi grid with each module (the narrowest
// bar or space) 4 dots wide, 0.34 mm: a whole number of dots on 300, 600
// and 1200 dpi printers, so no bar is rounded thinner than its neighbours,
// and comfortably above the 0.25 mm that handheld and scanner-mounted
// readers need. A 10-digit number is 90 modules, 30.5 mm; the label leaves
// over 15 mm of quiet zone on each side (Code 128 needs 10 modules).
const (
	PrinterDPI    = 300
	ModuleDots    = 4
	BarcodeTop    = 7.5  // mm below the label's top edge
	BarcodeHeight = 10.0 // mm
)

func dotsToMM(d int) float64 { return float64(d) * 25.4 / PrinterDPI }

// barcodeModules encodes s as Code 128 with gozxing, the same library the
// reader decodes with; true is a dark module.
func barcodeModules(s string) ([]bool, error) {
	m, err := oned.NewCode128Writer().Encode(s, gozxing.BarcodeFormat_CODE_128, 0, 1,
		map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_MARGIN: 0})
	if err != nil {
		return nil, fmt.Errorf("encode barcode %q: %w", s, err)
	}
	out := make([]bool, m.GetWidth())
	for x := range out {
		out[x] = m.Get(x, 0)
	}
	return out, nil
}

// drawBarcode draws s centred on cx, its bars starting on a dot boundary.
func drawBarcode(pdf *fpdf.Fpdf, s string, cx, top, height float64) error {
	mods, err := barcodeModules(s)
	if err != nil {
		return err
	}
	widthDots := len(mods) * ModuleDots
	left := int((cx*PrinterDPI/25.4 - float64(widthDots)/2) + 0.5)
	pdf.SetFillColor(0, 0, 0)
	for i := 0; i < len(mods); {
		if !mods[i] {
			i++
			continue
		}
		j := i
		for j < len(mods) && mods[j] {
			j++
		}
		pdf.Rect(dotsToMM(left+i*ModuleDots), top, dotsToMM((j-i)*ModuleDots), height, "F")
		i = j
	}
	return nil
}

// roomCandidates groups a school's candidates by room number, each group in
// ascending exam-number order.
func roomCandidates(cands []store.Candidate) map[int][]store.Candidate {
	by := make(map[int][]store.Candidate)
	for _, c := range cands {
		by[c.RoomNumber] = append(by[c.RoomNumber], c)
	}
	return by
}

// WriteLabels writes the barcode label sheets of one school's rooms.
// cands must be the school's candidates in exam-number order (as
// store.ListCandidates returns them).
func WriteLabels(w io.Writer, font string, exam *store.Exam, rooms []store.Room, cands []store.Candidate) error {
	pdf, err := newPDF(font)
	if err != nil {
		return err
	}
	pdf.SetTitle(exam.Name+" 条形码", true)
	subjects := exam.Subjects
	if len(subjects) == 0 {
		subjects = []store.Subject{{}}
	}
	by := roomCandidates(cands)
	l := LabelSheet
	for _, room := range rooms {
		for _, sub := range subjects {
			for i, c := range by[room.Number] {
				if i%l.PerSheet() == 0 {
					pdf.AddPage()
					pdf.SetTextColor(90, 90, 90)
					card.Text(pdf, l.Left, l.Top-5, 8, fmt.Sprintf("%s  %s  第%02d考场  %s  条形码  第%d张",
						exam.Name, room.SchoolName, room.Number, sub.Name, i/l.PerSheet()+1))
					pdf.SetTextColor(0, 0, 0)
				}
				if err := drawLabel(pdf, l, i%l.PerSheet(), c, sub); err != nil {
					return err
				}
			}
		}
	}
	if pdf.PageCount() == 0 {
		pdf.AddPage() // an empty PDF is unreadable; say why it is empty
		card.Text(pdf, 20, 30, 12, "本校无考生")
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("write label PDF: %w", err)
	}
	return nil
}

func drawLabel(pdf *fpdf.Fpdf, l LabelLayout, i int, c store.Candidate, sub store.Subject) error {
	x, y, w, _ := l.Rect(i)
	const pad = 4.0
	card.Text(pdf, x+pad, y+5, 8, c.SchoolName)
	if sub.Name != "" {
		card.Text(pdf, x+w-pad-card.TextWidth(pdf, 8, sub.Name), y+5, 8, sub.Name)
	}
	if err := drawBarcode(pdf, c.ExamNo, x+w/2, y+BarcodeTop, BarcodeHeight); err != nil {
		return err
	}
	textCentered(pdf, x+w/2, y+BarcodeTop+BarcodeHeight+4.8, 12, c.ExamNo)
	card.Text(pdf, x+pad, y+28, 11, "姓名 "+c.Name)
	card.Text(pdf, x+pad, y+33.5, 9, fmt.Sprintf("考场 %02d    座位号 %02d", c.RoomNumber, c.Seat))
	return nil
}

// rosterName is a candidate's name on the room list: a withdrawn one keeps
// their seat and number, marked 退出.
func rosterName(c store.Candidate) string {
	if c.Withdrawn {
		return c.Name + "（退出）"
	}
	return c.Name
}

// WriteRoomLists writes one page per room: the room list (seat, exam
// number, name, class) and the seating chart in S order (SeatPosition).
func WriteRoomLists(w io.Writer, font string, exam *store.Exam, rooms []store.Room, cands []store.Candidate) error {
	pdf, err := newPDF(font)
	if err != nil {
		return err
	}
	pdf.SetTitle(exam.Name+" 考场名单", true)
	by := roomCandidates(cands)
	for _, room := range rooms {
		drawRoomPage(pdf, exam, room, by[room.Number])
	}
	if pdf.PageCount() == 0 {
		pdf.AddPage()
		card.Text(pdf, 20, 30, 12, "本校无考生")
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("write room list PDF: %w", err)
	}
	return nil
}

func drawRoomPage(pdf *fpdf.Fpdf, exam *store.Exam, room store.Room, cands []store.Candidate) {
	pdf.AddPage()
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetTextColor(0, 0, 0)
	pdf.SetLineWidth(0.2)
	title := fmt.Sprintf("%s  第%02d考场 考场名单", exam.Name, room.Number)
	if room.Supplementary {
		title = fmt.Sprintf("%s  第%02d考场（补充考场）考场名单", exam.Name, room.Number)
	}
	textCentered(pdf, 105, 16, 15, title)
	info := fmt.Sprintf("学校：%s %s    考场：%02d    人数：%d（座位 %d）", room.SchoolCode, room.SchoolName, room.Number, len(cands), room.Capacity)
	if room.Withdrawn > 0 {
		info = fmt.Sprintf("学校：%s %s    考场：%02d    人数：%d，其中退出 %d（座位 %d）", room.SchoolCode, room.SchoolName, room.Number, len(cands), room.Withdrawn, room.Capacity)
	}
	if len(cands) > 0 {
		info += fmt.Sprintf("    考号 %s 至 %s", cands[0].ExamNo, cands[len(cands)-1].ExamNo)
	}
	card.Text(pdf, 10, 24, 10, info)

	// The list in two halves side by side, so 42 rows and the chart fit
	// one page that can be posted on the door.
	const top, rowH = 28.0, 5.5
	cols := []struct {
		title string
		w     float64
	}{{"座位号", 14}, {"考号", 30}, {"姓名", 26}, {"班级", 20}}
	half := max((len(cands)+1)/2, 1)
	cell := func(x, y, w float64, s string, fill bool) {
		style := "D"
		if fill {
			style = "FD"
		}
		pdf.Rect(x, y, w, rowH, style)
		textCentered(pdf, x+w/2, y+rowH-1.6, 9, s)
	}
	pdf.SetFillColor(230, 230, 230)
	for h := 0; h < 2; h++ {
		x := 10.0 + float64(h)*100
		for _, c := range cols {
			cell(x, top, c.w, c.title, true)
			x += c.w
		}
		for r := 0; r < half; r++ {
			i := h*half + r
			var cells [4]string
			if i < len(cands) {
				c := cands[i]
				cells = [4]string{fmt.Sprintf("%02d", c.Seat), c.ExamNo, rosterName(c), c.ClassName}
			}
			x := 10.0 + float64(h)*100
			for k, c := range cols {
				cell(x, top+rowH*float64(r+1), c.w, cells[k], false)
				x += c.w
			}
		}
	}

	// Seating chart as the invigilator sees it from the back of the room:
	// the teacher's desk (讲台) at the top, the first column on the left by
	// the door.
	chartTop := top + rowH*float64(half+1) + 10
	card.Text(pdf, 10, chartTop, 11, "座位示意图（S型竖向排列）")
	deskTop := chartTop + 4
	pdf.Rect(80, deskTop, 50, 8, "D")
	textCentered(pdf, 105, deskTop+5.5, 11, "讲台")
	rows := SeatRows(room.Capacity)
	gridTop := deskTop + 14
	pitchY := min(15.0, (283-gridTop)/float64(rows))
	const gridLeft, pitchX, deskW = 22.0, 30.0, 25.0
	deskH := pitchY - 3
	center := func(seat int) (float64, float64) {
		c, r := SeatPosition(seat, room.Capacity)
		return gridLeft + float64(c)*pitchX + deskW/2, gridTop + float64(r)*pitchY + deskH/2
	}
	// The S path first, then the desks painted over it, so the path shows
	// in the aisles between desks only.
	pdf.SetDrawColor(150, 150, 150)
	pdf.SetLineWidth(0.6)
	for s := 2; s <= room.Capacity; s++ {
		x1, y1 := center(s - 1)
		x2, y2 := center(s)
		pdf.Line(x1, y1, x2, y2)
	}
	pdf.SetLineWidth(0.2)
	pdf.SetFillColor(255, 255, 255)
	bySeat := make(map[int]store.Candidate, len(cands))
	for _, c := range cands {
		bySeat[c.Seat] = c
	}
	for s := 1; s <= room.Capacity; s++ {
		cx, cy := center(s)
		x, y := cx-deskW/2, cy-deskH/2
		c, taken := bySeat[s]
		if taken {
			pdf.SetDrawColor(0, 0, 0)
			pdf.SetTextColor(0, 0, 0)
		} else {
			pdf.SetDrawColor(190, 190, 190)
			pdf.SetTextColor(160, 160, 160)
		}
		pdf.Rect(x, y, deskW, deskH, "FD")
		card.Text(pdf, x+1.5, y+4.2, 10, fmt.Sprintf("%02d", s))
		if taken {
			textCentered(pdf, cx+2, y+deskH-2, 9, rosterName(c))
		}
	}
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetTextColor(0, 0, 0)
	_, y1 := center(1)
	card.Text(pdf, 11, y1+1, 9, "入口")
	card.Text(pdf, 10, 291, 8, "座位号竖向按S型排列：01号为教室入口靠墙前排，沿第一列向后，再沿第二列向前，依此类推。")
	card.Text(pdf, 150, 291, 9, "监考员签字：____________")
}

// PrintOptions choose what WritePDFs prints.
type PrintOptions struct {
	School  string // one school's code; empty: every school of the exam
	NewOnly bool   // labels of the candidates added after the freeze only
	By      string // who printed, for label_prints and the audit log
	Font    string // the CJK TrueType font; empty: DefaultFont
}

// WriteExamPDFs writes every school's label sheets and room lists into dir
// and returns the paths written; printing freezes the exam's numbers.
func WriteExamPDFs(ctx context.Context, db *store.DB, examCode, dir string) ([]string, error) {
	return WritePDFs(ctx, db, examCode, dir, PrintOptions{})
}

// WritePDFs writes the label sheets and room lists of the schools chosen
// into dir and returns the paths written. Labels printed are labels stuck
// on cards: each school printed is recorded (label_prints) and the exam's
// numbers are frozen from the first print on (store.RecordLabelPrint).
// With NewOnly the labels are those of the late candidates alone, in
// EE_SSSS_labels_new.pdf, and the room lists are printed again with them.
// Withdrawn candidates get no label; room lists show them as 退出.
func WritePDFs(ctx context.Context, db *store.DB, examCode, dir string, opts PrintOptions) ([]string, error) {
	exam, err := store.GetExam(ctx, db.Pool, examCode)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	schools, err := store.ListExamSchools(ctx, db.Pool, exam.ID)
	if err != nil {
		return nil, err
	}
	if opts.School != "" {
		schools = slices.DeleteFunc(schools, func(s store.School) bool { return pad4(s.Code) != pad4(opts.School) })
	}
	switch {
	case len(schools) == 0 && opts.School != "":
		return nil, saoyue.Errorf(saoyue.ENOTFOUND, "考试 %s 没有学校 %s", examCode, opts.School)
	case len(schools) == 0:
		return nil, saoyue.Errorf(saoyue.EINVALID, "考试 %s 还没有学校，请先导入名单", examCode)
	}
	// Frozen before the candidates are read: an import waits for the
	// exam's row and then sees the freeze, so what is printed stays true.
	froze, err := store.FreezeNumbers(ctx, db.Pool, exam.ID)
	if err != nil {
		return nil, err
	}
	if froze {
		if err := store.WriteAudit(ctx, db.Pool, store.AuditEntry{Actor: opts.By, Action: saoyue.AuditNumbersFrozen, Entity: saoyue.EntityExam,
			EntityID: exam.Code, New: map[string]string{"school": schools[0].Code}, Reason: "打印条形码，考号锁定"}); err != nil {
			return nil, err
		}
	}
	var paths []string
	for _, s := range schools {
		written, err := writeSchoolPDFs(ctx, db, exam, s, dir, opts.NewOnly, opts.Font)
		paths = append(paths, written...)
		if err != nil {
			return paths, fmt.Errorf("school %s: %w", s.Code, err)
		}
		if _, err := store.RecordLabelPrint(ctx, db.Pool, exam.ID, s.ID, opts.By); err != nil {
			return paths, err
		}
	}
	return paths, nil
}

func writeSchoolPDFs(ctx context.Context, db *store.DB, exam *store.Exam, s store.School, dir string, newOnly bool, font string) ([]string, error) {
	rooms, err := store.ListRooms(ctx, db.Pool, exam.ID, s.ID)
	if err != nil {
		return nil, err
	}
	cands, err := store.ListCandidates(ctx, db.Pool, exam.ID, s.ID)
	if err != nil {
		return nil, err
	}
	labelled := slices.DeleteFunc(slices.Clone(cands), func(c store.Candidate) bool {
		return c.Withdrawn || (newOnly && !c.AddedAfterFreeze)
	})
	labels := "labels"
	if newOnly {
		labels = "labels_new"
	}
	var paths []string
	for _, out := range []struct {
		suffix string
		cands  []store.Candidate
		write  func(io.Writer, string, *store.Exam, []store.Room, []store.Candidate) error
	}{{labels, labelled, WriteLabels}, {"rooms", cands, WriteRoomLists}} {
		if newOnly && out.suffix == labels && len(labelled) == 0 {
			continue // no late candidate: no sheet to print
		}
		path := filepath.Join(dir, fmt.Sprintf("%s_%s_%s.pdf", exam.Code, pad4(s.Code), out.suffix))
		if err := writeFileAtomic(path, func(w io.Writer) error { return out.write(w, font, exam, rooms, out.cands) }); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// writeFileAtomic writes through a temporary file so a failed run never
// leaves a truncated PDF that looks printable.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*.pdf")
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	// CreateTemp makes the file private; a PDF is for printing and sharing.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
