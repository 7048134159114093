package grading_test

import (
	"context"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/report/reporttest"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

const testPassword = "Pass-1234"

// makeAccount creates a signed-in-able account with testPassword.
func makeAccount(t *testing.T, db *store.DB, login string, roles ...saoyue.Role) *store.User {
	t.Helper()
	hash, _ := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	u := &store.User{Login: login, Name: login, PasswordHash: string(hash), Roles: roles}
	if err := store.CreateUser(context.Background(), db.Pool, u); err != nil {
		t.Fatal(err)
	}
	return u
}

func itemScore(t *testing.T, db *store.DB, ref store.ItemScoreRef) float64 {
	t.Helper()
	var s float64
	if err := db.Pool.QueryRow(context.Background(), `SELECT score::float8 FROM item_scores WHERE candidate_id = $1 AND subject_id = $2 AND item = $3`,
		ref.CandidateID, ref.SubjectID, ref.Item).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestScoreChangeNeedsSecondAccount: once scores are released (review and
// final) a change by one signed-in account is only pending; the same
// account cannot approve it, an account without the approver role cannot
// either; a second approver account applies it, and the audit row carries
// both account ids. A rejection needs a note and changes nothing.
func TestScoreChangeNeedsSecondAccount(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	ctx := context.Background()
	exam := reporttest.SeedSmallExam(t, db, "review")
	if err := grading.Finalize(ctx, db, "21", "中心李"); err != nil {
		t.Fatal(err)
	}
	wang := makeAccount(t, db, "wang", saoyue.RoleCentre, saoyue.RoleApprover)
	li := makeAccount(t, db, "li", saoyue.RoleApprover)
	tech := makeAccount(t, db, "tech", saoyue.RoleCentre)
	c := grading.ScoreChange{Exam: "21", ExamNo: exam.ExamNos["E"], Subject: "math", Item: "4", Score: 2, Reason: "复核发现漏加 1 分"}
	ref := store.ItemScoreRef{CandidateID: exam.Candidates["E"], SubjectID: exam.Subjects["math"], Item: "4"}

	_, err := grading.ChangeScore(ctx, db, c)
	wantCode(t, "nobody signed in", err, saoyue.EUNAUTHORIZED)
	bad := c
	bad.By, bad.Score = wang, 6
	_, err = grading.ChangeScore(ctx, db, bad)
	wantCode(t, "above max", err, saoyue.EINVALID)

	c.By = wang
	res, err := grading.ChangeScore(ctx, db, c)
	if err != nil || !res.Pending || res.ChangeID == 0 || res.Old == nil || *res.Old != 1 {
		t.Fatalf("change after final: %+v %v", res, err)
	}
	if s := itemScore(t, db, ref); s != 1 {
		t.Fatalf("pending change applied at once: item 4 is %v", s)
	}
	wantCode(t, "approved by the proposer", grading.DecideScoreChange(ctx, db, res.ChangeID, wang, true, ""), saoyue.EFORBIDDEN)
	wantCode(t, "approved without the role", grading.DecideScoreChange(ctx, db, res.ChangeID, tech, true, ""), saoyue.EFORBIDDEN)
	wantCode(t, "rejected without a note", grading.DecideScoreChange(ctx, db, res.ChangeID, li, false, ""), saoyue.EINVALID)
	if s := itemScore(t, db, ref); s != 1 {
		t.Fatalf("refused approvals changed item 4 to %v", s)
	}
	if err := grading.DecideScoreChange(ctx, db, res.ChangeID, li, true, "核对原卷无误"); err != nil {
		t.Fatal(err)
	}
	if s := itemScore(t, db, ref); s != 2 {
		t.Fatalf("approved change: item 4 is %v, want 2", s)
	}
	wantCode(t, "approved twice", grading.DecideScoreChange(ctx, db, res.ChangeID, li, true, ""), saoyue.ECONFLICT)
	var actorID, approverID int64
	var actor, approvedBy string
	if err := db.Pool.QueryRow(ctx, `SELECT actor, approved_by, actor_user_id, approver_user_id FROM audit_log
		WHERE action = 'change_score' AND entity_id = $1`, ref.String()).Scan(&actor, &approvedBy, &actorID, &approverID); err != nil {
		t.Fatal(err)
	}
	if actorID != wang.ID || approverID != li.ID || actor != "user:wang" || approvedBy != "user:li" {
		t.Errorf("audit row: %s (%d) approved by %s (%d)", actor, actorID, approvedBy, approverID)
	}

	// A rejected change leaves the score.
	c.Score = 0
	res, err = grading.ChangeScore(ctx, db, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := grading.DecideScoreChange(ctx, db, res.ChangeID, li, false, "原卷第 4 题确有得分"); err != nil {
		t.Fatal(err)
	}
	if s := itemScore(t, db, ref); s != 2 {
		t.Errorf("rejected change: item 4 is %v, want 2", s)
	}
	if n, brk, err := store.VerifyAudit(ctx, db.Pool); err != nil || brk != nil || n == 0 {
		t.Errorf("audit chain: %d %v %v", n, brk, err)
	}
}

// TestAuthenticate: the CLI's identity check refuses a wrong password, a
// disabled account and a missing role.
func TestAuthenticate(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	ctx := context.Background()
	li := makeAccount(t, db, "li", saoyue.RoleApprover)
	if _, err := grading.Authenticate(ctx, db, "li", "wrong", "test", saoyue.RoleApprover); saoyue.ErrorCode(err) != saoyue.EUNAUTHORIZED {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := grading.Authenticate(ctx, db, "li", testPassword, "test", saoyue.RoleCentre); saoyue.ErrorCode(err) != saoyue.EFORBIDDEN {
		t.Errorf("missing role: %v", err)
	}
	if u, err := grading.Authenticate(ctx, db, "li", testPassword, "test", saoyue.RoleApprover); err != nil || u.ID != li.ID {
		t.Errorf("right password: %v", err)
	}
	db.Pool.Exec(ctx, `UPDATE users SET disabled = true WHERE id = $1`, li.ID)
	// A disabled account is refused like a wrong password: the answer
	// does not tell which accounts exist or what state they are in.
	if _, err := grading.Authenticate(ctx, db, "li", testPassword, "test"); saoyue.ErrorCode(err) != saoyue.EUNAUTHORIZED {
		t.Errorf("disabled account: %v", err)
	}
}
