package roster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

// Once an exam's numbers are frozen (its labels were printed), an import is
// a diff against the candidates: late students are added on new seats,
// students no longer listed are withdrawn (退出) keeping their numbers,
// withdrawn ones listed again are reinstated on their own numbers, and
// corrections of name, gender or class are applied. No number ever moves:
// the labels already stuck on cards are what the reader will see.

// RosterDiff is what an import changes on an exam whose numbers are frozen.
type RosterDiff struct {
	Schools []SchoolDiff
	// FrozenAt says when the numbers were frozen, for the message.
	FrozenAt string

	newRooms []plannedRoom
}

// SchoolDiff is the diff of one school.
type SchoolDiff struct {
	SchoolID   int64 // 0 for a school the import brings into the database
	Code, Name string
	Added      []DiffEntry // with the number each gets
	Withdrawn  []DiffEntry
	Reinstated []DiffEntry
	Changed    []DiffEntry // Changes says what
	// NotSampled are late students left out because the school's sample
	// is full (exam create --sample).
	NotSampled []DiffEntry
}

// DiffEntry is one candidate of a diff.
type DiffEntry struct {
	CandidateID int64 // 0 for an added one
	StudentNo   string
	Name        string
	ClassName   string
	ExamNo      string
	Room, Seat  int
	// Supplementary: an added candidate seated in a room added for late
	// candidates (補充考场).
	Supplementary bool
	Changes       []string // "姓名 张三 → 张珊"
}

// plannedRoom is a room the diff adds.
type plannedRoom struct {
	SchoolCode    string
	Number        int
	Capacity      int
	Supplementary bool
}

// Empty reports whether the import changes no candidate.
func (d *RosterDiff) Empty() bool {
	for _, s := range d.Schools {
		if len(s.Added)+len(s.Withdrawn)+len(s.Reinstated)+len(s.Changed) > 0 {
			return false
		}
	}
	return true
}

// errNotConfirmed rolls back an import whose diff was only to be shown.
var errNotConfirmed = errors.New("diff not confirmed")

// ErrNumbersFrozen is why a re-allocation is refused after the freeze.
func errNumbersFrozen(code string) error {
	return saoyue.Errorf(saoyue.ECONFLICT, "考试 %s 的条形码已打印，考号已锁定，不能重新分配考场和考号；名单有变动请用 saoyue exam import 导入，核对差异后加 --confirm 应用", code)
}

// planFrozen computes the diff of the import against the exam's
// candidates, from the database as it is before the import saves anything.
func planFrozen(ctx context.Context, tx pgx.Tx, exam *store.Exam, r *Roster, known []store.School) (*RosterDiff, error) {
	bySchool := make(map[string][]Student)
	var codes []string
	for _, s := range r.Students {
		if _, ok := bySchool[s.SchoolCode]; !ok {
			codes = append(codes, s.SchoolCode)
		}
		bySchool[s.SchoolCode] = append(bySchool[s.SchoolCode], s)
	}
	schools := make(map[string]store.School, len(known))
	for _, s := range known {
		schools[s.Code] = s
	}
	names := make(map[string]string)
	for _, s := range r.Schools {
		names[s.Code] = s.Name
	}
	d := &RosterDiff{}
	for _, code := range codes {
		school, inDB := schools[code]
		sd := SchoolDiff{SchoolID: school.ID, Code: code, Name: school.Name}
		if !inDB {
			sd.Name = names[code]
		}
		var cands []store.Candidate
		var rooms []store.Room
		if inDB {
			var err error
			if cands, err = store.ListCandidates(ctx, tx, exam.ID, school.ID); err != nil {
				return nil, err
			}
			if rooms, err = store.ListRooms(ctx, tx, exam.ID, school.ID); err != nil {
				return nil, err
			}
		}
		late := diffSchool(&sd, exam, bySchool[code], cands)
		if err := d.placeLate(&sd, exam, rooms, cands, late); err != nil {
			return nil, err
		}
		d.Schools = append(d.Schools, sd)
	}
	return d, nil
}

