package roster

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode GBK: %v", err)
	}
	return b
}

func xlsx(t *testing.T, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cells := make([]any, len(r))
		for j, c := range r {
			cells[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &cells); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const studentsZH = "学校代码,学籍号,姓名,性别,年级,班级\n0101,G001,张三,男,五年级,五(1)班\n0101,G002,李四,女,五年级,五(2)班\n"
const studentsEN = "School_Code,student_no,Name,gender,grade,class\r\n0101,G001,张三,M,五年级,五(1)班\r\n0101,G002,李四,f,五年级,五(2)班\r\n"

func TestReadStudentsEncodingsAndHeaders(t *testing.T) {
	t.Parallel()
	want := []Student{
		{SchoolCode: "0101", StudentNo: "G001", Name: "张三", Gender: "男", Grade: "五年级", Class: "五(1)班", Pos: Pos{"s", 2}},
		{SchoolCode: "0101", StudentNo: "G002", Name: "李四", Gender: "女", Grade: "五年级", Class: "五(2)班", Pos: Pos{"s", 3}},
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"utf8 chinese headers", []byte(studentsZH)},
		{"utf8 bom", append([]byte("\uFEFF"), studentsZH...)},
		{"gbk", gbk(t, studentsZH)},
		{"gbk english headers crlf", gbk(t, studentsEN)},
		{"english headers", []byte(studentsEN)},
		{"bom english headers", append([]byte("\uFEFF"), studentsEN...)},
		{"spaces and full-width spaces", []byte(" 学校代码 ,学籍号,姓名*,性别,年级,班级\n0101, G001 ,\u3000张三\u3000,男,五年级,五(1)班\n\n0101,G002,李四,女,五年级,五(2)班\n")},
		{"xlsx", xlsx(t, [][]string{
			{"学校代码", "学籍号", "姓名", "性别", "年级", "班级"},
			{"0101", "G001", "张三", "男", "五年级", "五(1)班"},
			{"0101", "G002", "李四", "女", "五年级", "五(2)班"},
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadStudents("s", bytes.NewReader(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "spaces and full-width spaces" {
				got[1].Pos.Line-- // the blank line 3 is skipped but counted
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestReadErrorsNameTheLine(t *testing.T) {
	t.Parallel()
	utf16 := []byte{0xFF, 0xFE, '0', 0, '1', 0}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"utf16", utf16, "s.csv: the file is UTF-16"},
		{"neither utf8 nor gbk", append([]byte(studentsZH), []byte("0101,G003,\xff\xfe\xff,男,五年级,五(1)班\n")...), "s.csv line 4: the file is neither UTF-8 nor GBK"},
		{"nul bytes", []byte("学校代码,学籍号,姓名\n0101,G1,\x00\n"), "s.csv line 2: the file contains NUL bytes"},
		{"missing column", []byte("学校代码,姓名\n0101,张三\n"), "s.csv line 1: missing required column student_no (header 学籍号 or student_no)"},
		{"column twice", []byte("学校代码,学籍号,姓名,name\n0101,G1,张三,张三\n"), "s.csv line 1 column name: column name is given twice"},
		{"empty name", []byte(studentsZH + "0101,G003,,男,五年级,五(1)班\n"), "s.csv line 4 column 姓名: name is empty"},
		{"bad gender", []byte(studentsZH + "0101,G003,王五,x,五年级,五(1)班\n"), `s.csv line 4 column 性别: gender "x" must be 男 or 女`},
		{"bad school code", []byte(studentsZH + "01a1,G003,王五,男,五年级,五(1)班\n"), `s.csv line 4 column 学校代码: school code "01a1" must be 2 to 4 digits`},
		{"too many fields", []byte(studentsZH + "0101,G003,王,五,男,五年级,五(1)班\n"), "s.csv line 4: the row has 7 fields but the header has 6"},
		{"bad quote", []byte(studentsZH + "0101,G003,\"王五,男\n"), "s.csv line 4: malformed CSV"},
		{"empty file", nil, "s.csv: the file is empty"},
		{"xls", []byte{0xD0, 0xCF, 0x11, 0xE0, 0, 0}, "old Excel .xls files are not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadStudents("s.csv", bytes.NewReader(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestProblemsAreCollected(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("学校代码,学籍号,姓名\n")
	for i := range 30 {
		fmt.Fprintf(&b, "0101,G%d,\n", i) // no name: 30 problems
	}
	_, err := ReadStudents("s.csv", strings.NewReader(b.String()))
	var ps *Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v is not *Problems", err)
	}
	if ps.Total != 30 || len(ps.List) != MaxProblems {
		t.Errorf("total %d, listed %d; want 30 and %d", ps.Total, len(ps.List), MaxProblems)
	}
	if !strings.Contains(err.Error(), "s.csv line 2 column 姓名: name is empty") || !strings.Contains(err.Error(), "... and 10 more") {
		t.Errorf("message:\n%v", err)
	}
}

func TestReadTeachersSubjects(t *testing.T) {
	t.Parallel()
	data := "教师编号,学校代码,姓名,学科,电话\nT1,0101,王老师,数学;英语,13900001111\nT2,0101,李老师,英语、数学、英语,\nT3,0101,赵老师,math,\n"
	got, err := ReadTeachers("t.csv", strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"math", "english"}, {"english", "math"}, {"math"}}
	for i, tc := range got {
		if !reflect.DeepEqual(tc.Subjects, want[i]) {
			t.Errorf("teacher %s subjects %v, want %v", tc.TeacherNo, tc.Subjects, want[i])
		}
	}
	_, err = ReadTeachers("t.csv", strings.NewReader("教师编号,学校代码,姓名,学科\nT1,0101,王老师,火星语\n"))
	if err == nil || !strings.Contains(err.Error(), `t.csv line 2 column 学科: unknown subject "火星语"`) {
		t.Errorf("error = %v", err)
	}
}

func TestReadExamNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body []byte
		want []string
		err  string
	}{
		{"one per line", []byte("2410010101\n2410010102\n"), []string{"2410010101", "2410010102"}, ""},
		{"CSV with header and BOM", []byte("\ufeff考号,姓名\n2410010101,张三\n 2410010102 ,李四\n\n"), []string{"2410010101", "2410010102"}, ""},
		{"GBK CSV with header", gbk(t, "考号,姓名\n2410010101,张三\n"), []string{"2410010101"}, ""},
		{"a name where a number should be", []byte("2410010101\n张三\n"), nil, "line 2"},
		{"empty", []byte("考号\n"), nil, "no exam number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadExamNumbers("roster.csv", bytes.NewReader(tc.body))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d numbers, want %d: %v", len(got), len(tc.want), got)
			}
			for _, no := range tc.want {
				if !got[no] {
					t.Errorf("%s missing from %v", no, got)
				}
			}
		})
	}
}
