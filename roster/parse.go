package roster

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// The first two names of each column are the ones error messages show.
var (
	schoolColumns = []column{
		{key: "school_code", required: true, names: []string{"学校代码", "school_code", "学校编码", "学校编号", "学校标识码", "code"}},
		{key: "school_name", required: true, names: []string{"学校名称", "school_name", "学校", "校名", "name"}},
		{key: "county", required: true, names: []string{"区县", "county", "区县名称", "县区", "county_name"}},
		{key: "county_code", names: []string{"区县代码", "county_code", "区县编码", "区县编号"}},
	}
	studentColumns = []column{
		{key: "school_code", required: true, names: []string{"学校代码", "school_code", "学校编码", "学校编号", "学校标识码"}},
		{key: "student_no", required: true, names: []string{"学籍号", "student_no", "学号", "学生编号", "学籍编号", "student_id"}},
		{key: "name", required: true, names: []string{"姓名", "name", "学生姓名", "student_name"}},
		{key: "gender", names: []string{"性别", "gender", "sex"}},
		{key: "grade", names: []string{"年级", "grade"}},
		{key: "class", names: []string{"班级", "class", "class_name", "班"}},
	}
	teacherColumns = []column{
		{key: "school_code", required: true, names: []string{"学校代码", "school_code", "学校编码", "学校编号", "学校标识码"}},
		{key: "teacher_no", required: true, names: []string{"教师编号", "teacher_no", "工号", "教师工号", "teacher_id"}},
		{key: "name", required: true, names: []string{"姓名", "name", "教师姓名", "teacher_name"}},
		{key: "subjects", required: true, names: []string{"学科", "subjects", "任教学科", "科目", "subject"}},
		{key: "phone", names: []string{"电话", "phone", "手机", "手机号", "联系电话", "mobile"}},
	}
)