// diffSchool fills in the withdrawn, reinstated and changed candidates of
// one school and returns the students who are not candidates yet.
func diffSchool(sd *SchoolDiff, exam *store.Exam, rows []Student, cands []store.Candidate) []Student {
	listed := make(map[string]Student)
	for _, s := range rows {
		if exam.Grade == "" || s.Grade == exam.Grade {
			listed[s.StudentNo] = s
		}
	}
	isCand := make(map[string]bool)
	active := 0
	for _, c := range cands {
		isCand[c.StudentNo] = true
		e := DiffEntry{CandidateID: c.ID, StudentNo: c.StudentNo, Name: c.Name, ClassName: c.ClassName,
			ExamNo: c.ExamNo, Room: c.RoomNumber, Seat: c.Seat}
		s, ok := listed[c.StudentNo]
		switch {
		case !ok && !c.Withdrawn:
			sd.Withdrawn = append(sd.Withdrawn, e)
			continue
		case !ok:
			continue
		case c.Withdrawn:
			sd.Reinstated = append(sd.Reinstated, e)
		}
		active++
		if e.Changes = studentChanges(c, s); len(e.Changes) > 0 {
			sd.Changed = append(sd.Changed, e)
		}
	}
	var late []Student
	for _, s := range rows {
		if _, ok := listed[s.StudentNo]; ok && !isCand[s.StudentNo] {
			late = append(late, s)
		}
	}
	slices.SortFunc(late, func(a, b Student) int { return strings.Compare(a.StudentNo, b.StudentNo) })
	// A sampled exam takes late students only while the school's sample
	// is short (DOMAIN rule 12: all of them if fewer than the sample).
	if exam.SampleSize > 0 && active+len(late) > exam.SampleSize {
		keep := max(exam.SampleSize-active, 0)
		for _, s := range late[keep:] {
			sd.NotSampled = append(sd.NotSampled, DiffEntry{StudentNo: s.StudentNo, Name: s.Name, ClassName: s.Class})
		}
		late = late[:keep]
	}
	return late
}

func studentChanges(c store.Candidate, s Student) []string {
	var out []string
	for _, f := range []struct{ label, old, new string }{
		{"姓名", c.Name, s.Name}, {"性别", c.Gender, s.Gender}, {"班级", c.ClassName, s.Class},
	} {
		if f.old != f.new {
			out = append(out, fmt.Sprintf("%s %s → %s", f.label, orDash(f.old), orDash(f.new)))
		}
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "（空）"
	}
	return s
}

// placeLate seats late students without moving anyone: the next free seats
// of the school's last room while it has seats under its capacity, then
// supplementary rooms. A school that has no rooms yet is seated as an
// allocation would seat it.
func (d *RosterDiff) placeLate(sd *SchoolDiff, exam *store.Exam, rooms []store.Room, cands []store.Candidate, late []Student) error {
	if len(late) == 0 {
		return nil
	}
	students := make([]store.Student, len(late))
	for i, s := range late {
		students[i] = store.Student{StudentNo: s.StudentNo, Name: s.Name, Gender: s.Gender, Grade: s.Grade, ClassName: s.Class}
	}
	SeatOrder(students)
	if len(rooms) == 0 {
		planned, err := PlanSchool(exam.Code, sd.Code, students, exam.RoomCapacity)
		if err != nil {
			return err
		}
		for _, rm := range planned {
			d.newRooms = append(d.newRooms, plannedRoom{SchoolCode: sd.Code, Number: rm.Number, Capacity: rm.Capacity})
			for _, s := range rm.Seats {
				sd.Added = append(sd.Added, DiffEntry{StudentNo: s.Student.StudentNo, Name: s.Student.Name,
					ClassName: s.Student.ClassName, ExamNo: s.ExamNo, Room: rm.Number, Seat: s.Number})
			}
		}
		return nil
	}
	last := rooms[len(rooms)-1]
	room, capacity, supplementary, used := last.Number, last.Capacity, last.Supplementary, 0
	for _, c := range cands {
		if c.RoomNumber == room {
			used = max(used, c.Seat)
		}
	}
	for _, s := range students {
		if used >= capacity {
			room, capacity, supplementary, used = room+1, exam.RoomCapacity, true, 0
			d.newRooms = append(d.newRooms, plannedRoom{SchoolCode: sd.Code, Number: room, Capacity: capacity, Supplementary: true})
		}
		used++
		no, err := ExamNo(exam.Code, sd.Code, room, used)
		if err != nil {
			return err
		}
		sd.Added = append(sd.Added, DiffEntry{StudentNo: s.StudentNo, Name: s.Name, ClassName: s.ClassName,
			ExamNo: no, Room: room, Seat: used, Supplementary: supplementary})
	}
	return nil
}

