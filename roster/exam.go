package roster

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/saoyue/saoyue/store"
)

// ExamSpec is what the county centre decides when it creates an exam.
type ExamSpec struct {
	Code       string // two digits
	Name       string
	Grade      string // only students of this grade sit it; empty = all
	Subjects   []store.Subject
	Capacity   int   // seats per room: 30 (county rule) or 42 (city rule)
	SampleSize int   // students per school, 0 = all of them
	Seed       int64 // sampling seed
}

var examCodeRE = regexp.MustCompile(`^[0-9]{2}$`)

// DefaultSampleSize is the city manual's 42 students per sample school
// (DOMAIN rule 12).
const DefaultSampleSize = 42

// CreateExam checks the spec and stores the exam with its subjects.
func CreateExam(ctx context.Context, db *store.DB, spec ExamSpec) (*store.Exam, error) {
	if !examCodeRE.MatchString(spec.Code) {
		return nil, fmt.Errorf("考试代码 %q 须为两位数字：它是每个考号的开头", spec.Code)
	}
	if strings.TrimSpace(spec.Name) == "" {
		return nil, fmt.Errorf("考试 %s 需要名称", spec.Code)
	}
	if spec.Capacity != 30 && spec.Capacity != 42 {
		return nil, fmt.Errorf("每考场人数 %d：须为 30（县规定）或 42（市规定）", spec.Capacity)
	}
	if spec.SampleSize < 0 {
		return nil, fmt.Errorf("抽样人数 %d：须为正数，0 表示全体学生", spec.SampleSize)
	}
	if len(spec.Subjects) == 0 {
		return nil, fmt.Errorf("考试 %s 至少需要一个学科", spec.Code)
	}
	seen := make(map[string]bool)
	for _, s := range spec.Subjects {
		if seen[s.Code] {
			return nil, fmt.Errorf("学科 %s 重复了", s.Code)
		}
		seen[s.Code] = true
	}
	e := &store.Exam{
		Code: spec.Code, Name: strings.TrimSpace(spec.Name), Grade: spec.Grade,
		RoomCapacity: spec.Capacity, SampleSize: spec.SampleSize, SampleSeed: spec.Seed,
		Subjects: spec.Subjects,
	}
	if err := db.CreateExam(ctx, e); err != nil {
		return nil, err
	}
	return e, nil
}

// ParseSubjects reads the --subjects flag: comma-separated entries
// code:name[:session[:full score]], e.g. "math:数学:am:100,english:英语:pm".
// Without a session the subjects alternate am, pm (two subjects a day);
// without a full score it is 100.
func ParseSubjects(s string) ([]store.Subject, error) {
	var out []store.Subject
	for i, entry := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' }) {
		parts := strings.Split(strings.TrimSpace(entry), ":")
		if len(parts) < 2 || len(parts) > 4 {
			return nil, fmt.Errorf("学科 %q：格式应为 代码:名称[:am|pm[:满分]]，如 math:数学:am:100", entry)
		}
		sub := store.Subject{Code: strings.TrimSpace(parts[0]), Name: strings.TrimSpace(parts[1]), Session: "am", FullScore: 100}
		if i%2 == 1 {
			sub.Session = "pm"
		}
		if !subjectRE.MatchString(sub.Code) {
			return nil, fmt.Errorf("学科 %q：代码 %q 只能由小写字母或数字组成，如 math", entry, sub.Code)
		}
		if sub.Name == "" {
			return nil, fmt.Errorf("学科 %q：名称为空", entry)
		}
		if len(parts) >= 3 {
			sub.Session = strings.TrimSpace(parts[2])
			if sub.Session != "am" && sub.Session != "pm" {
				return nil, fmt.Errorf("学科 %q：场次 %q 须为 am（上午）或 pm（下午）", entry, sub.Session)
			}
		}
		if len(parts) == 4 {
			f, err := strconv.ParseFloat(strings.TrimSpace(parts[3]), 64)
			if err != nil || f <= 0 || f > 1000 {
				return nil, fmt.Errorf("学科 %q：满分 %q 须为 0 到 1000 之间的数", entry, parts[3])
			}
			sub.FullScore = f
		}
		out = append(out, sub)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("没有给出学科：如 math:数学,english:英语")
	}
	return out, nil
}
