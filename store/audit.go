package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
)

// The audit log (DOMAIN rule 3) is append-only and hash-chained: a
// deferred trigger of migration 0011 seals rows as their transaction
// commits (numbers them, stores the previous row's hash and their own),
// without waiting when another transaction is sealing (then the next
// writer, or SealAudit, seals them); triggers refuse UPDATE, DELETE and
// TRUNCATE. WriteAudit is the one writer; VerifyAudit recomputes the chain.

// AuditEntry is one row to write. Old and New are stored as JSON, except
// that no value is stored as SQL NULL: a value whose JSON is null (nil, a
// nil pointer, map or slice, an empty or "null" json.RawMessage) is never
// JSON null in the log. (Rows written before this rule may hold JSON null;
// their hashes cover the stored text, so they still verify.)
type AuditEntry struct {
	Actor          string
	Action         saoyue.AuditAction
	Entity         saoyue.AuditEntity
	EntityID       string
	Old, New       any
	Reason         string
	ApprovedBy     string // "" = none
	ActorUserID    *int64 // the signed-in account that acted, if any
	ApproverUserID *int64 // the signed-in account that approved, if any
}

const auditInsertSQL = `
	INSERT INTO audit_log (actor, action, entity, entity_id, old_value, new_value, reason, approved_by, actor_user_id, approver_user_id)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`

func (a AuditEntry) args() ([]any, error) {
	o, err := auditValue(a.Old)
	if err != nil {
		return nil, fmt.Errorf("write audit log: %w", err)
	}
	n, err := auditValue(a.New)
	if err != nil {
		return nil, fmt.Errorf("write audit log: %w", err)
	}
	var appr *string
	if a.ApprovedBy != "" {
		appr = &a.ApprovedBy
	}
	return []any{a.Actor, string(a.Action), string(a.Entity), a.EntityID, o, n, a.Reason, appr, a.ActorUserID, a.ApproverUserID}, nil
}

// auditValue is an old or new value as stored: its JSON, or nil (SQL NULL)
// when there is no value.
func auditValue(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimSpace(b); len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	return b, nil
}

