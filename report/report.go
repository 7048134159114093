// Package report produces the county centre's statistics report
// (成绩统计分析报告): it loads an exam's scores from the store into
// grading's in-memory results, computes the tables with grading, and
// writes them as an Excel workbook with native charts or as CSV files.
package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading/marking"
	"github.com/saoyue/saoyue/grading/stats"
	"github.com/saoyue/saoyue/store"
)

// Filter narrows what the report shows. Statistics are always computed
// over the whole exam (county means, ranks in the county); the filter picks
// the rows shown, and the item analysis, score bands and one-point tables
// are computed over the filtered candidates, which is what a school looking
// at its own paper wants.
type Filter struct {
	School  string // school code
	Class   string // class name; needs School, class names repeat across schools
	Subject string // subject code; the total over subjects is left out
}

// Report is everything the workbook and the CSV files show.
type Report struct {
	Results  *stats.ExamResults
	Settings store.ReportSettings
	Filter   Filter
	// Font is the CJK TrueType font of the printable PDFs; empty: the
	// first installed one (card.FindFont).
	Font      string
	Status    string // exam status: review, final …
	Generated time.Time
	Warnings  []string

	Scores    []stats.CandidateScores // aligned with Results.Candidates
	Subjects  []int                   // subjects shown, by index; -1 is the total
	Tables    []stats.GroupStats      // rows shown
	Analyses  []SubjectAnalysis
	Bands     []BandTable
	OnePoint  []OnePointTable
	Rates     []ItemRateTable
	Members   *stats.Members
	Extras    Extras
	Knowledge []KnowledgeTable
	Subs      []SubTable
	Compare   *Comparison // 进退步 against an earlier exam, when asked for
}

// ItemRateTable is the 得分率 of every item of one subject for the county,
// each school shown and, under a school filter, its classes.
type ItemRateTable struct {
	Subject int
	Rows    []ItemRateRow
}

// ItemRateRow is one group's line of an ItemRateTable.
type ItemRateRow struct {
	Group stats.Group
	N     int
	Stats stats.GroupStats // the group's row of the subject: means, objective and subjective
	Rates []float64        // aligned with the paper's items
}

// SubjectAnalysis is the item analysis of one subject.
type SubjectAnalysis struct {
	Subject int
	Items   []stats.ItemStats
	Paper   stats.PaperStats
}

// BandTable counts scores per band for the county (or the filtered school)
// and each school shown.
type BandTable struct {
	Subject int // -1: total
	Bands   []stats.Band
	Groups  []stats.Group
	Counts  [][]int     // [group][band]
	Shares  [][]float64 // [group][band], weighted on a sample exam
	N       []int       // counted candidates per group
}

// OnePointTable is the 一分一段 table of one subject or the total over the
// filtered candidates.
type OnePointTable struct {
	Subject int
	Rows    []stats.OnePointRow
}

// Include reports whether the filter shows the candidate.
func (f Filter) Include(c *stats.CandidateResults) bool {
	return (f.School == "" || c.SchoolCode == f.School) && (f.Class == "" || c.Class == f.Class)
}

// SubjectName is the name of subject s, or 总分 for the total.
func (r *Report) SubjectName(s int) string {
	if s < 0 {
		return "总分"
	}
	return r.Results.Subjects[s].Name
}

