package web

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/web/webtest"
)

// TestBrowserCentrePlan: the centre opens 阅卷安排 from its dashboard and
// plans the subject with the keyboard alone: the automatic plan, a
// teacher put on the group as leader, and the group set to 2+1 with a
// tolerance of 2 (its answers, already tasked, get their second round).
func TestBrowserCentrePlan(t *testing.T) {
	s := newSite(t, "44")
	s.user("plan_centre", false, []saoyue.Role{saoyue.RoleCentre}, nil, nil)
	g := s.seed.Groups[0]
	ctx := webtest.NewTab(t)
	webtest.SignIn(t, ctx, s.srv.URL, "/centre", "plan_centre", testPassword)
	wait := func(what string, acts ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, acts...); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
			t.Fatalf("%s: %v\n%s", what, err, html)
		}
	}
	// A form posts and the page reloads: poll across the navigation for
	// the outcome this step should show.
	waitOK := func(text string) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.readyState === "complete" && !!(document.getElementById("plan-ok")||{textContent:""}).textContent.includes(%q)`, text)))
			if err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
				t.Fatalf("no %q: %v\n%s", text, err, html)
			}
		}
	}
	wait("dashboard link", chromedp.WaitVisible(chromedp.ID("link-plan")), webtest.Ready(),
		chromedp.Focus(chromedp.ID("link-plan")), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("auto-plan")), webtest.Ready())

	wait("auto plan", chromedp.Focus(chromedp.ID("auto-plan")), chromedp.KeyEvent(kb.Enter))
	waitOK("自动生成")

	// The second teacher of the roster joins group 17 as its leader.
	sel := fmt.Sprintf("teacher-%d", g)
	wait("assign", chromedp.Focus(chromedp.ID(sel)), chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowDown))
	tv, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.getElementById(%q).value`, sel)))
	teacher, _ := strconv.ParseInt(tv, 10, 64)
	if err != nil || teacher == 0 {
		t.Fatalf("no teacher chosen with the arrow keys: %q %v", tv, err)
	}
	wait("role", chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Enter))
	waitOK("已安排教师")
	if n := s.count(`SELECT count(*) FROM marking_assignments WHERE teacher_id = $1 AND group_id = $2 AND role = 'leader'`, teacher, g); n != 1 {
		t.Errorf("teacher %d not leader of the group", teacher)
	}

	// 2+1 with a tolerance of 2: type 2 on the mode, Tab, 2, Enter.
	wait("mode", chromedp.Focus(chromedp.ID(fmt.Sprintf("mode-%d", g))), chromedp.KeyEvent("2"), chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent("2"), chromedp.KeyEvent(kb.Enter))
	waitOK("设置已保存")
	if n := s.count(`SELECT count(*) FROM question_groups WHERE id = $1 AND mode = '2+1' AND tolerance = 2`, g); n != 1 {
		var mode string
		var tol float64
		_ = s.db.Pool.QueryRow(t.Context(), `SELECT mode, tolerance::float8 FROM question_groups WHERE id = $1`, g).Scan(&mode, &tol)
		t.Errorf("group is %s with tolerance %g, want 2+1 with 2", mode, tol)
	}
	crops := s.count(`SELECT count(*) FROM crops WHERE group_id = $1`, g)
	if n := s.count(`SELECT count(*) FROM marking_tasks WHERE group_id = $1 AND round = 2 AND status = 'open'`, g); n != crops {
		t.Errorf("%d second rounds for %d answers", n, crops)
	}
	head, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID(fmt.Sprintf("h-%d", g))))
	if !strings.Contains(head, "2+1") {
		t.Errorf("group heading after the change: %q", head)
	}
	webtest.Shoot(t, ctx, "10-centre-plan")
}
