package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
)

// postFrom submits a form as the signed-in client with the CSRF token of
// the page it was posted from; it returns the status and the redirect.
func (s *site) postFrom(c *http.Client, page, path string, form url.Values) (int, string) {
	s.t.Helper()
	_, body := s.get(c, page)
	form.Set("csrf", between(body, `name="csrf-token" content="`, `"`))
	resp, err := c.PostForm(s.srv.URL+path, form)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Location")
}

// TestApprovalsScoreChangeButtons: after final, a score change proposed
// by one approver waits on /approvals. The proposer's own 批准 is refused
// with the Chinese reason and changes nothing; a second approver's 驳回
// needs a note and leaves the score; their 批准 of another change applies
// it, recorded with both accounts.
func TestApprovalsScoreChangeButtons(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newSite(t, "47")
	proposer := s.user("sc_wang", false, []saoyue.Role{saoyue.RoleCentre, saoyue.RoleApprover}, nil, nil)
	s.user("sc_li", false, []saoyue.Role{saoyue.RoleApprover}, nil, nil)
	if _, err := grading.AdvanceTo(ctx, s.db, "47", saoyue.StageFinal, "test", "测试：直接发布"); err != nil {
		t.Fatal(err)
	}
	var examNo string
	if err := s.db.Pool.QueryRow(ctx, `SELECT exam_no FROM candidates ORDER BY exam_no LIMIT 1`).Scan(&examNo); err != nil {
		t.Fatal(err)
	}
	propose := func(score float64) int64 {
		res, err := grading.ChangeScore(ctx, s.db, grading.ScoreChange{Exam: "47", ExamNo: examNo, Subject: "math", Item: "17",
			Score: score, By: proposer, Reason: "查分：第17题漏评"})
		if err != nil || !res.Pending {
			t.Fatalf("propose %g: %+v %v", score, res, err)
		}
		return res.ChangeID
	}
	score := func() string {
		var v string
		_ = s.db.Pool.QueryRow(ctx, `SELECT COALESCE(max(s.score)::text, 'none') FROM item_scores s JOIN candidates c ON c.id = s.candidate_id
			WHERE c.exam_no = $1 AND s.item = '17'`, examNo).Scan(&v)
		return v
	}
	first, second := propose(7), propose(9)
	was := score()

	own := s.client("sc_wang")
	code, page := s.get(own, "/approvals")
	// The proposer sees the change without its buttons; a POST made by
	// hand is refused all the same.
	if code != 200 || !strings.Contains(page, fmt.Sprintf(`id="change-%d"`, first)) || !strings.Contains(page, "本人提交，须他人审核") ||
		strings.Contains(page, fmt.Sprintf(`id="approve-change-%d"`, first)) {
		t.Fatalf("the proposer's /approvals (%d) does not show change %d as theirs, without buttons", code, first)
	}
	st, loc := s.postFrom(own, "/approvals", fmt.Sprintf("/approvals/scores/%d", first), url.Values{"decision": {"approve"}})
	if msg, _ := url.QueryUnescape(strings.TrimPrefix(loc, "/approvals?error=")); st != http.StatusSeeOther || !strings.Contains(msg, "不能审核自己提交的更改") {
		t.Errorf("the proposer's own approval: %d %s", st, msg)
	}
	if n := s.count(`SELECT count(*) FROM score_changes WHERE id = $1 AND status = 'pending'`, first); n != 1 || score() != was {
		t.Fatalf("the proposer's own approval changed something: pending %d, score %s (was %s)", n, score(), was)
	}

	li := s.client("sc_li")
	if _, page := s.get(li, "/approvals"); !strings.Contains(page, fmt.Sprintf(`id="approve-change-%d"`, first)) ||
		!strings.Contains(page, fmt.Sprintf(`id="reject-change-%d"`, second)) {
		t.Fatalf("a second approver's /approvals does not offer the buttons")
	}
	st, loc = s.postFrom(li, "/approvals", fmt.Sprintf("/approvals/scores/%d", second), url.Values{"decision": {"reject"}})
	if msg, _ := url.QueryUnescape(loc); st != http.StatusSeeOther || !strings.Contains(msg, "驳回时请写明理由") {
		t.Errorf("a rejection without a note: %d %s", st, msg)
	}
	st, loc = s.postFrom(li, "/approvals", fmt.Sprintf("/approvals/scores/%d", second), url.Values{"decision": {"reject"}, "note": {"原评分无误"}})
	if st != http.StatusSeeOther || loc != "/approvals" {
		t.Errorf("reject: %d %s", st, loc)
	}
	if n := s.count(`SELECT count(*) FROM score_changes WHERE id = $1 AND status = 'rejected'`, second); n != 1 || score() != was {
		t.Errorf("rejected change %d: %d rows rejected, score %s (was %s)", second, n, score(), was)
	}
	st, loc = s.postFrom(li, "/approvals", fmt.Sprintf("/approvals/scores/%d", first), url.Values{"decision": {"approve"}})
	if st != http.StatusSeeOther || loc != "/approvals" {
		t.Fatalf("approve: %d %s", st, loc)
	}
	if score() != "7.0" {
		t.Errorf("approved change: item 17 scores %s, want 7.0", score())
	}
	if n := s.count(`SELECT count(*) FROM score_changes WHERE id = $1 AND status = 'applied'`, first); n != 1 {
		t.Errorf("change %d not applied", first)
	}
	if n := s.count(`SELECT count(*) FROM audit_log WHERE actor = 'user:sc_wang' AND approved_by = 'user:sc_li'`); n == 0 {
		t.Errorf("the applied change is not audited with both accounts")
	}
	if _, page = s.get(li, "/approvals"); strings.Contains(page, fmt.Sprintf(`id="approve-change-%d"`, first)) {
		t.Errorf("a decided change is still offered")
	}
}