// Load reads an exam's papers, candidates, flags and item scores. Items
// with scores but no key or group are added (numbers are objective), and
// anything that looks unfinished is returned as a warning for the report's
// first sheet rather than failing: the centre looks at interim reports.
func Load(ctx context.Context, db *store.DB, examCode string) (*stats.ExamResults, store.ReportSettings, string, []string, error) {
	q := db.Pool
	var settings store.ReportSettings
	exam, err := store.GetExam(ctx, q, examCode)
	if errors.Is(err, store.ErrExamNotFound) {
		return nil, settings, "", nil, saoyue.Errorf(saoyue.ENOTFOUND, "没有考试 %s", examCode)
	}
	if err != nil {
		return nil, settings, "", nil, err
	}
	if settings, err = store.GetReportSettings(ctx, q, exam.ID); err != nil {
		return nil, settings, "", nil, err
	}
	keys, err := store.ReportKeyItems(ctx, q, exam.ID)
	if err != nil {
		return nil, settings, "", nil, err
	}
	groups, err := store.ReportGroups(ctx, q, exam.ID)
	if err != nil {
		return nil, settings, "", nil, err
	}
	scored, err := store.ReportScoredItems(ctx, q, exam.ID)
	if err != nil {
		return nil, settings, "", nil, err
	}
	cands, err := store.ListCandidates(ctx, q, exam.ID, 0)
	if err != nil {
		return nil, settings, "", nil, err
	}
	cards, err := store.ReportCards(ctx, q, exam.ID)
	if err != nil {
		return nil, settings, "", nil, err
	}

	know, err := store.ReportKnowledge(ctx, q, exam.ID)
	if err != nil {
		return nil, settings, "", nil, err
	}
	var warnings []string
	res := &stats.ExamResults{Code: exam.Code, Name: exam.Name}
	subjectIdx := map[int64]int{}
	itemIdx := make([]map[string]int, len(exam.Subjects))
	for s, sub := range exam.Subjects {
		subjectIdx[sub.ID] = s
		paper := stats.SubjectPaper{Code: sub.Code, Name: sub.Name, FullScore: sub.FullScore}
		var excluded []string
		for _, k := range keys {
			if k.SubjectID != sub.ID {
				continue
			}
			if k.Excluded {
				excluded = append(excluded, strconv.Itoa(k.ItemNo))
				continue
			}
			paper.Items = append(paper.Items, stats.PaperItem{
				Code: strconv.Itoa(k.ItemNo), Objective: true, Kind: k.Kind, Max: k.Points, Key: strings.Join(k.Answers, "/"),
			})
		}
		var subjective []stats.PaperItem
		for _, g := range groups {
			if g.SubjectID == sub.ID {
				subjective = append(subjective, stats.PaperItem{Code: g.Code, Max: g.MaxScore})
			}
		}
		sort.SliceStable(subjective, func(i, j int) bool { return stats.NaturalLess(subjective[i].Code, subjective[j].Code) })
		paper.Items = append(paper.Items, subjective...)
		itemIdx[s] = map[string]int{}
		for i, it := range paper.Items {
			itemIdx[s][it.Code] = i
		}
		var unknown []string
		for _, si := range scored {
			if si.SubjectID != sub.ID || slicesContains(excluded, si.Item) {
				continue
			}
			if _, ok := itemIdx[s][si.Item]; !ok {
				_, numErr := strconv.Atoi(si.Item)
				itemIdx[s][si.Item] = len(paper.Items)
				paper.Items = append(paper.Items, stats.PaperItem{Code: si.Item, Objective: numErr == nil, Max: si.MaxScore})
				unknown = append(unknown, si.Item)
			}
		}
		if len(excluded) > 0 {
			warnings = append(warnings, fmt.Sprintf("%s：第 %s 题已作废，不计入统计", sub.Name, strings.Join(excluded, "、")))
		}
		if len(unknown) > 0 {
			sort.Slice(unknown, func(i, j int) bool { return stats.NaturalLess(unknown[i], unknown[j]) })
			warnings = append(warnings, fmt.Sprintf("%s：第 %s 题有得分但没有答案或题组设置，满分按最高得分计", sub.Name, strings.Join(unknown, "、")))
		}
		for _, k := range know {
			if j, ok := itemIdx[s][k.Item]; ok && k.SubjectID == sub.ID {
				paper.Items[j].Knowledge, paper.Items[j].Abilities = k.Knowledge, k.Abilities
			}
		}
		var sum float64
		for _, it := range paper.Items {
			sum += it.Max
		}
		if len(paper.Items) > 0 && math.Abs(sum-sub.FullScore) > 1e-6 {
			warnings = append(warnings, fmt.Sprintf("%s：各题满分合计 %g，与学科满分 %g 不符", sub.Name, sum, sub.FullScore))
		}
		res.Subjects = append(res.Subjects, paper)
	}

	candIdx := make(map[int64]int, len(cands))
	for i, c := range cands {
		candIdx[c.ID] = i
		cr := stats.CandidateResults{ExamNo: c.ExamNo, Name: c.Name, SchoolCode: c.SchoolCode, SchoolName: c.SchoolName,
			Class: c.ClassName, StudentID: c.StudentID, StudentNo: c.StudentNo, Subjects: make([]stats.SubjectResult, len(exam.Subjects))}
		for s := range cr.Subjects {
			cr.Subjects[s].Status = stats.NoResult
		}
		res.Candidates = append(res.Candidates, cr)
	}
	if exam.SampleSize > 0 {
		enrol, err := store.ReportEnrolment(ctx, q, exam.ID)
		if err != nil {
			return nil, settings, "", nil, err
		}
		warnings = append(warnings, stats.ApplySampleWeights(res, enrol)...)
	}
	// have[s][i] marks which items of a present candidate got a score, to
	// count the missing ones.
	alloc := func(c, s int) *stats.SubjectResult {
		r := &res.Candidates[c].Subjects[s]
		if r.Scores == nil {
			n := len(res.Subjects[s].Items)
			r.Scores = make([]float64, n)
			r.Responses = make([]string, n)
		}
		return r
	}
	for _, k := range cards {
		c, ok := candIdx[k.CandidateID]
		s, ok2 := subjectIdx[k.SubjectID]
		if !ok || !ok2 {
			continue
		}
		r := &res.Candidates[c].Subjects[s]
		switch {
		case k.Absent:
			r.Status = stats.Absent
		case k.Violation:
			r.Status = stats.Violation
		default:
			r.Status = stats.Present
			alloc(c, s)
		}
	}
	got := make([]int, len(exam.Subjects))
	orphan := make([]map[int]bool, len(exam.Subjects))
	for s := range orphan {
		orphan[s] = map[int]bool{}
	}
	err = store.EachReportItemScore(ctx, q, exam.ID, func(sc store.ReportItemScore) error {
		c, ok := candIdx[sc.CandidateID]
		s, ok2 := subjectIdx[sc.SubjectID]
		if !ok || !ok2 {
			return nil
		}
		j, ok := itemIdx[s][sc.Item]
		if !ok {
			return nil // an excluded item
		}
		r := &res.Candidates[c].Subjects[s]
		if r.Status == stats.NoResult {
			// Scores without a card row: no card was scanned for the
			// candidate, so they are 无成绩 (docs/STATISTICS.md) and the
			// stray scores are named in a warning, not counted.
			orphan[s][c] = true
			return nil
		}
		if r.Status != stats.Present {
			return nil
		}
		alloc(c, s)
		r.Scores[j] = sc.Score
		r.Responses[j] = sc.Response
		got[s]++
		return nil
	})
	if err != nil {
		return nil, settings, "", nil, err
	}
	for s, sub := range res.Subjects {
		if n := len(orphan[s]); n > 0 {
			warnings = append(warnings, fmt.Sprintf("%s：%d 名考生有小题分数但没有答题卡记录（如 %s），按无成绩处理，分数不计入统计", sub.Name, n, orphanExample(res, orphan[s])))
		}
		present := 0
		for i := range res.Candidates {
			if res.Candidates[i].Subjects[s].Status == stats.Present {
				present++
			}
		}
		if missing := present*len(sub.Items) - got[s]; missing > 0 {
			warnings = append(warnings, fmt.Sprintf("%s：还有 %d 个小题没有分数（阅卷未完成？），按 0 分计", sub.Name, missing))
		}
	}
	subWarn, err := loadSubScores(ctx, q, exam.ID, res, subjectIdx, itemIdx, candIdx)
	if err != nil {
		return nil, settings, "", nil, err
	}
	warnings = append(warnings, subWarn...)
	if !saoyue.Stage(exam.Status).AtLeast(saoyue.StageFinal) {
		warnings = append(warnings, "成绩尚未发布（终审），本报告仅供复核")
	}
	return res, settings, string(exam.Status), warnings, nil
}