var (
	schoolCodeRE = regexp.MustCompile(`^[0-9]{2,4}$`)
	rosterNoRE   = regexp.MustCompile(`^[0-9A-Za-z_-]{1,40}$`)
	phoneRE      = regexp.MustCompile(`^\+?[0-9][0-9 -]{4,19}$`)
	subjectRE    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,19}$`)
)

// SubjectCodes maps the Chinese subject names found in teacher rosters to
// the subject codes exams use. A code itself (math) is accepted as well.
var SubjectCodes = map[string]string{
	"语文": "chinese", "数学": "math", "英语": "english", "外语": "english",
	"物理": "physics", "化学": "chemistry", "生物": "biology", "科学": "science",
	"历史": "history", "地理": "geography", "道德与法治": "politics", "政治": "politics",
	"思想品德": "politics", "信息技术": "it", "音乐": "music", "美术": "art", "体育": "pe",
}

// ReadStudents reads a students file (CSV or XLSX).
func ReadStudents(name string, r io.Reader) ([]Student, error) {
	t, err := readFrom(name, r)
	if err != nil {
		return nil, err
	}
	var ps Problems
	out := parseStudents(t, &ps)
	return out, ps.err()
}

// ReadTeachers reads a teachers file (CSV or XLSX).
func ReadTeachers(name string, r io.Reader) ([]Teacher, error) {
	t, err := readFrom(name, r)
	if err != nil {
		return nil, err
	}
	var ps Problems
	out := parseTeachers(t, &ps)
	return out, ps.err()
}

func readFrom(name string, r io.Reader) (*table, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return readTable(name, data)
}

// rowsOf yields the non-blank rows, reporting a row with more cells than
// the header has: that is a shifted row whose values would land in the
// wrong columns.
func (t *table) rowsOf(ps *Problems) []row {
	var out []row
	for _, r := range t.rows {
		if blank(r.cells) {
			continue
		}
		if n := len(r.cells); n > len(t.header) && !blank(r.cells[len(t.header):]) {
			ps.add(Pos{t.file, r.line}, "", "the row has %d fields but the header has %d (a comma inside a value needs quotes)", n, len(t.header))
			continue
		}
		out = append(out, r)
	}
	return out
}

func parseSchools(t *table, ps *Problems) []School {
	before := ps.Total
	idx := t.columns(schoolColumns, ps)
	if ps.Total > before { // without its columns, every row would be wrong
		return nil
	}
	var out []School
	for _, r := range t.rowsOf(ps) {
		pos := Pos{t.file, r.line}
		code, name, county, countyCode := t.get(r, idx, "school_code"), t.get(r, idx, "school_name"), t.get(r, idx, "county"), t.get(r, idx, "county_code")
		ok := true
		if !schoolCodeRE.MatchString(code.value) {
			ps.add(pos, code.header, "school code %q must be 2 to 4 digits (it becomes 4 digits of every exam number)", code.value)
			ok = false
		}
		if name.value == "" {
			ps.add(pos, name.header, "school name is empty")
			ok = false
		}
		if county.value == "" {
			ps.add(pos, county.header, "county is empty")
			ok = false
		}
		if !ok {
			continue
		}
		s := School{Code: code.value, Name: name.value, CountyName: county.value, CountyCode: countyCode.value, Pos: pos}
		if s.CountyCode == "" {
			s.CountyCode = s.CountyName
		}
		out = append(out, s)
	}
	return out
}

func parseStudents(t *table, ps *Problems) []Student {
	before := ps.Total
	idx := t.columns(studentColumns, ps)
	if ps.Total > before { // without its columns, every row would be wrong
		return nil
	}
	var out []Student
	for _, r := range t.rowsOf(ps) {
		pos := Pos{t.file, r.line}
		school, no, name, gender := t.get(r, idx, "school_code"), t.get(r, idx, "student_no"), t.get(r, idx, "name"), t.get(r, idx, "gender")
		ok := true
		if !schoolCodeRE.MatchString(school.value) {
			ps.add(pos, school.header, "school code %q must be 2 to 4 digits", school.value)
			ok = false
		}
		if !rosterNoRE.MatchString(no.value) {
			ps.add(pos, no.header, "student number %q must be 1 to 40 letters or digits%s", no.value, excelNumberHint(no.value))
			ok = false
		}
		if name.value == "" {
			ps.add(pos, name.header, "name is empty")
			ok = false
		}
		g, gok := normGender(gender.value)
		if !gok {
			ps.add(pos, gender.header, "gender %q must be 男 or 女 (or M/F)", gender.value)
			ok = false
		}
		if !ok {
			continue
		}
		out = append(out, Student{
			SchoolCode: school.value, StudentNo: no.value, Name: name.value, Gender: g,
			Grade: t.get(r, idx, "grade").value, Class: t.get(r, idx, "class").value, Pos: pos,
		})
	}
	return out
}

// excelNumberHint explains the commonest broken student number: Excel
// stored a long digit string as a number and shows it as 5.00101E+17.
func excelNumberHint(s string) string {
	if strings.ContainsAny(s, "Ee") && strings.ContainsAny(s, "+.") {
		return " (Excel turned it into a number: format the column as text and re-enter it)"
	}
	return ""
}

func normGender(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "":
		return "", true
	case "男", "m", "male", "1":
		return "男", true
	case "女", "f", "female", "2":
		return "女", true
	}
	return "", false
}

func parseTeachers(t *table, ps *Problems) []Teacher {
	before := ps.Total
	idx := t.columns(teacherColumns, ps)
	if ps.Total > before { // without its columns, every row would be wrong
		return nil
	}
	var out []Teacher
	for _, r := range t.rowsOf(ps) {
		pos := Pos{t.file, r.line}
		school, no, name, subj, phone := t.get(r, idx, "school_code"), t.get(r, idx, "teacher_no"), t.get(r, idx, "name"), t.get(r, idx, "subjects"), t.get(r, idx, "phone")
		ok := true
		if !schoolCodeRE.MatchString(school.value) {
			ps.add(pos, school.header, "school code %q must be 2 to 4 digits", school.value)
			ok = false
		}
		if !rosterNoRE.MatchString(no.value) {
			ps.add(pos, no.header, "teacher number %q must be 1 to 40 letters or digits", no.value)
			ok = false
		}
		if name.value == "" {
			ps.add(pos, name.header, "name is empty")
			ok = false
		}
		if phone.value != "" && !phoneRE.MatchString(phone.value) {
			ps.add(pos, phone.header, "phone %q is not a phone number", phone.value)
			ok = false
		}
		subjects, err := parseTeacherSubjects(subj.value)
		if err != nil {
			ps.add(pos, subj.header, "%v", err)
			ok = false
		}
		if !ok {
			continue
		}
		out = append(out, Teacher{SchoolCode: school.value, TeacherNo: no.value, Name: name.value, Phone: phone.value, Subjects: subjects, Pos: pos})
	}
	return out
}

// parseTeacherSubjects splits "数学;英语" or "数学、英语" into subject codes.
func parseTeacherSubjects(s string) ([]string, error) {
	parts := strings.FieldsFunc(s, func(r rune) bool {
		return strings.ContainsRune(";；、,，/ ", r)
	})
	if len(parts) == 0 {
		return nil, fmt.Errorf("no subject given (e.g. 数学;英语 or math;english)")
	}
	var codes []string
	for _, p := range parts {
		code, ok := SubjectCodes[p]
		if !ok {
			code = strings.ToLower(p)
			if !subjectRE.MatchString(code) {
				return nil, fmt.Errorf("unknown subject %q (known: 语文 数学 英语 物理 化学 生物 科学 历史 地理 道德与法治 …, or a code like math)", p)
			}
		}
		if !slices.Contains(codes, code) {
			codes = append(codes, code)
		}
	}
	return codes, nil
}

// ReadExamNumbers reads a list of exam numbers: the first column of a CSV
// or XLSX file (UTF-8 or GBK, as any roster file), with or without a
// header row. `saoyue omr read --roster` uses it so that a barcode of
// nobody is refused.
func ReadExamNumbers(name string, r io.Reader) (map[string]bool, error) {
	t, err := readFrom(name, r)
	if err != nil {
		return nil, err
	}
	rows := t.rows
	if len(t.header) > 0 && numeric(clean(t.header[0])) {
		rows = append([]row{{line: 1, cells: t.header}}, rows...) // no header: the first row is a number
	}
	out := map[string]bool{}
	for _, rw := range rows {
		if len(rw.cells) == 0 {
			continue
		}
		switch no := clean(rw.cells[0]); {
		case no == "":
		case !numeric(no):
			return nil, fmt.Errorf("%s line %d: %q is not an exam number", t.file, rw.line, no)
		default:
			out[no] = true
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no exam number", t.file)
	}
	return out, nil
}

func numeric(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
