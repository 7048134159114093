package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/saoyue/saoyue"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/saoyue/saoyue/grading/marking"
	"github.com/saoyue/saoyue/web/webtest"
)

// The steps people take in the browser. Every tab is a person: signed in
// with the one-time password they were handed, which the first sign-in
// makes them change.

const wait = 45 * time.Second

// signInFirst signs a person in at path for the first time and sets their
// own password; the page then goes on to path.
func (c *county) signInFirst(login, path string) context.Context {
	c.t.Helper()
	ctx := webtest.NewTab(c.t)
	webtest.SignIn(c.t, ctx, c.base, path, login, c.passwords[login])
	own := "own-secret-" + login
	err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("new")),
		chromedp.SendKeys(chromedp.ID("old"), c.passwords[login]),
		chromedp.SendKeys(chromedp.ID("new"), own),
		chromedp.SendKeys(chromedp.ID("again"), own),
		chromedp.Click(chromedp.ID("save")),
		chromedp.WaitNotPresent(chromedp.ID("again")),
	)
	if err != nil {
		c.shootFail(ctx, "password-"+login)
		c.t.Fatalf("%s's first sign-in (change of the one-time password): %v", login, err)
	}
	c.passwords[login] = own
	return ctx
}

// shootFail keeps what the page showed when a step failed.
func (c *county) shootFail(ctx context.Context, name string) {
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err == nil {
		_ = writeShot("e2e-fail-"+name, buf, c)
	}
}

func writeShot(name string, png []byte, c *county) error {
	return os.WriteFile(filepath.Join(webtest.ScreenshotDir(c.t), name+".png"), png, 0o644)
}