// WriteAudit appends one entry to the audit log in the caller's
// transaction; the row joins the chain when the transaction commits.
func WriteAudit(ctx context.Context, q TxOrPool, a AuditEntry) error {
	args, err := a.args()
	if err != nil {
		return err
	}
	if _, err := q.Exec(ctx, auditInsertSQL, args...); err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// RefusedAudit is the entry of an attempt the exam's stage refused, written
// in a statement of its own (the refused transaction rolled back) so the
// centre sees the attempt: the action tried as the new value, the refusal
// as the reason.
func RefusedAudit(actor string, action saoyue.AuditAction, entity saoyue.AuditEntity, entityID string, refused error) AuditEntry {
	return AuditEntry{Actor: actor, Action: saoyue.AuditRefused, Entity: entity, EntityID: entityID,
		New: map[string]any{"action": action}, Reason: saoyue.ErrorMessage(refused)}
}

// AuditRow is a stored audit entry as the chain sees it.
type AuditRow struct {
	Seq, ID                   int64
	At                        time.Time
	Actor, Action, Entity     string
	EntityID                  string
	Old, New                  *string // jsonb as text
	Reason                    string
	ApprovedBy                *string
	ActorUserID, ApproverUser *int64
	PrevHash, Hash            string
}

// AuditGenesis is the previous hash of the first row.
var AuditGenesis = strings.Repeat("0", 64)

// AuditCanonical is the text the row's hash covers, exactly as the
// database's audit_log_canonical builds it: each field in order as
// "<byte length>:<text>\n", NULL as "-\n"; the time in UTC with
// microseconds, jsonb as PostgreSQL prints it.
func AuditCanonical(r AuditRow) string {
	var b strings.Builder
	field := func(s *string) {
		if s == nil {
			b.WriteString("-\n")
			return
		}
		b.WriteString(strconv.Itoa(len(*s)))
		b.WriteByte(':')
		b.WriteString(*s)
		b.WriteByte('\n')
	}
	str := func(s string) *string { return &s }
	num := func(n *int64) *string {
		if n == nil {
			return nil
		}
		return str(strconv.FormatInt(*n, 10))
	}
	field(str(strconv.FormatInt(r.Seq, 10)))
	field(str(strconv.FormatInt(r.ID, 10)))
	field(str(r.At.UTC().Format("2006-01-02T15:04:05.000000Z")))
	for _, s := range []string{r.Actor, r.Action, r.Entity, r.EntityID} {
		field(str(s))
	}
	field(r.Old)
	field(r.New)
	field(str(r.Reason))
	field(r.ApprovedBy)
	field(num(r.ActorUserID))
	field(num(r.ApproverUser))
	return b.String()
}

// AuditHash is sha256 of the previous hash, a newline and the canonical text.
func AuditHash(prev string, r AuditRow) string {
	h := sha256.Sum256([]byte(prev + "\n" + AuditCanonical(r)))
	return hex.EncodeToString(h[:])
}

// AuditBreak names the first row where the chain does not hold.
type AuditBreak struct {
	Seq, ID int64
	What    string
}

func (b *AuditBreak) Error() string {
	return fmt.Sprintf("审计日志第 %d 条（id %d）被改动：%s", b.Seq, b.ID, b.What)
}

// SealAudit seals the rows still pending (committed while another
// transaction was sealing), waiting for the chain's lock.
func SealAudit(ctx context.Context, db *DB) (int64, error) {
	var n int64
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT pg_advisory_xact_lock(7311, hashtext(current_schema())), audit_log_seal_pending()`).Scan(nil, &n)
	})
	if err != nil {
		return 0, fmt.Errorf("seal audit log: %w", err)
	}
	return n, nil
}

// VerifyAudit walks the chain in seq order and recomputes every hash. It
// returns how many rows it checked and the first break, nil when whole.
// A row without seq (committed past the triggers) is a break; call
// SealAudit first to seal the rows merely pending.
func VerifyAudit(ctx context.Context, q TxOrPool) (int, *AuditBreak, error) {
	rows, err := q.Query(ctx, `
		SELECT COALESCE(seq, 0), id, at, actor, action, entity, entity_id, old_value::text, new_value::text, reason, approved_by,
		       actor_user_id, approver_user_id, COALESCE(prev_hash, ''), COALESCE(hash, '')
		FROM audit_log ORDER BY seq NULLS FIRST, id`)
	if err != nil {
		return 0, nil, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	prev, n := AuditGenesis, 0
	for rows.Next() {
		var r AuditRow
		if err := rows.Scan(&r.Seq, &r.ID, &r.At, &r.Actor, &r.Action, &r.Entity, &r.EntityID, &r.Old, &r.New, &r.Reason,
			&r.ApprovedBy, &r.ActorUserID, &r.ApproverUser, &r.PrevHash, &r.Hash); err != nil {
			return n, nil, fmt.Errorf("read audit log: %w", err)
		}
		n++
		switch {
		case r.Seq == 0:
			return n, &AuditBreak{r.Seq, r.ID, "没有序号和哈希（绕过了审计日志的触发器）"}, nil
		case r.Seq != int64(n):
			return n, &AuditBreak{r.Seq, r.ID, fmt.Sprintf("序号应为 %d（有条目缺失）", n)}, nil
		case r.PrevHash != prev:
			return n, &AuditBreak{r.Seq, r.ID, "前一条的哈希对不上（前一条被改动或删除）"}, nil
		case AuditHash(prev, r) != r.Hash:
			return n, &AuditBreak{r.Seq, r.ID, "内容与哈希不符（条目内容被改动）"}, nil
		}
		prev = r.Hash
	}
	if err := rows.Err(); err != nil {
		return n, nil, fmt.Errorf("read audit log: %w", err)
	}
	return n, nil, nil
}
