package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/report/reporttest"
	"github.com/saoyue/saoyue/store/storetest"
)

// TestStagesPage walks the 考试进程 page as the centre uses it: the
// stages with the current one marked, an advance, a refusal shown in
// Chinese on the page, a forced advance with its reason in the history.
func TestStagesPage(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	exam := reporttest.SeedSmallExam(t, db, "marking")
	srv := httptest.NewServer(NewServer(db, nil, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	defer srv.Close()
	st := &site{t: t, db: db, srv: srv}
	st.user("marker1", false, []saoyue.Role{saoyue.RoleMarker}, nil, nil)
	st.user("centre1", false, []saoyue.Role{saoyue.RoleCentre}, nil, nil)
	if resp, err := st.client("marker1").Get(srv.URL + "/centre/stages?exam=21"); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("stages as a marker: %v %v, want 403", resp.StatusCode, err)
	}
	c := st.client("centre1")
	get := func(path string) string {
		t.Helper()
		resp, err := c.Get(srv.URL + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("stages page: %v %v", resp.StatusCode, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(b)
	}
	post := func(page string, form url.Values) string {
		t.Helper()
		form.Set("csrf", between(page, `name="csrf" value="`, `"`))
		form.Set("exam", "21")
		resp, err := c.PostForm(srv.URL+"/centre/stages/advance", form)
		if err != nil || resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("advance %v: %v %v", form, resp.StatusCode, err)
		}
		resp.Body.Close()
		return get(resp.Header.Get("Location"))
	}
	page := get("/centre/stages?exam=21")
	for _, w := range []string{`aria-current="step">阅卷中`, "下一阶段：复核中", "条件已满足", `推进到「复核中」`} {
		if !strings.Contains(page, w) {
			t.Errorf("stages page lacks %q", w)
		}
	}
	if resp, _ := c.PostForm(srv.URL+"/centre/stages/advance", url.Values{"exam": {"21"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("advance without the CSRF token: %d, want 403", resp.StatusCode)
	}
	page = post(page, url.Values{"to": {"review"}})
	if !strings.Contains(page, `aria-current="step">复核中`) || !strings.Contains(page, "考试已进入「复核中」阶段") {
		t.Fatalf("after advancing:\n%s", page)
	}
	_, err := grading.RequestReview(context.Background(), db, grading.ReviewRequestInput{Exam: "21", ExamNo: exam.ExamNos["G"],
		Subject: "math", RequestedBy: "二小教务处", Reason: "复查"})
	if err != nil {
		t.Fatal(err)
	}
	page = post(get("/centre/stages?exam=21"), url.Values{"to": {"final"}})
	if !strings.Contains(page, `id="stage-error">考试 21 从「复核中」进入「已发布」还不能进行：1 个查分申请还没有答复`) ||
		!strings.Contains(page, `aria-current="step">复核中`) {
		t.Fatalf("refusal not shown:\n%s", page)
	}
	page = post(page, url.Values{"to": {"final"}, "force": {"1"}, "reason": {"按期发布，查分另行答复"}})
	if !strings.Contains(page, `aria-current="step">已发布`) || !strings.Contains(page, "<b>强制</b>：按期发布，查分另行答复") {
		t.Fatalf("after forcing:\n%s", page)
	}
}
