package report

import (
	"archive/zip"
	"compress/flate"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/saoyue/saoyue"
)

// WriteXLSX writes the report as a workbook: a first sheet that explains
// it, then one sheet per table with a frozen header row, number formats
// and, for score bands and item analysis, a native Excel chart. Every
// sheet goes through excelize's StreamWriter, which spills to a temporary
// file past a few megabytes, so a county-wide candidate sheet does not
// grow memory.
func WriteXLSX(w io.Writer, r *Report) error {
	f := excelize.NewFile()
	defer f.Close()
	f.SetZipWriter(fastZip)
	st, err := newStyles(f)
	if err != nil {
		return fmt.Errorf("workbook styles: %w", err)
	}
	tables := r.AllTables()
	if err := writeCover(f, r, tables, st); err != nil {
		return err
	}
	for _, t := range tables {
		if err := writeSheet(f, t, st); err != nil {
			return fmt.Errorf("sheet %s: %w", t.Sheet, err)
		}
	}
	// No SetActiveSheet: the cover is already the active sheet, and that call
	// parses every streamed sheet back into memory.
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}

type styles struct {
	header, title, text int
	format              map[Format]int
}

func newStyles(f *excelize.File) (*styles, error) {
	border := []excelize.Border{
		{Type: "left", Color: "BFBFBF", Style: 1}, {Type: "right", Color: "BFBFBF", Style: 1},
		{Type: "top", Color: "BFBFBF", Style: 1}, {Type: "bottom", Color: "BFBFBF", Style: 1},
	}
	st := &styles{format: map[Format]int{}}
	var err error
	st.header, err = f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Color: []string{"DDEBF7"}, Pattern: 1},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		Border:    border,
	})
	if err != nil {
		return nil, err
	}
	if st.title, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}); err != nil {
		return nil, err
	}
	if st.text, err = f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}); err != nil {
		return nil, err
	}
	custom := map[Format]string{Text: "@", Count: "0", Score: "General", Mean: "0.00", Rate: "0.0%", Index: "0.000"}
	for fm, code := range custom {
		code := code
		id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code, Border: border})
		if err != nil {
			return nil, err
		}
		st.format[fm] = id
	}
	return st, nil
}

func writeCover(f *excelize.File, r *Report, tables []Table, st *styles) error {
	const sheet = "说明"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	lines := coverLines(r, tables)
	if err := f.SetCellValue(sheet, "A1", "成绩统计分析报告"); err != nil {
		return err
	}
	// The title spans both columns so that it never spills past the
	// printed page; the whole sheet is fitted to one portrait page.
	if err := f.MergeCell(sheet, "A1", "B1"); err != nil {
		return err
	}
	_ = f.SetCellStyle(sheet, "A1", "B1", st.title)
	_ = f.SetRowHeight(sheet, 1, 24)
	_ = f.SetColWidth(sheet, "A", "A", coverLabelWidth)
	_ = f.SetColWidth(sheet, "B", "B", coverTextWidth)
	row := 3
	for _, l := range lines {
		if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", row), &[]any{l[0], l[1]}); err != nil {
			return err
		}
		// Wrapped text keeps the row's height unless told: an explicit
		// height per row is what stops long notes overlapping the next row
		// in LibreOffice and WPS.
		_ = f.SetRowHeight(sheet, row, coverRowHeight(l[1]))
		row++
	}
	if err := f.SetCellStyle(sheet, "A3", fmt.Sprintf("B%d", row), st.text); err != nil {
		return err
	}
	return setPrinting(f, sheet, "portrait", 1)
}

// The cover's two columns, in characters: together they fit a portrait A4
// page at about 90% (fit to one page wide and tall).
const coverLabelWidth, coverTextWidth = 12, 80

// coverRowHeight is the height in points a wrapped note needs in the
// cover's text column: 16 points a line at 11-point type (CJK fonts need
// a little more than Latin ones' 15).
func coverRowHeight(text string) float64 {
	lines := 0
	for _, para := range strings.Split(text, "\n") {
		lines += max(1, (displayWidth(para)+coverTextWidth-3)/(coverTextWidth-2))
	}
	return 16 * float64(lines)
}