// pollString waits for a JS expression to give a non-empty string. A
// form's submit navigates the tab meanwhile: the poll starts again on the
// new page.
func pollString(ctx context.Context, expr string) (string, error) {
	deadline := time.Now().Add(wait)
	for {
		v, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const v = (`+expr+`); return v ? v : false })()`,
			chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(time.Until(deadline))))
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil || !navigated(err) {
			return v, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// navigated reports an evaluation cut off by the page going away.
func navigated(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "navigated") || strings.Contains(msg, "context") && strings.Contains(msg, "not found") ||
		strings.Contains(msg, "Cannot find context")
}

// clearExceptionsOnPage: each school's technician looks at the bag's
// reconciliation on /tech (which registers a card's missing side as an
// exception), then clears the bag's exceptions on /tech/exceptions by
// keyboard. An exam-number exception
// gets the right number from the room list (E, the number, Tab, the
// reason, Enter), which waits for the approver; anything else the
// technician checks on the paper and accepts (A).
func (c *county) clearExceptionsOnPage() {
	for _, s := range c.schools {
		ctx := c.signInFirst(s.tech, "/tech")
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("reconcile"))); err != nil {
			c.shootFail(ctx, "tech-"+s.code)
			c.t.Fatalf("school %s: no reconciliation on /tech: %v", s.code, err)
		}
		webtest.Shoot(c.t, ctx, "e2e-03-tech-"+s.code)
		if err := chromedp.Do(ctx, chromedp.Navigate(c.base+"/tech/exceptions")); err != nil {
			c.t.Fatal(err)
		}
		for i := 0; ; i++ {
			if i > 60 {
				c.t.Fatalf("school %s: the exception queue does not empty", s.code)
			}
			id, err := pollString(ctx, `document.getElementById("no-exceptions") ? "none" : (document.getElementById("exception") || {dataset: {}}).dataset.id`)
			if err != nil {
				c.shootFail(ctx, "tech-"+s.code)
				c.t.Fatalf("school %s: the exception page showed neither an exception nor an empty queue: %v", s.code, err)
			}
			if id == "none" {
				break
			}
			c.resolveOne(ctx, s, id)
			if _, err := pollString(ctx, fmt.Sprintf(`document.getElementById("no-exceptions") || (document.getElementById("exception") && document.getElementById("exception").dataset.id !== %q) ? "next" : ""`, id)); err != nil {
				c.shootFail(ctx, "tech-"+s.code)
				c.t.Fatalf("school %s: exception %s stayed on the page: %v", s.code, id, err)
			}
		}
		webtest.Shoot(c.t, ctx, "e2e-04-tech-done-"+s.code)
	}
}

// resolveOne decides one exception on the page.
func (c *county) resolveOne(ctx context.Context, s *school, id string) {
	c.t.Helper()
	var kind string
	var seq int
	if err := c.db.Pool.QueryRow(context.Background(), `
		SELECT e.kind, COALESCE(p.seq, 0) FROM exceptions e LEFT JOIN pages p ON p.id = e.page_id WHERE e.id = $1`, id).Scan(&kind, &seq); err != nil {
		c.t.Fatal(err)
	}
	var keys []chromedp.Action[chromedp.Void]
	if strings.HasPrefix(kind, "exam_no") && seq > 0 {
		// Side one of card (seq-1)/pages: the technician finds the
		// candidate on the room list.
		no := s.bag[(seq-1)/len(c.tmpl.Pages)]
		keys = []chromedp.Action[chromedp.Void]{chromedp.KeyEvent("e"), chromedp.KeyEvent(no),
			chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab), // past the answer field to the reason
			chromedp.KeyEvent("条形码贴错，按考场名单核对"), chromedp.KeyEvent(kb.Enter)}
		c.corrected++
		webtest.Shoot(c.t, ctx, "e2e-05-tech-exam-no")
	} else {
		keys = []chromedp.Action[chromedp.Void]{chromedp.KeyEvent("a")}
		c.accepted++
	}
	if err := chromedp.Do(ctx, append([]chromedp.Action[chromedp.Void]{webtest.Ready()}, keys...)...); err != nil {
		c.t.Fatalf("exception %s (%s): %v", id, kind, err)
	}
}

// approveOnPage: the approver approves every pending correction on
// /approvals.
func (c *county) approveOnPage() {
	rows, err := c.db.Pool.Query(context.Background(), `SELECT id FROM exceptions WHERE status = 'pending_approval' ORDER BY id`)
	if err != nil {
		c.t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		_ = rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) != c.corrected {
		c.t.Fatalf("%d corrections wait for approval, the technicians sent %d", len(ids), c.corrected)
	}
	ctx := c.signInFirst(approver, "/approvals")
	for i, id := range ids {
		button := chromedp.ID(fmt.Sprintf("approve-%d", id))
		if err := chromedp.Do(ctx, chromedp.WaitVisible(button)); err != nil {
			c.shootFail(ctx, "approvals")
			c.t.Fatalf("approval %d not on the page: %v", id, err)
		}
		if i == 0 {
			webtest.Shoot(c.t, ctx, "e2e-06-approvals")
		}
		// By keyboard: Tab to 批准 and Enter.
		c.fitsAndTabsTo(ctx, "更正审核", fmt.Sprintf("approve-%d", id))
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter), chromedp.WaitNotPresent(button)); err != nil {
			c.shootFail(ctx, "approvals")
			c.t.Fatalf("approve %d: %v", id, err)
		}
	}
	if n := c.count(`SELECT count(*) FROM exceptions WHERE status = 'resolved' AND approved_by IS NOT NULL`); n != len(ids) {
		c.t.Fatalf("%d exceptions approved, want %d", n, len(ids))
	}
}

// fitsAndTabsTo checks that the page, fresh from loading, has no
// horizontal scroll at 1366×768 and that Tab from its top reaches the
// button: the page is usable without a mouse. The button keeps the focus
// for the caller's Enter.
func (c *county) fitsAndTabsTo(ctx context.Context, page, button string) {
	c.t.Helper()
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil {
		c.t.Fatal(err)
	}
	if width > 1366 {
		c.shootFail(ctx, "wide-"+button)
		c.t.Errorf("%s is %d px wide: it scrolls sideways at 1366×768", page, width)
	}
	for tabs := 1; tabs <= 80; tabs++ {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			c.t.Fatal(err)
		}
		focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.activeElement || {}).id || ""`))
		if err != nil {
			c.t.Fatal(err)
		}
		if focused == button {
			c.t.Logf("%s: %d px wide, #%s after %d Tab", page, width, button, tabs)
			return
		}
	}
	c.shootFail(ctx, "tab-"+button)
	c.t.Fatalf("%s: 80 presses of Tab never reach #%s", page, button)
}

