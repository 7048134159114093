package e2e

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading/marking"
	"github.com/saoyue/saoyue/store"

	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/fixtures"
)

const (
	examCode    = "27"
	subjectCode = "math"
	centreLogin = "centre"
	approver    = "approver"
)

// county is the exam being run and what its people were handed: tokens,
// accounts and their passwords (one-time, then their own).
type county struct {
	*harness
	schools    []*school
	passwords  map[string]string // login → current password
	teachers   []string          // teacher logins, from create-from-roster
	tmpl       *card.Template
	accepted   int              // exceptions the technicians accepted
	corrected  int              // corrections that waited for the approver
	centre     context.Context  // the centre's signed-in tab
	ids        *marking.TaskIDs // reads the marking page's opaque task ids
	disagreed  int64            // the group 31 answer marked 2 against 1
	arbitrated []int64          // the answers arbitrated (marked 2 in round 3)
}

// school is one school of the county with its bag of cards.
type school struct {
	code, name string
	token      string
	tech       string   // technician login
	examNos    []string // room 1's exam numbers by seat: the printed room list
	bag        []string // the exam number each scanned card truly belongs to
}

// TestLifecycle runs a fresh exam from creation to report through the
// product's commands and pages only.
func TestLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("the lifecycle test builds the binaries, runs serve, worker and Chromium: skipped under -short")
	}
	start := time.Now()
	c := &county{harness: newHarness(t), passwords: map[string]string{}}
	c.start()
	step := func(name string, f func()) {
		t.Helper()
		t0 := time.Now()
		f()
		t.Logf("%-24s %6.1fs", name, time.Since(t0).Seconds())
	}

	// 准备 setup
	step("createExam", c.createExam)
	step("importRoster", c.importRoster)
	step("registerCardAndKey", c.registerCardAndKey)
	step("issueTokensAndAccounts", c.issueTokensAndAccounts)
	// 考号锁定 rosters_frozen
	step("printLabels", c.printLabels)
	step("addLateStudent", c.addLateStudent)
	// 扫描 scanning
	step("advance scanning", func() { c.advanceStage("scanning") })
	step("scanBags", c.scanBags)
	step("waitIdle", func() { c.waitIdle(3 * time.Minute) })
	step("clearExceptionsOnPage", c.clearExceptionsOnPage)
	step("approveOnPage", c.approveOnPage)
	step("exceptionRegister", c.exceptionRegister)
	// 阅卷 marking
	step("planMarkingOnPage", c.planMarkingOnPage)
	step("advance marking", func() { c.advanceStage("marking") })
	step("markEverything", c.markEverything)
	step("arbitration", c.arbitration)
	step("watchCentre", c.watchCentre)
	// 复核 review, 发布 final
	step("advance review", func() { c.advanceStage("review") })
	step("queryAndChangeScore", c.queryAndChangeScore)
	step("advance final", func() { c.advanceStage("final") })
	step("report", c.report)
	step("finalAndAssertFrozen", c.finalAndAssertFrozen)
	step("auditVerify", c.auditVerify)
	// 归档 archived
	step("advance archived", func() { c.advanceStage("archived") })
	t.Logf("lifecycle done in %s", time.Since(start).Round(time.Second))
}

// writeFile puts a file the county hands around into the scratch folder.
func (c *county) writeFile(name, body string) string {
	c.t.Helper()
	p := filepath.Join(c.dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		c.t.Fatal(err)
	}
	return p
}

func (c *county) createExam() {
	out := c.saoyue("exam", "create", "--code", examCode, "--name", "2026年秋季五年级学业质量监测（全流程测试）",
		"--subjects", subjectCode+":数学", "--capacity", "30")
	if !strings.Contains(out, "已创建考试 "+examCode) {
		c.t.Fatalf("exam create said: %s", out)
	}
}

