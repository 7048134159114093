package report_test

import (
	"context"
	"strings"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/grading/stats"
	"github.com/saoyue/saoyue/report"
	"github.com/saoyue/saoyue/report/reporttest"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// Math group 4 (max 5) split into 4(1) max 2 and 4(2) max 3, marked 1+0.
// Marks: A 2+3, B 2+2, C 1+2, D 2+2, E 1+0, F 1+1, G 0+0. E's group score
// is then changed in review from 1 to 4 (ChangeScore, approved by a second
// account): the rise of 3 is shared by room left, 4(1) 1 + 3·1/4 = 1.75,
// 4(2) 0 + 3·3/4 = 2.25, so by hand over all seven present:
//
//	4(1): 2 2 1 2 1.75 1 0 → mean 9.75/7, 得分率 9.75/14, full 3/7, zero 1/7
//	4(2): 3 2 2 2 2.25 1 0 → mean 12.25/7, 得分率 7/12, full 1/7, zero 1/7
//
// and the two means add up to the first sheet's group mean, 22/7.
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
	for name, parts := range map[string][2]float64{"A": {2, 3}, "B": {2, 2}, "C": {1, 2}, "D": {2, 2}, "E": {1, 0}, "F": {1, 1}, "G": {0, 0}} {
		exec(`WITH p AS (INSERT INTO pages (image_sha256, blob_key) VALUES (md5($1) || md5($1), 'k') RETURNING id),
			c AS (INSERT INTO crops (page_id, card_id, group_id, blob_key)
				SELECT p.id, k.id, g.id, 'k' FROM p, cards k, question_groups g
				WHERE k.candidate_id = $2 AND k.subject_id = $3 AND g.subject_id = $3 AND g.code = '4' RETURNING id, group_id),
			t AS (INSERT INTO marking_tasks (crop_id, group_id, round, status) SELECT id, group_id, 1, 'marked' FROM c RETURNING id)
			INSERT INTO marks (task_id, marker_id, scores, total) SELECT t.id, (SELECT id FROM teachers WHERE teacher_no = 'T1'), $4, $5 FROM t`,
			name, exam.Candidates[name], exam.Subjects["math"], []float64{parts[0], parts[1]}, parts[0]+parts[1])
	}
	changeScore(t, db, grading.ScoreChange{Exam: "21", ExamNo: exam.ExamNos["E"], Subject: "math", Item: "4", Score: 4, Reason: "查分：第 4 题漏判 3 分"})
	r, err := report.Generate(ctx, db, "21", report.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(r.Warnings, "\n"); strings.Contains(w, "小题细分留空") {
		t.Errorf("warnings %v", r.Warnings)
	}
	f := openWorkbook(t, r)
	rows, idx := sheetCells(t, f, "小题细分-数学")
	// 4(1): county, 0101, 0102; then 4(2).
	if rows[1][idx["小题"]] != "4(1)" || rows[4][idx["小题"]] != "4(2)" || rows[1][idx["学校"]] != "全县" {
		t.Fatalf("rows %v", rows)
	}
	if cellNum(t, rows, idx, 1, "人数") != 7 || cellNum(t, rows, idx, 1, "其中改分") != 1 ||
		cellNum(t, rows, idx, 2, "其中改分") != 1 || cellNum(t, rows, idx, 3, "其中改分") != 0 {
		t.Errorf("4(1) counted %v %v %v, want 7 with E's changed answer in the county and 0101", rows[1], rows[2], rows[3])
	}
	near(t, "4(1) 得分率", cellNum(t, rows, idx, 1, "得分率"), 9.75/14)
	near(t, "4(1) 满分率", cellNum(t, rows, idx, 1, "满分率"), 3.0/7)
	near(t, "4(2) 得分率", cellNum(t, rows, idx, 4, "得分率"), 7.0/12)
	near(t, "4(2) 零分率", cellNum(t, rows, idx, 4, "零分率"), 1.0/7)
	// 0101's 4(1) over A B C D E: 8.75 of 10.
	near(t, "0101 4(1) 得分率", cellNum(t, rows, idx, 2, "得分率"), 0.875)
	// The parts agree with the first sheet: its group 4 mean is 22/7.
	var group float64
	for _, it := range r.Analyses[0].Items {
		if r.Analyses[0].Subject == r.Subs[0].Subject && it.Item.Code == "4" {
			group = it.Mean
		}
	}
	near(t, "first sheet group 4 mean", group, 22.0/7)
	county := r.Subs[0].Rows[0].Stats
	near(t, "4(1) + 4(2) means", county[0].Mean+county[1].Mean, group)
}

// changeScore proposes a change as one signed-in account and approves it as
// a second, the way a 查分 change reaches released scores.
func changeScore(t *testing.T, db *store.DB, c grading.ScoreChange) {
	t.Helper()
	ctx := context.Background()
	var users [2]*store.User
	for k, login := range []string{"proposer", "approver"} {
		users[k] = &store.User{Login: login, Name: login, PasswordHash: "x", Roles: []saoyue.Role{saoyue.RoleCentre, saoyue.RoleApprover}}
		if err := store.CreateUser(ctx, db.Pool, users[k]); err != nil {
			t.Fatal(err)
		}
	}
	c.By = users[0]
	res, err := grading.ChangeScore(ctx, db, c)
	if err != nil || !res.Pending {
		t.Fatalf("propose %+v: %+v %v", c, res, err)
	}
	if err := grading.DecideScoreChange(ctx, db, res.ChangeID, users[1], true, "核对原卷"); err != nil {
		t.Fatal(err)
	}
}

// A plain recomputation of the sub-question table on a generated exam.
func TestSubQuestionsRecomputed(t *testing.T) {
	t.Parallel()
	res := genExam(6, 2, 25, 10, 4, 11)
	withSubsAndKnowledge(res)
	changeEveryFifth(t, res)
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
			changed := 0
			for _, c := range res.Candidates {
				if c.Subjects[0].Status != stats.Present || !inGroup(c, row.Group) {
					continue
				}
				v := c.Subjects[0].SubScores[k]
				if v < 0 || v > sub.Max+1e-9 {
					t.Errorf("%s of %s is %v, outside 0…%v", sub.Label, c.ExamNo, v, sub.Max)
				}
				if c.Subjects[0].SubChanged[k] {
					changed++
				}
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
			if st.Changed != changed {
				t.Errorf("%s %s: 其中改分 %d, want %d", sub.Label, row.Group.SchoolCode, st.Changed, changed)
			}
		}
	}
	// The parts agree with the first sheet: per group, the county means of
	// the parts add up to the item analysis's mean of the group.
	county := r.Subs[0].Rows[0].Stats
	for _, it := range r.Analyses[0].Items {
		var parts float64
		for k, sub := range res.Subjects[0].Subs {
			if res.Subjects[0].Items[sub.Item].Code == it.Item.Code {
				parts += county[k].Mean
			}
		}
		if !it.Item.Objective {
			near(t, "parts of group "+it.Item.Code, parts, it.Mean)
		}
	}
}

// changeEveryFifth changes the first group's score of every fifth present
// candidate as a review would (one point down, or up from zero) and
// attributes the parts by the report's rule.
func changeEveryFifth(t *testing.T, res *stats.ExamResults) {
	t.Helper()
	p := &res.Subjects[0]
	first := p.Subs[0].Item
	seen := 0
	for i := range res.Candidates {
		r := &res.Candidates[i].Subjects[0]
		if r.Status != stats.Present {
			continue
		}
		r.SubChanged = make([]bool, len(p.Subs))
		if seen++; seen%5 != 0 {
			continue
		}
		old := r.Scores[first]
		r.Scores[first] = old - 1
		if old == 0 {
			r.Scores[first] = 1
		}
		moved := stats.AttributeParts(r.SubScores[:2], []float64{p.Subs[0].Max, p.Subs[1].Max}, r.Scores[first])
		if moved == nil {
			t.Fatalf("%s: %v cannot be attributed to %v", res.Candidates[i].ExamNo, r.Scores[first], r.SubScores[:2])
		}
		copy(r.SubScores, moved)
		r.SubChanged[0], r.SubChanged[1] = true, true
	}
}