// markEverything: every teacher signs in on /mark and marks what the page
// offers, by keyboard only, until it has nothing left; then no answer is
// unmarked.
func (c *county) markEverything() {
	// Every teacher marks until their page is empty; tasks that appear as
	// others mark (a re-mark, a returned mark) need another round.
	total := 0
	tabs := map[string]context.Context{}
	for pass := 0; pass < 3; pass++ {
		for i, login := range c.teachers {
			if tabs[login] == nil {
				tabs[login] = c.signInFirst(login, "/mark")
			} else if err := chromedp.Do(tabs[login], chromedp.Navigate(c.base+"/mark"), webtest.Ready()); err != nil {
				c.t.Fatal(err)
			}
			total += c.markAll(tabs[login], login)
			if i == 0 && pass == 0 {
				webtest.Shoot(c.t, tabs[login], "e2e-07-mark")
			}
		}
		if c.count(`SELECT count(*) FROM marking_tasks WHERE status NOT IN ('marked', 'void')`) == 0 {
			break
		}
	}
	rows, _ := c.db.Pool.Query(context.Background(), `SELECT t.round, t.kind, t.status, g.code, g.mode, count(*)
		FROM marking_tasks t JOIN question_groups g ON g.id = t.group_id GROUP BY 1,2,3,4,5 ORDER BY 4,1`)
	for rows.Next() {
		var round, n int
		var kind, status, code, mode string
		_ = rows.Scan(&round, &kind, &status, &code, &mode, &n)
		c.t.Logf("tasks: group %s (%s) round %d %s %s: %d", code, mode, round, kind, status, n)
	}
	rows.Close()
	if left := c.count(`SELECT count(*) FROM marking_tasks WHERE status NOT IN ('marked', 'void')`); left != 0 {
		c.t.Fatalf("%d marking tasks left after every teacher marked (%d marks by keyboard)", left, total)
	}
	c.t.Logf("%d answers marked by keyboard", total)
}

// markAll marks on one teacher's page until it says there is nothing to
// mark: each part gets a digit (digitFor) and Enter, which moves to the
// next part or, on the last, submits.
func (c *county) markAll(ctx context.Context, login string) int {
	state := `document.querySelector("#crop .empty") || document.querySelector("main.narrow h1") ? "empty" :
		(document.querySelector("#crop img") && document.getElementById("crop").dataset.task) || ""`
	marked := 0
	for {
		id, err := pollString(ctx, state)
		if err != nil {
			c.shootFail(ctx, "mark-"+login)
			c.t.Fatalf("%s's marking page showed neither an answer nor an empty queue: %v", login, err)
		}
		if id == "empty" {
			return marked
		}
		parts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#parts input").length`))
		if err != nil || parts == 0 {
			c.t.Fatalf("%s: no score fields (%v)", login, err)
		}
		// "1" could begin "1.5" where the step is half a point: Enter
		// after each part moves on, the last one submits.
		digit := c.digitFor(id)
		if err := chromedp.Do(ctx, chromedp.KeyEvent(strings.Repeat(digit+kb.Enter, parts))); err != nil {
			c.t.Fatal(err)
		}
		if _, err := pollString(ctx, fmt.Sprintf(`(() => { const s = (%s); return s && s !== %q ? s : "" })()`, state, id)); err != nil {
			c.shootFail(ctx, "mark-"+login)
			c.t.Fatalf("%s: answer %s stayed on the page after Enter: %v", login, id, err)
		}
		marked++
	}
}

// centreTab is the centre's signed-in tab, opened once.
func (c *county) centreTab() context.Context {
	if c.centre == nil {
		c.centre = c.signInFirst(centreLogin, "/centre")
	}
	return c.centre
}