// importRoster writes three schools, eight students and five mathematics
// teachers each (a 2+1 group arbitrated by a third marker needs five
// markers of the three schools, the other five groups two each), and imports them into the exam, which allocates rooms,
// seats and exam numbers.
func (c *county) importRoster() {
	var schools, students, teachers strings.Builder
	schools.WriteString("school_code,school_name,county,county_code\n")
	students.WriteString("school_code,student_no,name,gender,grade,class\n")
	teachers.WriteString("school_code,teacher_no,name,subjects\n")
	surnames := []rune("王李张刘陈杨赵黄周吴徐孙")
	given := []string{"子涵", "欣怡", "浩然", "梓萱", "宇轩", "诗琪", "俊杰", "雨桐", "一鸣"}
	for s := 1; s <= 3; s++ {
		code := fmt.Sprintf("0%d0%d", s, s)
		name := fmt.Sprintf("溪县第%s小学", []string{"", "一", "二", "三"}[s])
		c.schools = append(c.schools, &school{code: code, name: name})
		fmt.Fprintf(&schools, "%s,%s,溪县,500101\n", code, name)
		for i := 1; i <= 8; i++ {
			fmt.Fprintf(&students, "%s,G%s%03d,%c%s,%s,五年级,%d班\n", code, code, i,
				surnames[(s*3+i)%len(surnames)], given[i%len(given)], []string{"男", "女"}[i%2], 1+i%2)
		}
		for i := 1; i <= 5; i++ {
			fmt.Fprintf(&teachers, "%s,T%s%02d,%c老师%d,数学\n", code, code, i, surnames[(s+i)%len(surnames)], i)
		}
	}
	out := c.saoyue("exam", "import", "--exam", examCode,
		"--schools", c.writeFile("schools.csv", schools.String()),
		"--students", c.writeFile("students.csv", students.String()),
		"--teachers", c.writeFile("teachers.csv", teachers.String()))
	if !strings.Contains(out, "已导入 3 所学校、24 名学生、15 名教师") || !strings.Contains(out, "3 所学校 3 个考场，共 24 名考生") {
		c.t.Fatalf("exam import said: %s", out)
	}
	c.readRoomLists()
}

// readRoomLists takes each school's exam numbers from the exam's room
// lists, as the school does from the printed sheet. The test reads them
// from the store (read-only) rather than from the PDF.
func (c *county) readRoomLists() {
	ctx := context.Background()
	e, err := store.GetExam(ctx, c.db.Pool, examCode)
	if err != nil {
		c.t.Fatal(err)
	}
	cands, err := store.ListCandidates(ctx, c.db.Pool, e.ID, 0)
	if err != nil {
		c.t.Fatal(err)
	}
	for _, s := range c.schools {
		s.examNos = nil
		for _, cd := range cands {
			if cd.SchoolCode == s.code && cd.RoomNumber == 1 {
				s.examNos = append(s.examNos, cd.ExamNo)
			}
		}
		if len(s.examNos) < 8 {
			c.t.Fatalf("school %s has %d candidates in room 1, want 8 (or 9 with the late student)", s.code, len(s.examNos))
		}
	}
}

func (c *county) registerCardAndKey() {
	root := moduleRoot(c.t)
	tmplPath := filepath.Join(root, "fixtures/templates/math-a4.yaml")
	body, err := os.ReadFile(tmplPath)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.tmpl, err = card.Parse(body); err != nil {
		c.t.Fatal(err)
	}
	c.saoyue("template", "add", "--exam", examCode, "--subject", subjectCode, tmplPath)
	out := c.saoyue("key", "import", "--exam", examCode, "--subject", subjectCode, "--by", centreLogin, "--reason", "标准答案",
		filepath.Join(root, "fixtures/keys/math-a4.csv"))
	if !strings.Contains(out, "25 题") {
		c.t.Fatalf("key import said: %s", out)
	}
}

var (
	tokenLine = regexp.MustCompile(`(?m)^\s+(sy_\S+)\s*$`)
)

// issueTokensAndAccounts: a scan token and a technician per school, the
// centre's and the approver's accounts, and the teachers' from the roster
// with their one-time passwords in a file.
func (c *county) issueTokensAndAccounts() {
	for _, s := range c.schools {
		out := c.saoyue("token", "create", "--school", s.code, "--label", s.name+"扫描站")
		m := tokenLine.FindStringSubmatch(out)
		if m == nil {
			c.t.Fatalf("no token in: %s", out)
		}
		s.token = m[1]
		s.tech = "tech" + s.code
		c.addUser(s.tech, "technician", s.name+"技术员", "--school", s.code)
	}
	c.addUser(centreLogin, "centre", "县监测中心")
	c.addUser(approver, "approver", "中心审核人")
	file := filepath.Join(c.dir, "accounts.csv")
	c.saoyue("users", "create-from-roster", "--exam", examCode, "--out", file)
	f, err := os.Open(file)
	if err != nil {
		c.t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		c.t.Fatal(err)
	}
	for _, r := range rows[1:] { // 学校, 教师编号, 姓名, 账号, 一次性密码, 角色
		c.passwords[r[3]] = r[4]
		c.teachers = append(c.teachers, r[3])
	}
	if len(c.teachers) != 15 {
		c.t.Fatalf("%d teacher accounts, want 15", len(c.teachers))
	}
}

