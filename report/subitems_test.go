package report_test

import (
	"context"
	"strings"
	"testing"

	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/report"
	"github.com/saoyue/saoyue/report/reporttest"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// Math group 4 (max 5) split into 4(1) max 2 and 4(2) max 3, marked 1+0.
// Marks: A 2+3, B 2+2, C 1+2, D 2+2, E 1+1 (but E's score is 1: the parts
// do not add up, so E's parts are unknown), F 1+1, G 0+0. By hand over
// A B C D F G:
//
//	4(1): 2 2 1 2 1 0 → mean 8/6, 得分率 2/3, full (2) 3/6, zero 1/6
//	4(2): 3 2 2 2 1 0 → mean 10/6, 得分率 5/9, full (3) 1/6, zero 1/6
func TestSubQuestionsFromMarks(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	exam := reporttest.SeedSmallExam(t, db, "final")
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := db.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%v\n%s", err, sql)
		}
	}
	exec(`UPDATE question_groups SET subs = '[{"sub":"(1)","max":2,"step":1},{"sub":"(2)","max":3,"step":1}]' WHERE subject_id = $1 AND code = '4'`, exam.Subjects["math"])
	exec(`INSERT INTO teachers (school_id, teacher_no, name) SELECT id, 'T1', '阅卷甲' FROM schools WHERE code = '0102'`)
	for name, parts := range map[string][2]float64{"A": {2, 3}, "B": {2, 2}, "C": {1, 2}, "D": {2, 2}, "E": {1, 1}, "F": {1, 1}, "G": {0, 0}} {
		exec(`WITH p AS (INSERT INTO pages (image_sha256, blob_key) VALUES (md5($1) || md5($1), 'k') RETURNING id),
			c AS (INSERT INTO crops (page_id, card_id, group_id, blob_key)
				SELECT p.id, k.id, g.id, 'k' FROM p, cards k, question_groups g
				WHERE k.candidate_id = $2 AND k.subject_id = $3 AND g.subject_id = $3 AND g.code = '4' RETURNING id, group_id),
			t AS (INSERT INTO marking_tasks (crop_id, group_id, round, status) SELECT id, group_id, 1, 'marked' FROM c RETURNING id)
			INSERT INTO marks (task_id, marker_id, scores, total) SELECT t.id, (SELECT id FROM teachers WHERE teacher_no = 'T1'), $4, $5 FROM t`,
			name, exam.Candidates[name], exam.Subjects["math"], []float64{parts[0], parts[1]}, parts[0]+parts[1])
	}
	r, err := report.Generate(ctx, db, "21", report.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(r.Warnings, "\n"), "1 份答案的小题分与题组得分不一致") {
		t.Errorf("warnings %v", r.Warnings)
	}
	f := openWorkbook(t, r)
	rows, idx := sheetCells(t, f, "小题细分-数学")
	// 4(1): county, 0101, 0102; then 4(2).
	if rows[1][idx["小题"]] != "4(1)" || rows[4][idx["小题"]] != "4(2)" || rows[1][idx["学校"]] != "全县" {
		t.Fatalf("rows %v", rows)
	}
	if cellNum(t, rows, idx, 1, "人数") != 6 {
		t.Errorf("4(1) counted %v, want 6 (E unknown)", rows[1])
	}
	near(t, "4(1) mean", cellNum(t, rows, idx, 1, "平均分"), 8.0/6)
	near(t, "4(1) 得分率", cellNum(t, rows, idx, 1, "得分率"), 2.0/3)
	near(t, "4(1) 满分率", cellNum(t, rows, idx, 1, "满分率"), 0.5)
	near(t, "4(2) 得分率", cellNum(t, rows, idx, 4, "得分率"), 5.0/9)
	near(t, "4(2) 零分率", cellNum(t, rows, idx, 4, "零分率"), 1.0/6)
	// 0101's 4(1) over A B C D: 7 of 8.
	near(t, "0101 4(1) 得分率", cellNum(t, rows, idx, 2, "得分率"), 7.0/8)
}

// A plain recomputation of the sub-question table on a generated exam.
func TestSubQuestionsRecomputed(t *testing.T) {
	t.Parallel()
	res := genExam(6, 2, 25, 10, 4, 11)
	withSubsAndKnowledge(res)
	r, err := report.Build(res, store.DefaultReportSettings, report.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Subs) != 1 || len(r.Subs[0].Rows) != 7 {
		t.Fatalf("sub tables %+v", r.Subs)
	}
	for _, row := range r.Subs[0].Rows {
		for k, sub := range res.Subjects[0].Subs {
			var n, sum, full float64
			for _, c := range res.Candidates {
				if c.Subjects[0].Status != grading.Present || !inGroup(c, row.Group) {
					continue
				}
				v := c.Subjects[0].SubScores[k]
				n++
				sum += v
				if v == sub.Max {
					full++
				}
			}
			st := row.Stats[k]
			if st.N != int(n) {
				t.Errorf("%s %s: N %d, want %v", sub.Label, row.Group.SchoolCode, st.N, n)
			}
			near(t, sub.Label+" rate "+row.Group.SchoolCode, st.Rate, sum/n/sub.Max)
			near(t, sub.Label+" full "+row.Group.SchoolCode, st.FullRate, full/n)
		}
	}
}