// watchCentre: the centre's dashboard shows every answer marked.
func (c *county) watchCentre() {
	ctx := c.centreTab()
	err := chromedp.Do(ctx, chromedp.Navigate(c.base+"/centre"), chromedp.WaitVisible(chromedp.ID("groups")))
	if err != nil {
		c.shootFail(ctx, "centre")
		c.t.Fatal(err)
	}
	done := `(() => { const m = document.getElementById("k-marked").textContent, n = document.getElementById("k-tasks").textContent;
		return m !== "0" && m === n ? m + "/" + n : "" })()`
	got, err := pollString(ctx, done)
	if err != nil {
		got, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("k-marked").textContent + "/" + document.getElementById("k-tasks").textContent`))
		c.t.Fatalf("the dashboard shows %s marked, not everything", got)
	}
	c.t.Logf("the centre's dashboard: %s marked", got)
	webtest.Shoot(c.t, ctx, "e2e-08-centre")
}

// centrePage opens one of the centre's pages and keeps a screenshot.
func (c *county) centrePage(path, shot string) context.Context {
	c.t.Helper()
	ctx := c.centreTab()
	if err := chromedp.Do(ctx, chromedp.Navigate(c.base+path), webtest.Ready()); err != nil {
		c.t.Fatalf("open %s: %v", path, err)
	}
	webtest.Shoot(c.t, ctx, shot)
	return ctx
}

// advanceOnPage: the centre moves the exam on its 考试进程 page, which fits
// 1366 px, by keyboard: Tab to the advance button and Enter.
func (c *county) advanceOnPage(to string) {
	ctx := c.centrePage("/centre/stages?exam="+examCode, "e2e-02-stages-"+to)
	c.fitsAndTabsTo(ctx, "考试进程", "advance")
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		c.shootFail(ctx, "stages")
		c.t.Fatalf("advance to %s on the stages page: %v", to, err)
	}
	// The form posts and the page comes back showing the new stage.
	want := saoyue.Stage(to).Name()
	if _, err := pollString(ctx, fmt.Sprintf(`((document.querySelector("ol.stages li.current") || {}).textContent || "").trim() === %q ? "ok" : ""`, want)); err != nil {
		c.shootFail(ctx, "stages")
		c.t.Fatalf("the stages page did not show %s after advancing: %v", want, err)
	}
	webtest.Shoot(c.t, ctx, "e2e-03-stages-"+to)
}

// planOnPage: on 阅卷安排 the centre makes the plan, sets group 31 to 2+1
// with a tolerance of half a point, and reads the plan's problem: the
// markers the 1+0 plan gave the group cannot give every answer two marks
// from two other schools and a third to arbitrate. The automatic plan made
// again gives the group markers of all three schools, and no problem is
// left.
func (c *county) planOnPage() {
	ctx := c.centrePage(fmt.Sprintf("/centre/plan?exam=%s&subject=%s", examCode, subjectCode), "e2e-09-plan")
	group := c.group31()
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("auto-plan")),
		chromedp.WaitVisible(chromedp.ID("no-problems")),
		chromedp.SetValue(chromedp.ID(fmt.Sprintf("mode-%d", group)), "2+1"),
		chromedp.SetValue(chromedp.ID(fmt.Sprintf("tol-%d", group)), "0.5"),
		chromedp.SetValue(chromedp.ID(fmt.Sprintf("arb-%d", group)), "marker"),
		chromedp.SetValue(chromedp.ID(fmt.Sprintf("rule-%d", group)), "mean"),
		chromedp.Click(chromedp.ID(fmt.Sprintf("save-%d", group))),
	)
	if err != nil {
		c.shootFail(ctx, "plan")
		c.t.Fatalf("plan on the page: %v", err)
	}
	// Every answer with a task gets its second round (the card named by an
	// approved correction gets both with the tasks command, below).
	firsts := c.count(`SELECT count(*) FROM marking_tasks WHERE group_id = $1 AND round = 1`, group)
	c.waitFor("second-round tasks of group 31 in 2+1", 30*time.Second, func() bool {
		return c.count(`SELECT count(*) FROM marking_tasks WHERE group_id = $1 AND round = 2 AND status = 'open'`, group) == firsts
	})
	problem, err := pollString(ctx, `(() => { const p = document.getElementById("problems"); return p && p.textContent.includes("题组 31：2+1 双评") ? p.textContent : "" })()`)
	if err != nil {
		c.shootFail(ctx, "plan-2+1")
		c.t.Fatalf("the plan page does not say the 1+0 plan's markers cannot mark group 31 in 2+1: %v", err)
	}
	c.t.Logf("the plan's problem in 2+1: %s", strings.Join(strings.Fields(problem), " "))
	webtest.Shoot(c.t, ctx, "e2e-09-plan-problem")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("auto-plan")), chromedp.WaitVisible(chromedp.ID("no-problems"))); err != nil {
		c.shootFail(ctx, "plan-auto-2+1")
		c.t.Fatalf("the automatic plan with group 31 in 2+1: %v", err)
	}
	webtest.Shoot(c.t, ctx, "e2e-10-plan-2+1")
	schools := c.count(`SELECT count(DISTINCT t.school_id) FROM marking_assignments a JOIN teachers t ON t.id = a.teacher_id WHERE a.group_id = $1`, group)
	markers := c.count(`SELECT count(*) FROM marking_assignments WHERE group_id = $1`, group)
	if schools != 3 || markers < 5 {
		c.t.Fatalf("the automatic plan gave group 31 (2+1) %d markers of %d schools, want at least 5 of 3", markers, schools)
	}
	if n := c.count(`SELECT count(*) FROM question_groups WHERE id = $1 AND mode = '2+1' AND tolerance = 0.5`, group); n != 1 {
		c.t.Fatalf("group 31 is not in 2+1 with a tolerance of 0.5 after the plan")
	}
}

// group31 is the id of question group 31 of the exam's subject.
func (c *county) group31() int {
	return c.count(`SELECT g.id FROM question_groups g JOIN subjects s ON s.id = g.subject_id JOIN exams e ON e.id = s.exam_id
		WHERE e.code = $1 AND s.code = $2 AND g.code = '31'`, examCode, subjectCode)
}

// digitFor is what a teacher types for the answer on their page: 1 for
// every part, but for two answers of group 31 (2+1, tolerance 0.5). The
// first group 31 answer anyone marks gets 2, so its two marks differ by
// 1 and it goes to arbitration; the arbitrating teacher gives 2 as well.
// The final score of that answer is then the mean of the two close marks,
// 2 (the mean of the first two would be 1.5, of any other answer 1). The
// test reads the task's round from the store, as a teacher would see the
// answer's history on paper.
func (c *county) digitFor(opaque string) string {
	c.t.Helper()
	ctx := context.Background()
	if c.ids == nil {
		ids, err := marking.LoadTaskIDs(ctx, c.db)
		if err != nil {
			c.t.Fatal(err)
		}
		c.ids = ids
	}
	id, err := c.ids.Decode(opaque)
	if err != nil {
		c.t.Fatalf("task %s: %v", opaque, err)
	}
	var round int
	var crop int64
	var code, kind string
	if err := c.db.Pool.QueryRow(ctx, `SELECT t.round, t.kind, g.code, t.crop_id FROM marking_tasks t JOIN question_groups g ON g.id = t.group_id
		WHERE t.id = $1`, id).Scan(&round, &kind, &code, &crop); err != nil {
		c.t.Fatal(err)
	}
	switch {
	case code != "31" || kind != "normal":
		return "1"
	case round == 3:
		c.arbitrated = append(c.arbitrated, crop)
		return "2"
	case c.disagreed == 0:
		c.disagreed = crop
		return "2"
	}
	return "1"
}

// arbitration: the answer whose two marks differ went to a third teacher,
// who is neither of the first two nor of the answer's school, and the
// candidate's score is what the group's rule makes of the three marks.
func (c *county) arbitration() {
	if c.disagreed == 0 || len(c.arbitrated) != 1 || c.arbitrated[0] != c.disagreed {
		c.t.Fatalf("answer %d was marked 2 against 1; arbitrations typed: %v", c.disagreed, c.arbitrated)
	}
	crop := c.disagreed
	if n := c.count(`SELECT count(*) FROM marking_tasks WHERE round = 3`); n != 1 {
		c.t.Fatalf("%d arbitration tasks, want 1", n)
	}
	third := c.count(`SELECT count(*) FROM marks m JOIN marking_tasks t ON t.id = m.task_id JOIN teachers te ON te.id = m.marker_id
		WHERE t.crop_id = $1 AND t.round = 3 AND m.kind = 'arbitration' AND m.total = 2 AND te.school_id <> t.school_id
		  AND m.marker_id NOT IN (SELECT m2.marker_id FROM marks m2 JOIN marking_tasks t2 ON t2.id = m2.task_id
			WHERE t2.crop_id = $1 AND t2.round < 3 AND t2.kind = 'normal')`, crop)
	firsts := c.count(`SELECT count(DISTINCT m.total) FROM marks m JOIN marking_tasks t ON t.id = m.task_id
		WHERE t.crop_id = $1 AND t.round < 3 AND t.kind = 'normal' AND m.total IN (1, 2)`, crop)
	if firsts != 2 {
		c.t.Fatalf("the arbitrated answer's first two marks are not 1 and 2")
	}
	if third != 1 {
		c.t.Fatalf("the arbitration of answer %d was not marked 2 by a third teacher of another school", crop)
	}
	final := c.count(`SELECT (s.score * 10)::int FROM item_scores s JOIN cards cd ON cd.candidate_id = s.candidate_id AND cd.subject_id = s.subject_id
		JOIN crops cr ON cr.card_id = cd.id WHERE cr.id = $1 AND s.item = '31'`, crop)
	if final != 20 {
		c.t.Fatalf("the arbitrated answer's item 31 scores %.1f, want 2 (the mean of the two close marks 2 and 2)", float64(final)/10)
	}
	if n := c.count(`SELECT count(*) FROM item_scores s JOIN cards cd ON cd.candidate_id = s.candidate_id AND cd.subject_id = s.subject_id
		JOIN crops cr ON cr.card_id = cd.id AND cr.group_id = $1 WHERE s.item = '31' AND s.score <> 1`, c.group31()); n != 1 {
		c.t.Fatalf("%d candidates' item 31 is not 1, want only the arbitrated one", n)
	}
}

// planSettingsAfterFinalRefused: on 阅卷安排 the centre tries to widen
// group 31's tolerance after final; the page answers with the Chinese
// refusal and the group keeps its settings.
func (c *county) planSettingsAfterFinalRefused() {
	ctx := c.centrePage(fmt.Sprintf("/centre/plan?exam=%s&subject=%s", examCode, subjectCode), "e2e-12-plan-after-final")
	group := c.group31()
	err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID(fmt.Sprintf("tol-%d", group)), "3"),
		chromedp.Click(chromedp.ID(fmt.Sprintf("save-%d", group))))
	if err == nil {
		_, err = pollString(ctx, `((document.getElementById("plan-error") || {}).textContent || "").includes("不能再修改") ? "refused" : ""`)
	}
	if err != nil {
		c.shootFail(ctx, "plan-after-final")
		c.t.Errorf("a group setting after final was not refused on the plan page: %v", err)
	}
	if n := c.count(`SELECT count(*) FROM question_groups WHERE id = $1 AND tolerance = 0.5`, group); n != 1 {
		c.t.Errorf("group 31's tolerance changed after final")
	}
}

// markAfterFinalRefused: a teacher's page offers nothing after final and
// says marking is over, and a submit through the marking API is refused.
func (c *county) markAfterFinalRefused() {
	login := c.teachers[0]
	ctx := webtest.NewTab(c.t)
	webtest.SignIn(c.t, ctx, c.base, "/mark", login, c.passwords[login])
	if _, err := pollString(ctx, `((document.querySelector("main.narrow") || {}).textContent || "").includes("已经结束") ? "none" : ""`); err != nil {
		c.shootFail(ctx, "mark-after-final")
		c.t.Fatalf("the marking page still offers answers after final")
	}
	webtest.Shoot(c.t, ctx, "e2e-11-mark-after-final")
	var task int64
	_ = c.db.Pool.QueryRow(context.Background(), `SELECT id FROM marking_tasks WHERE status = 'marked' LIMIT 1`).Scan(&task)
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`(async () => {
		const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
		const r = await fetch("/api/marking/tasks/%d/mark", {method: "PUT", headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
			body: JSON.stringify({scores: [0], duration_ms: 5000})});
		return r.status })()`, task), chromedp.EvalAwaitPromise))
	if err != nil || status < 400 {
		c.t.Errorf("a revision after final answered %d (%v)", status, err)
	}
}