func (c *county) addUser(login, role, name string, more ...string) {
	c.t.Helper()
	out := c.saoyue(append([]string{"users", "add", "--login", login, "--role", role, "--name", name}, more...)...)
	m := regexp.MustCompile(`(?s)一次性密码：\s+(\S+)`).FindStringSubmatch(out)
	if m == nil {
		c.t.Fatalf("no one-time password in: %s", out)
	}
	c.passwords[login] = m[1]
}

// printLabels prints the labels and room lists: with the stage machine
// this freezes the exam numbers (考号锁定).
func (c *county) printLabels() {
	out := c.saoyue("exam", "labels", "--exam", examCode, "--out", filepath.Join(c.dir, "labels"))
	if !strings.Contains(out, "已生成 6 个 PDF 文件") {
		c.t.Fatalf("exam labels said: %s", out)
	}
	c.advanceStage("rosters_frozen")
}

// addLateStudent imports the roster again with one more student of the
// first school: after the labels, the import shows the change and applies
// it only with --confirm; the newcomer gets a new number and nobody's
// number moves.
func (c *county) addLateStudent() {
	s := c.schools[0]
	before := append([]string(nil), s.examNos...)
	body, _ := os.ReadFile(filepath.Join(c.dir, "students.csv"))
	late := c.writeFile("students-late.csv", string(body)+s.code+",G"+s.code+"999,迟来生,男,五年级,1班\n")
	preview := c.saoyue("exam", "import", "--exam", examCode, "--students", late)
	if !strings.Contains(preview, "--confirm") {
		c.t.Fatalf("a late import after the labels was not shown as a diff asking for --confirm: %s", preview)
	}
	c.saoyue("exam", "import", "--exam", examCode, "--students", late, "--confirm")
	c.readRoomLists()
	if len(s.examNos) < len(before) || strings.Join(before, ",") != strings.Join(s.examNos[:len(before)], ",") {
		c.t.Fatalf("a late student moved exam numbers:\nbefore %v\nafter  %v", before, s.examNos)
	}
	if n := c.count(`SELECT count(*) FROM candidates WHERE added_after_freeze`); n != 1 {
		c.t.Fatalf("%d candidates added after the freeze, want 1", n)
	}
}

// advanceStage moves the exam to the stage with `saoyue exam advance`
// (the centre's 考试进程 page does the same, see advanceOnPage).
func (c *county) advanceStage(to string) {
	c.t.Helper()
	if to == "scanning" {
		c.advanceOnPage(to)
	} else {
		c.saoyue("exam", "advance", "--exam", examCode, "--to", to, "--by", centreLogin)
	}
	if out := c.saoyue("exam", "stage", "--exam", examCode); !strings.Contains(out, "当前阶段："+saoyue.Stage(to).Name()) {
		c.t.Fatalf("exam stage after advancing to %s: %s", to, out)
	}
}

// scanBags generates each school's bag (room 1, both sides of every card)
// and uploads it with saoyue-scan import and the school's token. Two
// exceptions are made on purpose, so they come whatever the reader's
// version: the first school's first card carries an exam number nobody
// has (a sticker from another sheet, seat 99), so the technician must name
// the right candidate, which waits for the approver; the second school's
// second card lost its back side (the bag's reconciliation reports the
// missing page), which the technician accepts. The other cards are
// scanned at the "typical" level: whatever doubtful marks the reader
// finds there the technicians accept too.
func (c *county) scanBags() {
	dirs := make([]string, len(c.schools))
	var wg sync.WaitGroup
	errs := make(chan error, len(c.schools))
	for k, s := range c.schools {
		level, dropBack := "typical", -1
		if k == 1 {
			dropBack = 1
		}
		s.bag = append([]string(nil), s.examNos...)
		printed := append([]string(nil), s.examNos...)
		if k == 0 {
			level = "clean"
			printed[0] = s.examNos[0][:len(s.examNos[0])-2] + "99"
		}
		dirs[k] = filepath.Join(c.dir, "scans", s.code)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- c.writeBag(dirs[k], level, uint64(20+k), printed, dropBack)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			c.t.Fatal(err)
		}
	}
	for k, s := range c.schools {
		out := c.scan("import", dirs[k], "--exam", examCode, "--subject", subjectCode, "--school", s.code,
			"--room", "1", "--expected", fmt.Sprint(len(s.bag)), "--server", c.base, "--token", s.token,
			"--spool", filepath.Join(c.dir, "spool", s.code), "--quiet")
		pages := len(s.bag) * len(c.tmpl.Pages)
		if k == 1 {
			pages-- // the lost back side
		}
		if want := fmt.Sprintf("已上传  %d 页", pages); !strings.Contains(out, want) {
			c.t.Fatalf("saoyue-scan for %s said: %s", s.code, out)
		}
	}
}

