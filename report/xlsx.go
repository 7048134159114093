package report

import (
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
		{"缺考、违纪", "显示为“缺考”“违纪”，不计 0 分；不参加平均分、标准差、各率和名次的计算，计入应考人数；违纪考生计入实考人数"},
		{"总分", "各科都有成绩的考生才计总分，任一科缺考或违纪的，总分显示原因"},
		{"名次", "并列名次相同，下一名次跳过（如 1、2、2、4）"},
		{"超均率", "学校平均分与全县平均分之差除以全县平均分；班级与本校比较"},
		{"小题分析", "得分率 = 平均分/满分；区分度 = (前 27% 平均分 − 后 27% 平均分)/满分；题总相关为该题与其余各题总分的相关系数；所有人得分相同的题，区分度和相关无定义，留空"},
		{"信度", "克龙巴赫 α 系数；只有各题都按 0/1 计分时另列 KR-20（此时与 α 相等）；测量标准误 = 标准差 × √(1 − α)；α 低于 0.7 或为负时给出提示"},
		{"公式与依据", "docs/STATISTICS.md"},
	}
	if err := f.SetCellValue(sheet, "A1", "成绩统计分析报告"); err != nil {
		return err
	}
	_ = f.SetCellStyle(sheet, "A1", "A1", st.title)
	row := 3
	for _, l := range lines {
		_ = f.SetSheetRow(sheet, fmt.Sprintf("A%d", row), &[]any{l[0], l[1]})
		row++
	}
	if len(r.Warnings) > 0 {
		row++
		_ = f.SetCellValue(sheet, fmt.Sprintf("A%d", row), "注意")
		for _, w := range r.Warnings {
			_ = f.SetCellValue(sheet, fmt.Sprintf("B%d", row), w)
			row++
		}
	}
	row++
	_ = f.SetCellValue(sheet, fmt.Sprintf("A%d", row), "工作表")
	for _, t := range tables {
		_ = f.SetCellValue(sheet, fmt.Sprintf("B%d", row), t.Sheet)
		row++
	}
	_ = f.SetColWidth(sheet, "A", "A", 14)
	_ = f.SetColWidth(sheet, "B", "B", 90)
	return f.SetCellStyle(sheet, "B3", fmt.Sprintf("B%d", row), st.text)
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
	if err := setPrinting(f, t.Sheet); err != nil {
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
		// chart on a page of its own rather than cut it in two.
		cell, _ := excelize.CoordinatesToCellName(1, n+1)
		if err := sw.InsertPageBreak(cell); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// chartSharesPage is the most table rows that still leave room for the
// chart below them on a landscape page.
const chartSharesPage = 12

// setPrinting makes the sheet print landscape, as wide as one page, with
// the header row repeated on every page: schools print these tables. It
// must run before the stream starts, which copies the page setup.
func setPrinting(f *excelize.File, sheet string) error {
	landscape, one, zero, fit := "landscape", 1, 0, true
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape, FitToWidth: &one, FitToHeight: &zero}); err != nil {
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
