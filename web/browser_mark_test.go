package web

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/saoyue/saoyue/web/webtest"
)

// TestBrowserMarking: a teacher signs in with a one-time password, changes
// it, marks answers by keyboard only (ten, then on to a hundred), flags one,
// revises one; the next answer must be on screen within 100 ms of Enter.
func TestBrowserMarking(t *testing.T) {
	s := newSite(t, "31")
	u, _ := s.teacherUser("t_mark", "marker", true)
	ctx := webtest.NewTab(t)
	base := s.srv.URL

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/mark"), chromedp.WaitVisible(chromedp.ID("login"))); err != nil {
		t.Fatal(err)
	}
	webtest.Shoot(t, ctx, "01-signin")
	webtest.SignIn(t, ctx, base, "/mark", u.Login, testPassword)
	const newPassword = "my-own-secret-1"
	err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("new")),
	)
	if err != nil {
		t.Fatalf("first sign-in did not ask for a new password: %v", err)
	}
	webtest.Shoot(t, ctx, "02-password")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("old"), testPassword),
		chromedp.SendKeys(chromedp.ID("new"), newPassword),
		chromedp.SendKeys(chromedp.ID("again"), newPassword),
		chromedp.Click(chromedp.ID("save")),
		chromedp.WaitVisible(chromedp.CSS("#crop img")),
		// The page keeps four answers ready before we start timing.
		webtest.Discard(chromedp.Poll[bool](`!!(window.saoyueMark && window.saoyueMark.queue.length >= 2)`, chromedp.WithPollingTimeout(45*time.Second))),
	)
	if err != nil {
		t.Fatalf("marking page did not show an answer: %v", err)
	}
	webtest.Shoot(t, ctx, "03-mark")

	current := func() string {
		id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("crop").dataset.task || ""`))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	waitChange := func(prev string) string {
		t.Helper()
		id, err := chromedp.Run(ctx, chromedp.Poll[string](fmt.Sprintf(`(() => { const id = document.getElementById("crop").dataset.task; return id && id !== %q && document.querySelector("#crop img") ? id : false })()`, prev),
			chromedp.WithPollingInterval(2*time.Millisecond), chromedp.WithPollingTimeout(45*time.Second)))
		if err != nil {
			webtest.Shoot(t, ctx, "fail")
			state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({banner: document.getElementById("banner").textContent, queue: window.saoyueMark.queue.length, inputs: Array.from(document.querySelectorAll("#parts input")).map(x => x.value), active: document.activeElement.id, log: window.saoyueMark.log})`))
			t.Fatalf("the next answer did not come after %s: %v; page: %s", prev, err, state)
		}
		return id
	}
	// markOne types the two parts' scores: "4" fills part 1 (max 6) and
	// moves on by itself, "3" fills part 2, Enter submits.
	markOne := func(a, b int) {
		t.Helper()
		// A glance at the answer: even this is thirty times faster than the
		// 3 s per answer the quality check calls too fast, and it lets the
		// prefetch do what it does for a person.
		time.Sleep(readingTime)
		prev := current()
		if err := chromedp.Do(ctx, chromedp.KeyEvent(fmt.Sprintf("%d%d", a, b)), chromedp.KeyEvent(kb.Enter)); err != nil {
			t.Fatal(err)
		}
		waitChange(prev)
	}

	for i := 0; i < 10; i++ {
		markOne(i%7, i%5)
	}
	if n := s.count(`SELECT count(*) FROM marks WHERE marker_id = $1`, *u.TeacherID); n != 10 {
		// Submits run in the background: give the last one a moment.
		time.Sleep(300 * time.Millisecond)
		if n := s.count(`SELECT count(*) FROM marks WHERE marker_id = $1`, *u.TeacherID); n != 10 {
			t.Fatalf("%d marks stored after ten submits", n)
		}
	}

	// 问题卷: F, reason 2 (illegible), Enter.
	prev := current()
	if err := chromedp.Do(ctx, chromedp.KeyEvent("f"), chromedp.WaitVisible(chromedp.ID("flag-dialog"))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent("2")); err != nil {
		t.Fatal(err)
	}
	webtest.Shoot(t, ctx, "04-flag")
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	waitChange(prev)
	waitFor(t, func() bool {
		return s.count(`SELECT count(*) FROM problem_flags WHERE reason = 'illegible'`) == 1
	}, "the flag to be stored")

	// Revise the last mark: Backspace on the empty first part opens it,
	// "5" "2" replace the scores, Enter saves.
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Backspace),
		chromedp.WaitVisible(chromedp.ID("mode-label"))); err != nil {
		t.Fatal(err)
	}
	webtest.Shoot(t, ctx, "05-revise")
	if err := chromedp.Do(ctx, chromedp.KeyEvent("52"), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitNotVisible(chromedp.ID("mode-label"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		return s.count(`SELECT count(*) FROM marks WHERE marker_id = $1 AND total = 7`, *u.TeacherID) >= 1 &&
			s.count(`SELECT count(*) FROM audit_log WHERE action LIKE '%revise%'`) >= 1
	}, "the revision to be stored and audited")

	// On to a hundred answers, keyboard only.
	for i := 10; i < 100; i++ {
		markOne(i%7, i%5)
	}
	waitFor(t, func() bool {
		return s.count(`SELECT count(*) FROM marks WHERE marker_id = $1`, *u.TeacherID) == 100
	}, "a hundred marks")
	webtest.Shoot(t, ctx, "06-mark-after-100")

	lat, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`window.saoyueMark.latencies`))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(lat)
	if len(lat) < 100 {
		t.Fatalf("%d latencies recorded", len(lat))
	}
	p := func(q float64) float64 { return lat[int(q*float64(len(lat)-1))] }
	report := fmt.Sprintf("next answer after Enter, %d answers: median %.1f ms, p95 %.1f ms, max %.1f ms\n", len(lat), p(0.5), p(0.95), lat[len(lat)-1])
	t.Log(report)
	_ = os.WriteFile(filepath.Join(webtest.ScreenshotDir(t), "latency.txt"), []byte(report), 0o644)
	// The 100 ms goal is a benchmark figure (BENCHMARKS.md), not an
	// assertion: a test run shares the machine with the rest of the suite.

	// Nothing on the page names the candidate or their school.
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"学校31", "学生", "31" + "01"} {
		if strings.Contains(html, bad) {
			t.Errorf("the marking page shows %q", bad)
		}
	}
}

// readingTime is the test teacher's pause before typing each score.
const readingTime = 100 * time.Millisecond

func waitFor(t *testing.T, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