// orphanExample names the first candidate (by exam number) of a set.
func orphanExample(res *stats.ExamResults, set map[int]bool) string {
	first := -1
	for c := range set {
		if first < 0 || res.Candidates[c].ExamNo < res.Candidates[first].ExamNo {
			first = c
		}
	}
	c := res.Candidates[first]
	return c.ExamNo + " " + c.Name
}

func slicesContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Build computes the report of the results, shown through the filter.
func Build(res *stats.ExamResults, settings store.ReportSettings, f Filter) (*Report, error) {
	settings = withDefaults(settings)
	th := stats.Thresholds{Pass: settings.Pass, Excellent: settings.Excellent, Low: settings.Low, Good: settings.Good}
	if err := th.Check(); err != nil {
		return nil, saoyue.Errorf(saoyue.EINVALID, "报告设置有误：%v", err)
	}
	scheme, err := stats.GradeScheme{Mode: settings.GradeMode, Cuts: settings.GradeCuts}.Resolve()
	if err != nil {
		return nil, saoyue.Errorf(saoyue.EINVALID, "等级设置有误：%v", err)
	}
	if settings.BandWidth <= 0 {
		return nil, saoyue.Errorf(saoyue.EINVALID, "分数段宽度必须大于 0")
	}
	if f.Class != "" && f.School == "" {
		return nil, saoyue.Errorf(saoyue.EINVALID, "按班级筛选时请同时指定学校：各校班级名称会重复")
	}
	r := &Report{Results: res, Settings: settings, Filter: f, Generated: time.Now()}
	if f.School != "" {
		found := false
		for i := range res.Candidates {
			if f.Include(&res.Candidates[i]) {
				found = true
				break
			}
		}
		if !found {
			return nil, saoyue.Errorf(saoyue.ENOTFOUND, "考试 %s 没有学校 %s %s 的考生", res.Code, f.School, f.Class)
		}
	}
	for s, sub := range res.Subjects {
		if f.Subject == "" || sub.Code == f.Subject {
			r.Subjects = append(r.Subjects, s)
		}
	}
	if f.Subject != "" && len(r.Subjects) == 0 {
		return nil, saoyue.Errorf(saoyue.ENOTFOUND, "考试 %s 没有学科 %s", res.Code, f.Subject)
	}
	if f.Subject == "" && len(res.Subjects) > 1 {
		r.Subjects = append(r.Subjects, -1)
	}
	shown := map[int]bool{}
	for _, s := range r.Subjects {
		shown[s] = true
	}

	r.Scores = stats.ComputeScores(res)
	all := stats.Tables(res, r.Scores, th)
	r.buildExtras(all, scheme)
	for _, row := range all {
		if !shown[row.Subject] {
			continue
		}
		if row.Level != stats.LevelCounty && (f.School != "" && row.SchoolCode != f.School ||
			f.Class != "" && row.Level == stats.LevelClass && row.Class != f.Class) {
			continue
		}
		r.Tables = append(r.Tables, row)
	}

	r.Members = stats.GroupMembers(res)
	for _, s := range r.Subjects {
		if s >= 0 {
			r.Rates = append(r.Rates, r.itemRates(s))
		}
	}
	r.knowledgeTables()
	r.subTables()
	in := func(c *stats.CandidateResults) bool { return f.Include(c) }
	for _, s := range r.Subjects {
		if s >= 0 {
			items, paper := stats.AnalyzeItems(res, s, in)
			r.Analyses = append(r.Analyses, SubjectAnalysis{Subject: s, Items: items, Paper: paper})
		}
		full := res.FullScoreTotal()
		if s >= 0 {
			full = res.Subjects[s].FullScore
		}
		bt := BandTable{Subject: s, Bands: stats.ScoreBands(full, settings.BandWidth)}
		addGroup := func(g stats.Group, in func(*stats.CandidateResults) bool) {
			v, w := stats.SubjectValuesWeighted(res, r.Scores, s, in)
			bt.Groups = append(bt.Groups, g)
			bt.Counts = append(bt.Counts, stats.BandCounts(v, bt.Bands))
			bt.Shares = append(bt.Shares, stats.BandShares(v, w, bt.Bands))
			bt.N = append(bt.N, len(v))
		}
		addGroup(stats.Group{Level: stats.LevelCounty}, nil)
		for _, row := range r.Tables {
			if row.Subject == s && row.Level == stats.LevelSchool {
				addGroup(row.Group, func(c *stats.CandidateResults) bool { return c.SchoolCode == row.SchoolCode })
			}
		}
		r.Bands = append(r.Bands, bt)
		r.OnePoint = append(r.OnePoint, OnePointTable{Subject: s, Rows: stats.OnePoint(stats.SubjectValuesWeighted(res, r.Scores, s, in))})
	}
	return r, nil
}