// applyFrozen applies a diff after the import saved the roster: students
// exist by now, so late candidates get their student ids.
func applyFrozen(ctx context.Context, tx pgx.Tx, exam *store.Exam, d *RosterDiff, ids map[string]int64, actor string) error {
	roomIDs := make(map[string]int64) // school code + room number
	roomKey := func(code string, n int) string { return fmt.Sprintf("%s/%d", code, n) }
	for _, rm := range d.newRooms {
		id, err := store.AddRoom(ctx, tx, exam.ID, ids[rm.SchoolCode], rm.Number, rm.Capacity, rm.Supplementary)
		if err != nil {
			return fmt.Errorf("school %s: %w", rm.SchoolCode, err)
		}
		roomIDs[roomKey(rm.SchoolCode, rm.Number)] = id
	}
	for _, sd := range d.Schools {
		schoolID := ids[sd.Code]
		if err := store.SetWithdrawn(ctx, tx, candidateIDs(sd.Withdrawn), true); err != nil {
			return err
		}
		if err := store.SetWithdrawn(ctx, tx, candidateIDs(sd.Reinstated), false); err != nil {
			return err
		}
		if len(sd.Added) == 0 {
			continue
		}
		students, err := store.ListStudents(ctx, tx, schoolID, "")
		if err != nil {
			return err
		}
		studentIDs := make(map[string]int64, len(students))
		for _, s := range students {
			studentIDs[s.StudentNo] = s.ID
		}
		rooms, err := store.ListRooms(ctx, tx, exam.ID, schoolID)
		if err != nil {
			return err
		}
		for _, rm := range rooms {
			roomIDs[roomKey(sd.Code, rm.Number)] = rm.ID
		}
		var ps []store.Placement
		for _, a := range sd.Added {
			ps = append(ps, store.Placement{StudentID: studentIDs[a.StudentNo], RoomID: roomIDs[roomKey(sd.Code, a.Room)], Seat: a.Seat, ExamNo: a.ExamNo})
		}
		if err := store.AddLateCandidates(ctx, tx, exam.ID, ps); err != nil {
			return fmt.Errorf("school %s: %w", sd.Code, err)
		}
	}
	return store.WriteAudit(ctx, tx, store.AuditEntry{Actor: actor, Action: saoyue.AuditRosterImportFrozen, Entity: saoyue.EntityExam,
		EntityID: exam.Code, New: d.Schools, Reason: "考号锁定后导入名单（--confirm）"})
}

func candidateIDs(es []DiffEntry) []int64 {
	var out []int64
	for _, e := range es {
		out = append(out, e.CandidateID)
	}
	return out
}

// Write prints the diff in Chinese, for the centre to check before
// confirming.
func (d *RosterDiff) Write(w io.Writer) {
	fmt.Fprintf(w, "考号已锁定（%s 起，条形码已打印）：本次导入按差异处理，已有考号一律不变。\n", d.FrozenAt)
	if d.Empty() {
		fmt.Fprintln(w, "考生名单无变化。")
	}
	for _, s := range d.Schools {
		if len(s.Added)+len(s.Withdrawn)+len(s.Reinstated)+len(s.Changed)+len(s.NotSampled) == 0 {
			continue
		}
		fmt.Fprintf(w, "学校 %s %s：新增 %d 人，退出 %d 人，恢复 %d 人，信息更正 %d 人\n",
			s.Code, s.Name, len(s.Added), len(s.Withdrawn), len(s.Reinstated), len(s.Changed))
		for _, e := range s.Added {
			where := fmt.Sprintf("第%02d考场 %02d号座", e.Room, e.Seat)
			if e.Supplementary {
				where = "补充考场 " + where
			}
			fmt.Fprintf(w, "  新增  %s %s %s → 考号 %s（%s）\n", e.StudentNo, e.Name, e.ClassName, e.ExamNo, where)
		}
		for _, e := range s.Withdrawn {
			fmt.Fprintf(w, "  退出  %s %s %s，考号 %s 保留不再分配\n", e.StudentNo, e.Name, e.ClassName, e.ExamNo)
		}
		for _, e := range s.Reinstated {
			fmt.Fprintf(w, "  恢复  %s %s %s，仍用原考号 %s\n", e.StudentNo, e.Name, e.ClassName, e.ExamNo)
		}
		for _, e := range s.Changed {
			fmt.Fprintf(w, "  更正  %s 考号 %s：%s\n", e.StudentNo, e.ExamNo, strings.Join(e.Changes, "；"))
		}
		for _, e := range s.NotSampled {
			fmt.Fprintf(w, "  未入样  %s %s %s：本校抽样人数已满\n", e.StudentNo, e.Name, e.ClassName)
		}
	}
}
