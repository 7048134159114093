package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// TestAuditChain: every writer's rows are chained and verify in Go;
// UPDATE, DELETE and TRUNCATE are refused; a row edited behind the
// trigger's back (as a superuser could) breaks the chain at that row.
func TestAuditChain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t)
	p := db.Pool
	if err := store.Audit(ctx, p, "user:tech", "exception.exam_no", "exception", "7", nil, map[string]string{"exam_no": "2101"}, "考号贴错|换行\n", ""); err != nil {
		t.Fatal(err)
	}
	if err := store.InsertAudit(ctx, p, "teacher:3", "mark.submit", "marking_task", 9, nil, map[string]any{"total": 4.5}, ""); err != nil {
		t.Fatal(err)
	}
	uid := int64(0)
	if err := p.QueryRow(ctx, `INSERT INTO users (login, password_hash, roles) VALUES ('li', 'x', '{approver}') RETURNING id`).Scan(&uid); err != nil {
		t.Fatal(err)
	}
	if err := store.WriteAudit(ctx, p, store.AuditEntry{Actor: "user:wang", Action: "change_score", Entity: "item_score", EntityID: "1/2/26",
		Old: map[string]any{"score": 3}, New: map[string]any{"score": 5, "note": "引号\"与中文"}, Reason: "查分", ApprovedBy: "user:li", ApproverUserID: &uid}); err != nil {
		t.Fatal(err)
	}
	// Rows of one transaction are sealed at its commit, in order; a forged
	// seq or hash given on insert is ignored.
	if err := db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, action, entity, entity_id, seq, hash) VALUES ('x', 'a', 'e', '1', 99, 'forged')`); err != nil {
			return err
		}
		return store.Audit(ctx, tx, "x", "b", "e", "2", nil, nil, "", "")
	}); err != nil {
		t.Fatal(err)
	}
	// A row committed while another transaction seals does not wait: it
	// stays pending until the next writer or SealAudit seals it.
	holder, err := p.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_xact_lock(7311, hashtext(current_schema()))`); err != nil {
		t.Fatal(err)
	}
	if err := store.Audit(ctx, p, "x", "c", "e", "3", nil, nil, "", ""); err != nil {
		t.Fatal(err)
	}
	var pending int
	p.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE seq IS NULL`).Scan(&pending)
	holder.Rollback(ctx)
	if sealed, err := store.SealAudit(ctx, db); pending != 1 || err != nil || sealed != 1 {
		t.Fatalf("pending %d, sealed %d, %v", pending, sealed, err)
	}
	n, brk, err := store.VerifyAudit(ctx, p)
	if err != nil || brk != nil || n != 6 {
		t.Fatalf("verify: %d rows, break %v, err %v", n, brk, err)
	}
	var seqs, firstPrev string
	p.QueryRow(ctx, `SELECT string_agg(seq::text, ',' ORDER BY id), min(prev_hash) FROM audit_log`).Scan(&seqs, &firstPrev)
	if seqs != "1,2,3,4,5,6" || firstPrev != store.AuditGenesis {
		t.Errorf("seqs %s, first prev %s", seqs, firstPrev)
	}

	for _, sql := range []string{`UPDATE audit_log SET reason = 'x' WHERE seq = 2`, `DELETE FROM audit_log WHERE seq = 3`, `TRUNCATE audit_log`} {
		_, err := p.Exec(ctx, sql)
		if err == nil || !strings.Contains(err.Error(), "审计日志只能追加") {
			t.Errorf("%s: got %v, want refused", sql, err)
		}
	}

	// Tamper as a superuser would: disable the guard, edit, re-enable.
	conn, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, sql := range []string{
		`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`,
		`UPDATE audit_log SET new_value = '{"total": 6}' WHERE seq = 2`,
		`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`,
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	var id2 int64
	p.QueryRow(ctx, `SELECT id FROM audit_log WHERE seq = 2`).Scan(&id2)
	_, brk, err = store.VerifyAudit(ctx, p)
	if err != nil || brk == nil || brk.Seq != 2 || brk.ID != id2 {
		t.Fatalf("tampered row 2: break %v, err %v", brk, err)
	}
	if !strings.Contains(brk.Error(), "第 2 条") {
		t.Errorf("break message %q does not name the row", brk.Error())
	}
}