// coverLines are the cover's label and text pairs: settings, rules,
// warnings and the sheets of the workbook.
func coverLines(r *Report, tables []Table) [][2]string {
	status := saoyue.Stage(r.Status).Name()
	if !saoyue.Stage(r.Status).AtLeast(saoyue.StageFinal) {
		status += "（未发布）"
	}
	th := r.Settings
	lines := [][2]string{
		{"考试", r.Results.Name + "（" + r.Results.Code + "）"},
		{"成绩状态", status},
		{"范围", r.describeFilter()},
		{"生成时间", r.Generated.Format("2006-01-02 15:04")},
		{"及格线", fmt.Sprintf("满分的 %g%% 及以上", th.Pass*100)},
		{"优秀线", fmt.Sprintf("满分的 %g%% 及以上", th.Excellent*100)},
		{"低分线", fmt.Sprintf("低于满分的 %g%%", th.Low*100)},
		{"分数段", fmt.Sprintf("每 %g 分一段，含下限不含上限，最高一段含满分", th.BandWidth)},
		{"缺考、违纪", "显示为“缺考”“违纪”，不计 0 分；不参加平均分、标准差、各率和名次的计算，计入应考人数；违纪考生计入实考人数；没有答题卡记录的考生为“无成绩”，与缺考同计"},
		{"总分", "各科都有成绩的考生才计总分，任一科缺考或违纪的，总分显示原因"},
		{"名次", "并列名次相同，下一名次跳过（如 1、2、2、4）"},
		{"超均率", "学校平均分与全县平均分之差除以全县平均分；班级分别与本校和全县比较"},
		{"小题分析", "得分率 = 平均分/满分；区分度 = (前 27% 平均分 − 后 27% 平均分)/满分；题总相关为该题与其余各题总分的相关系数；所有人得分相同的题，区分度和相关无定义，留空"},
		{"信度", "克龙巴赫 α 系数；只有各题都按 0/1 计分时另列 KR-20（此时与 α 相等）；测量标准误 = 标准差 × √(1 − α)；α 低于 0.7 或为负时给出提示"},
	}
	lines = append(lines, r.extraCoverLines()...)
	lines = append(lines, [2]string{"依据", "经典测验理论：Crocker & Algina（1986）；区分度分组：Kelley（1939）；题总相关校正：Henrysson（1963）；信度：Cronbach（1951）、Kuder & Richardson（1937）"})
	for i, w := range r.Warnings {
		label := ""
		if i == 0 {
			label = "注意"
		}
		lines = append(lines, [2]string{label, w})
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.Sheet
	}
	return append(lines, [2]string{"工作表", strings.Join(names, "、")})
}