// writeBag writes what the school's scanner saves for a bag: both sides
// of each card, named in feed order, but for card dropBack's back side.
func (c *county) writeBag(dir, level string, seed uint64, printed []string, dropBack int) error {
	g, err := fixtures.NewGenerator(c.tmpl, fixtures.Options{Level: level, Seed: seed,
		ExamNumbers: func(i int) string { return printed[i] }})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := range printed {
		scans, err := g.Card(i)
		if err != nil {
			return err
		}
		for _, sc := range scans {
			if i == dropBack && sc.Truth.Page > 1 {
				continue
			}
			name := fmt.Sprintf("%05d-%s", i*len(c.tmpl.Pages)+sc.Truth.Page, sc.Name)
			if err := os.WriteFile(filepath.Join(dir, name), sc.Image, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// exceptionRegister: the centre's 异常登记 lists every school's
// exceptions, here all cleared.
func (c *county) exceptionRegister() {
	if n := c.count(`SELECT count(*) FROM exceptions WHERE status <> 'resolved'`); n != 0 {
		c.t.Fatalf("%d exceptions left after the technicians and the approver", n)
	}
	if c.accepted == 0 || c.corrected == 0 {
		c.t.Fatalf("the bags made %d accepted and %d approved exceptions; the walk needs at least one of each", c.accepted, c.corrected)
	}
	c.centrePage("/centre/exceptions?exam="+examCode, "e2e-12-exceptions")
}

// planMarkingOnPage: the centre assigns the teachers on 阅卷安排, sets one
// group to 2+1 with a tolerance, and checks the plan has no problems.
func (c *county) planMarkingOnPage() {
	c.planOnPage()
	// Crops whose card was identified by an approved correction have no
	// task yet: the documented command creates them (idempotent).
	c.saoyue("marking", "tasks", "--exam", examCode, "--subject", subjectCode)
	if n := c.count(`SELECT count(*) FROM crops WHERE card_id IS NULL`); n != 0 {
		c.t.Fatalf("%d answer crops have no card", n)
	}
	g := c.group31()
	crops := c.count(`SELECT count(*) FROM crops WHERE group_id = $1`, g)
	if n := c.count(`SELECT count(*) FROM marking_tasks WHERE group_id = $1 AND round = 2 AND status = 'open'`, g); n != crops {
		c.t.Fatalf("group 31 in 2+1: %d second rounds for %d answers", n, crops)
	}
}

// queryAndChangeScore: a school asks for a 查分 on a candidate's item in
// review, the centre answers with a changed score, approved by a second
// signed-in person.
func (c *county) queryAndChangeScore() {
	s := c.schools[1]
	examNo := s.examNos[2]
	out := c.saoyue("review", "request", "--exam", examCode, "--exam-no", examNo, "--subject", subjectCode,
		"--item", "31", "--by", s.name+"教务处", "--reason", "家长认为第31题漏评")
	id := regexp.MustCompile(`已登记查分申请 (\d+)`).FindStringSubmatch(out)
	if id == nil {
		c.t.Fatalf("review request said: %s", out)
	}
	// Two real people: the centre proposes, the approver approves with
	// their own credentials.
	out = c.saoyueEnv([]string{"SAOYUE_PASSWORD=" + c.passwords[centreLogin]}, "review", "change", "--login", centreLogin,
		"--exam", examCode, "--exam-no", examNo, "--subject", subjectCode, "--item", "31", "--score", "9",
		"--reason", "复评：第31题第二步漏评")
	change := regexp.MustCompile(`改分申请 (\d+)`).FindStringSubmatch(out)
	if change == nil {
		c.t.Fatalf("review change said: %s", out)
	}
	c.saoyueEnv([]string{"SAOYUE_PASSWORD=" + c.passwords[approver]}, "review", "approve", change[1], "--login", approver)
	c.saoyueEnv([]string{"SAOYUE_PASSWORD=" + c.passwords[centreLogin]}, "review", "answer", "--id", id[1], "--login", centreLogin,
		"--answer", "复评后第31题改为 9 分")
	if n := c.count(`SELECT count(*) FROM item_scores s JOIN candidates ca ON ca.id = s.candidate_id WHERE ca.exam_no = $1 AND s.item = '31' AND s.score = 9`, examNo); n != 1 {
		c.t.Fatalf("the 查分 change did not set item 31 of %s to 9", examNo)
	}
}

func (c *county) report() {
	file := filepath.Join(c.dir, "report.xlsx")
	out := c.saoyue("report", "--exam", examCode, "--out", file)
	if !strings.Contains(out, "25 名考生") { // 24 of the roster and the late one
		c.t.Fatalf("report said: %s", out)
	}
	if st, err := os.Stat(file); err != nil || st.Size() < 10000 {
		c.t.Fatalf("report workbook: %v", err)
	}
}

// finalAndAssertFrozen: after final, every command and route that changes
// a score is refused, and the refusal is audited.
func (c *county) finalAndAssertFrozen() {
	s := c.schools[0]
	before := c.count(`SELECT count(*) FROM audit_log`)
	// The one path left: a 查分 change waits for a second signed-in
	// person and changes nothing until then; here the approver rejects it.
	score := func() int {
		return c.count(`SELECT count(*) FROM item_scores sc JOIN candidates ca ON ca.id = sc.candidate_id
			WHERE ca.exam_no = $1 AND sc.item = '26' AND sc.score = 1`, s.examNos[0])
	}
	was := score()
	out := c.saoyueEnv([]string{"SAOYUE_PASSWORD=" + c.passwords[centreLogin]}, "review", "change", "--login", centreLogin,
		"--exam", examCode, "--exam-no", s.examNos[0], "--subject", subjectCode, "--item", "26", "--score", "1", "--reason", "发布后改分")
	change := regexp.MustCompile(`改分申请 (\d+)`).FindStringSubmatch(out)
	if change == nil || score() != was {
		c.t.Fatalf("a score change after final did not wait for a second person: %s", out)
	}
	c.saoyueEnv([]string{"SAOYUE_PASSWORD=" + c.passwords[approver]}, "review", "approve", change[1], "--login", approver,
		"--reject", "--note", "发布后不改")
	if score() != was {
		c.t.Errorf("a rejected change after final changed the score")
	}
	c.saoyueFails("key", "import", "--exam", examCode, "--subject", subjectCode, "--by", centreLogin, "--reason", "发布后改答案",
		filepath.Join(moduleRoot(c.t), "fixtures/keys/math-a4.csv"))
	c.markAfterFinalRefused()
	c.planSettingsAfterFinalRefused()
	if after := c.count(`SELECT count(*) FROM audit_log`); after <= before {
		c.t.Errorf("refused changes after final left no audit rows (%d before, %d after)", before, after)
	}
}

// auditVerify: the audit chain verifies; a tampered row makes it fail.
func (c *county) auditVerify() {
	c.saoyue("audit", "verify")
	// The trigger refuses UPDATE: tampering needs the trigger off, as an
	// intruder with the database owner's rights would do.
	_, err := c.db.Pool.Exec(context.Background(), `
		ALTER TABLE audit_log DISABLE TRIGGER USER;
		UPDATE audit_log SET reason = 'tampered' WHERE id = (SELECT min(id) + 3 FROM audit_log);
		ALTER TABLE audit_log ENABLE TRIGGER USER;`)
	if err != nil {
		c.t.Fatal(err)
	}
	msg := c.saoyueFails("audit", "verify")
	if !strings.Contains(msg, "audit") && !strings.Contains(msg, "审计") {
		c.t.Errorf("audit verify on a tampered row: %s", msg)
	}
}

// saoyueEnv runs saoyue with extra environment (a password), which must
// succeed.
func (c *county) saoyueEnv(env []string, args ...string) string {
	c.t.Helper()
	saved := c.env
	c.env = append(append([]string(nil), c.env...), env...)
	defer func() { c.env = saved }()
	return c.saoyue(args...)
}