// itemRates is the school × item table of subject s over the group rows
// shown (county, schools, and the classes of a filtered school).
func (r *Report) itemRates(s int) ItemRateTable {
	t := ItemRateTable{Subject: s}
	for _, g := range r.Tables {
		if g.Subject != s || g.Level == stats.LevelClass && r.Filter.School == "" {
			continue
		}
		rates, n := stats.ItemRates(r.Results, s, r.Members.Of(g.Group))
		t.Rows = append(t.Rows, ItemRateRow{Group: g.Group, N: n, Stats: g, Rates: rates})
	}
	return t
}

// Generate loads and builds the report of an exam.
func Generate(ctx context.Context, db *store.DB, examCode string, f Filter) (*Report, error) {
	res, settings, status, warnings, err := Load(ctx, db, examCode)
	if err != nil {
		return nil, err
	}
	r, err := Build(res, settings, f)
	if err != nil {
		return nil, err
	}
	r.Status, r.Warnings = status, warnings
	return r, nil
}

// loadSubScores fills in the sub-questions (28(1), 28(2)) of the groups
// that have them and each present candidate's part scores, settled from
// the marks as the group's total was (marking.SettleParts). Where the parts
// do not add up to the candidate's group score (a score changed in review,
// which has no parts) the new score is attributed to the parts
// (stats.AttributeParts) and the parts are marked as changed, so the
// sub-question table counts every answer the first sheet counts.
func loadSubScores(ctx context.Context, q store.TxOrPool, examID int64, res *stats.ExamResults,
	subjectIdx map[int64]int, itemIdx []map[string]int, candIdx map[int64]int) ([]string, error) {
	groups, err := store.ReportSubGroups(ctx, q, examID)
	if err != nil || len(groups) == 0 {
		return nil, err
	}
	type place struct {
		s, item, first int
		g              *store.MarkingGroup
	}
	at := map[int64]place{}
	for _, g := range groups {
		s, ok := subjectIdx[g.SubjectID]
		if !ok {
			continue
		}
		j, ok := itemIdx[s][g.Code]
		if !ok {
			continue
		}
		paper := &res.Subjects[s]
		at[g.ID] = place{s: s, item: j, first: len(paper.Subs), g: g}
		for _, p := range marking.GroupParts(g) {
			paper.Subs = append(paper.Subs, stats.SubItem{Item: j, Label: g.Code + p.Label, Max: p.Max})
		}
	}
	for s := range res.Subjects {
		if n := len(res.Subjects[s].Subs); n > 0 {
			for i := range res.Candidates {
				r := &res.Candidates[i].Subjects[s]
				r.SubScores, r.SubChanged = make([]float64, n), make([]bool, n)
				for k := range r.SubScores {
					r.SubScores[k] = math.NaN()
				}
			}
		}
	}
	unsettled := 0
	err = store.EachReportCropMarks(ctx, q, examID, func(cm store.ReportCropMarks) error {
		p, ok := at[cm.GroupID]
		c, ok2 := candIdx[cm.CandidateID]
		if !ok || !ok2 {
			return nil
		}
		r := &res.Candidates[c].Subjects[p.s]
		parts := marking.SettleParts(p.g, cm.Marks)
		if r.Status != stats.Present || parts == nil {
			return nil
		}
		var sum float64
		for _, v := range parts {
			sum += v
		}
		if math.Abs(sum-r.Scores[p.item]) <= 0.05+1e-9 {
			copy(r.SubScores[p.first:], parts)
			return nil
		}
		// A score changed in review changes only the group's total: its
		// parts are attributed by a fixed rule so that they add up to it.
		subs := res.Subjects[p.s].Subs[p.first : p.first+len(parts)]
		maxs := make([]float64, len(subs))
		for k, sub := range subs {
			maxs[k] = sub.Max
		}
		moved := stats.AttributeParts(parts, maxs, r.Scores[p.item])
		if moved == nil {
			unsettled++
			return nil
		}
		copy(r.SubScores[p.first:], moved)
		for k := range moved {
			r.SubChanged[p.first+k] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if unsettled > 0 {
		return []string{fmt.Sprintf("%d 份答案的题组得分超出小题满分之和，无法分到小题，这些答案的小题细分留空", unsettled)}, nil
	}
	return nil, nil
}
