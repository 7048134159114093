package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// seedRoom makes a school with three students and an exam with one room.
func seedRoom(t *testing.T, db *store.DB) (exam *store.Exam, schoolID, roomID int64, students []store.Student) {
	t.Helper()
	ctx := context.Background()
	exam = &store.Exam{Code: "21", Name: "测试", RoomCapacity: 30, Subjects: []store.Subject{{Code: "math", Name: "数学", Session: "am", FullScore: 100}}}
	if err := db.CreateExam(ctx, exam); err != nil {
		t.Fatal(err)
	}
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		county, err := store.UpsertCounty(ctx, tx, "500101", "青溪县")
		if err != nil {
			return err
		}
		if schoolID, err = store.UpsertSchool(ctx, tx, county, "0101", "第一小学"); err != nil {
			return err
		}
		if err := store.UpsertStudents(ctx, tx, []store.Student{
			{SchoolID: schoolID, StudentNo: "G1", Name: "甲"},
			{SchoolID: schoolID, StudentNo: "G2", Name: "乙"},
			{SchoolID: schoolID, StudentNo: "G3", Name: "丙"},
		}); err != nil {
			return err
		}
		if err := store.AddExamSchools(ctx, tx, exam.ID, []int64{schoolID}); err != nil {
			return err
		}
		ids, err := store.UpsertRooms(ctx, tx, exam.ID, schoolID, []int{30})
		roomID = ids[1]
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	students, err = store.ListStudents(ctx, db.Pool, schoolID, "")
	if err != nil {
		t.Fatal(err)
	}
	return exam, schoolID, roomID, students
}

func TestSavePlacements(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	ctx := context.Background()
	exam, schoolID, roomID, st := seedRoom(t, db)
	place := func(order ...int) []store.Placement {
		var ps []store.Placement
		for seat, i := range order {
			ps = append(ps, store.Placement{StudentID: st[i].ID, RoomID: roomID, Seat: seat + 1, ExamNo: "21010101" + string(rune('1'+seat))})
		}
		return ps
	}
	removed, added, err := store.SavePlacements(ctx, db.Pool, exam.ID, schoolID, place(0, 1, 2))
	if err != nil || removed != 0 || added != 3 {
		t.Fatalf("first save: removed %d added %d err %v", removed, added, err)
	}
	before, _ := store.ListCandidates(ctx, db.Pool, exam.ID, 0)
	removed, added, err = store.SavePlacements(ctx, db.Pool, exam.ID, schoolID, place(0, 1, 2))
	if err != nil || removed != 0 || added != 0 {
		t.Fatalf("same placements again: removed %d added %d err %v", removed, added, err)
	}
	// Swapping two students would break UNIQUE (room, seat) and (exam,
	// exam_no) if done row by row; it must just work.
	removed, added, err = store.SavePlacements(ctx, db.Pool, exam.ID, schoolID, place(1, 0, 2))
	if err != nil || removed != 2 || added != 2 {
		t.Fatalf("swap: removed %d added %d err %v", removed, added, err)
	}
	after, _ := store.ListCandidates(ctx, db.Pool, exam.ID, 0)
	if after[2].ID != before[2].ID || after[0].StudentID != before[1].StudentID {
		t.Errorf("swap: before %+v after %+v", before, after)
	}

	// Once a card is scanned for a candidate, it cannot move.
	if _, err := db.Pool.Exec(ctx, `INSERT INTO cards (subject_id, candidate_id) VALUES ($1, $2)`, exam.Subjects[0].ID, after[0].ID); err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(tx pgx.Tx) error {
		_, _, err := store.SavePlacements(ctx, tx, exam.ID, schoolID, place(0, 1, 2))
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "already scanned") {
		t.Errorf("moving a scanned candidate: %v", err)
	}
	if again, _ := store.ListCandidates(ctx, db.Pool, exam.ID, 0); again[0] != after[0] {
		t.Errorf("a refused move changed the candidate")
	}
	if err := store.DeleteRoomsAfter(ctx, db.Pool, exam.ID, schoolID, 0); err == nil {
		t.Errorf("removed a room with candidates")
	}
}

func TestUpsertTeachersReplacesSubjects(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	ctx := context.Background()
	_, schoolID, _, _ := seedRoom(t, db)
	save := func(subjects ...string) {
		t.Helper()
		if err := store.UpsertTeachers(ctx, db.Pool, []store.Teacher{{SchoolID: schoolID, TeacherNo: "T1", Name: "王", Subjects: subjects}}); err != nil {
			t.Fatal(err)
		}
	}
	save("math", "english")
	save("english", "science")
	ts, err := store.ListTeachers(ctx, db.Pool, schoolID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || strings.Join(ts[0].Subjects, ",") != "english,science" {
		t.Errorf("teachers %+v, want one teaching english,science", ts)
	}
}

func TestExamNotFound(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	_, err := store.GetExam(context.Background(), db.Pool, "99")
	if !errors.Is(err, store.ErrExamNotFound) || saoyue.ErrorCode(err) != saoyue.ENOTFOUND || !strings.Contains(err.Error(), "exam 99") {
		t.Errorf("error %v, want ErrExamNotFound (not_found) naming exam 99", err)
	}
}
