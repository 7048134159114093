package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
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
	if err := store.WriteAudit(ctx, p, store.AuditEntry{Actor: "user:tech", Action: saoyue.AuditExceptionResolve("exam_no"), Entity: saoyue.EntityException,
		EntityID: "7", New: map[string]string{"exam_no": "2101"}, Reason: "考号贴错|换行\n"}); err != nil {
		t.Fatal(err)
	}
	if err := store.WriteAudit(ctx, p, store.AuditEntry{Actor: "teacher:3", Action: saoyue.AuditMarkSubmit, Entity: saoyue.EntityMarkingTask,
		EntityID: "9", New: map[string]any{"total": 4.5}}); err != nil {
		t.Fatal(err)
	}
	uid := int64(0)
	if err := p.QueryRow(ctx, `INSERT INTO users (login, password_hash, roles) VALUES ('li', 'x', '{approver}') RETURNING id`).Scan(&uid); err != nil {
		t.Fatal(err)
	}
	if err := store.WriteAudit(ctx, p, store.AuditEntry{Actor: "user:wang", Action: saoyue.AuditChangeScore, Entity: saoyue.EntityItemScore, EntityID: "1/2/26",
		Old: map[string]any{"score": 3}, New: map[string]any{"score": 5, "note": "引号\"与中文"}, Reason: "查分", ApprovedBy: "user:li", ApproverUserID: &uid}); err != nil {
		t.Fatal(err)
	}
	// Rows of one transaction are sealed at its commit, in order; a forged
	// seq or hash given on insert is ignored.
	if err := db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, action, entity, entity_id, seq, hash) VALUES ('x', 'a', 'e', '1', 99, 'forged')`); err != nil {
			return err
		}
		return store.WriteAudit(ctx, tx, store.AuditEntry{Actor: "x", Action: "b", Entity: "e", EntityID: "2"})
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
	if err := store.WriteAudit(ctx, p, store.AuditEntry{Actor: "x", Action: "c", Entity: "e", EntityID: "3"}); err != nil {
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

// TestAuditNoValueIsNull: whatever form "no value" takes (nil, a nil
// pointer, map or slice, an empty or null json.RawMessage) it is stored
// as SQL NULL, never as JSON null, on every path: a plain entry and the
// entry of a refused attempt. Rows written before the rule with JSON null
// still verify, since the hash covers the stored text.
func TestAuditNoValueIsNull(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t)
	p := db.Pool
	nones := map[string]any{"nil": nil, "nil pointer": (*int)(nil), "nil map": map[string]any(nil), "nil slice": []float64(nil),
		"nil raw": json.RawMessage(nil), "null raw": json.RawMessage("null"), "spaced null raw": json.RawMessage(" null ")}
	for name, none := range nones {
		e := store.AuditEntry{Actor: "x", Action: saoyue.AuditMarkReturn, Entity: saoyue.EntityMark, EntityID: name, Old: none, New: none}
		if err := store.WriteAudit(ctx, p, e); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	refused := saoyue.Errorf(saoyue.EFORBIDDEN, "考试已发布")
	if err := store.WriteAudit(ctx, p, store.RefusedAudit("user:wang", saoyue.AuditMarkRevise, saoyue.EntityMarkingTask, "5", refused)); err != nil {
		t.Fatal(err)
	}
	if err := store.WriteAudit(ctx, p, store.AuditEntry{Actor: "x", Action: "a", Entity: "e", EntityID: "zero", Old: 0, New: []int{}}); err != nil {
		t.Fatal(err)
	}
	rows, err := p.Query(ctx, `SELECT entity_id, action, old_value::text, new_value::text, reason FROM audit_log ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][4]*string{}
	for rows.Next() {
		var id, action, reason string
		var o, n *string
		if err := rows.Scan(&id, &action, &o, &n, &reason); err != nil {
			t.Fatal(err)
		}
		got[id] = [4]*string{&action, o, n, &reason}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for name := range nones {
		if r := got[name]; r[1] != nil || r[2] != nil {
			t.Errorf("%s stored as old %v, new %v; want SQL NULL", name, deref(r[1]), deref(r[2]))
		}
	}
	if r := got["5"]; *r[0] != "refused" || r[1] != nil || deref(r[2]) != `{"action": "mark.revise"}` || *r[3] != "考试已发布" {
		t.Errorf("refused entry: %s old %v new %v reason %s", *r[0], deref(r[1]), deref(r[2]), *r[3])
	}
	if r := got["zero"]; deref(r[1]) != "0" || deref(r[2]) != "[]" {
		t.Errorf("a zero and an empty list are values: old %v new %v", deref(r[1]), deref(r[2]))
	}
	if _, err := p.Exec(ctx, `INSERT INTO audit_log (actor, action, entity, entity_id, old_value, new_value) VALUES ('x', 'a', 'e', 'legacy', 'null', 'null')`); err != nil {
		t.Fatal(err)
	}
	if _, err := store.SealAudit(ctx, db); err != nil {
		t.Fatal(err)
	}
	if n, brk, err := store.VerifyAudit(ctx, p); err != nil || brk != nil || n != len(nones)+3 {
		t.Errorf("verify: %d rows, break %v, err %v", n, brk, err)
	}
}

func deref(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