func writeSheet(f *excelize.File, t Table, st *styles) error {
	if _, err := f.NewSheet(t.Sheet); err != nil {
		return err
	}
	rows := t.Rows
	if t.Chart != nil {
		// A chart must be on the sheet before its stream starts, and its
		// ranges need the row count: chart tables are small, so collect them.
		collected := slices.Collect(t.Rows)
		if err := addChart(f, t, len(collected)); err != nil {
			return fmt.Errorf("chart: %w", err)
		}
		rows = slices.Values(collected)
	}
	if err := setPrinting(f, t.Sheet, "landscape", 0); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(t.Sheet)
	if err != nil {
		return err
	}
	for i, c := range t.Columns {
		width := c.Width
		if width == 0 {
			width = max(8, float64(displayWidth(c.Header))+2)
		}
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
	}
	topLeft, _ := excelize.CoordinatesToCellName(t.Freeze+1, 2)
	pane := "bottomLeft"
	if t.Freeze > 0 {
		pane = "bottomRight"
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, XSplit: t.Freeze, YSplit: 1, TopLeftCell: topLeft, ActivePane: pane}); err != nil {
		return err
	}
	header := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		header[i] = excelize.Cell{StyleID: st.header, Value: c.Header}
	}
	if err := sw.SetRow("A1", header, excelize.RowOpts{Height: 30}); err != nil {
		return err
	}
	n := 2
	cells := make([]any, len(t.Columns))
	for row := range rows {
		for i := range cells {
			var v any
			if i < len(row) {
				v = row[i]
			}
			style := st.format[Text]
			if i < len(t.Columns) {
				style = st.format[t.Columns[i].Format]
			}
			cells[i] = excelize.Cell{StyleID: style, Value: v}
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
		n++
	}
	if t.Chart != nil && n-2 > chartSharesPage {
		// A long table and its chart do not fit one printed page: start the
		// chart on a page of its own rather than cut it in two. The chart
		// is anchored at row n (addChart), so the page starts there.
		cell, _ := excelize.CoordinatesToCellName(1, n)
		if err := sw.InsertPageBreak(cell); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// chartSharesPage is the most table rows that still leave room for the
// chart below them on a landscape A4 page: 509 points printable (210 mm
// less the margins below) ≥ a 30-point header, 15 points a row, a blank
// row and the chart's 300 points (400 pixels) with its offset.
const chartSharesPage = 10

// setPrinting makes the sheet print on A4 in the given orientation, as
// wide as one page (and as tall as tall pages, 0 = as many as needed),
// with the first row repeated on every page: schools print these tables.
// It must run before a stream starts, which copies the page setup.
func setPrinting(f *excelize.File, sheet, orientation string, tall int) error {
	a4, one, fit := 9, 1, true
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &a4, Orientation: &orientation, FitToWidth: &one, FitToHeight: &tall}); err != nil {
		return err
	}
	side, edge, head := 0.5, 0.6, 0.3
	if err := f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Left: &side, Right: &side, Top: &edge, Bottom: &edge, Header: &head, Footer: &head}); err != nil {
		return err
	}
	return f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%s'!$1:$1", strings.ReplaceAll(sheet, "'", "''")), Scope: sheet,
	})
}

// displayWidth counts a CJK character as two columns, as Excel shows it.
func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		if r > 0x2E80 {
			w += 2
		} else {
			w++
		}
	}
	return w
}

func addChart(f *excelize.File, t Table, rows int) error {
	if rows == 0 {
		return nil
	}
	c := t.Chart
	ref := func(col, from, to int) string {
		a, _ := excelize.CoordinatesToCellName(col+1, from, true)
		b, _ := excelize.CoordinatesToCellName(col+1, to, true)
		return fmt.Sprintf("'%s'!%s:%s", strings.ReplaceAll(t.Sheet, "'", "''"), a, b)
	}
	chart := &excelize.Chart{
		Type:      excelize.Col,
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: c.Title}}},
		Legend:    excelize.ChartLegend{Position: "bottom"},
		Dimension: excelize.ChartDimension{Width: 720, Height: 400},
		Format:    excelize.GraphicOptions{OffsetX: 10, OffsetY: 10},
		YAxis:     excelize.ChartAxis{MajorGridLines: true, Font: excelize.Font{Color: "404040"}, Title: excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: c.YTitle}}}},
		XAxis:     excelize.ChartAxis{Font: excelize.Font{Color: "404040"}},
		PlotArea:  excelize.ChartPlotArea{ShowVal: false},
	}
	if c.Percent {
		chart.YAxis.NumFmt = excelize.ChartNumFmt{CustomNumFmt: "0%"}
	} else {
		chart.YAxis.NumFmt = excelize.ChartNumFmt{CustomNumFmt: "0.0"}
	}
	for _, s := range c.Series {
		chart.Series = append(chart.Series, excelize.ChartSeries{
			Name:       ref(s, 1, 1),
			Categories: ref(c.Categories, 2, rows+1),
			Values:     ref(s, 2, rows+1),
		})
	}
	// Below the table, so that it prints on the table's pages, not beside
	// them on pages of its own.
	anchor, _ := excelize.CoordinatesToCellName(1, rows+2)
	return f.AddChart(t.Sheet, anchor, chart)
}

// fastZip deflates at flate.BestSpeed: a county workbook's XML compresses
// well at any level, and the default level spent a quarter of the time of
// a 100,000-candidate export compressing (BENCHMARKS.md).
func fastZip(w io.Writer) excelize.ZipWriter {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	return zw
}
