// Package roster sets up an exam from the county roster: it reads the
// schools, students and teachers files (CSV in UTF-8 or GBK, or XLSX),
// validates them as a whole before anything is written, imports them in one
// transaction, samples candidates, allocates rooms, seats and exam numbers
// (DOMAIN rules 11 and 12, docs/EXAM_NUMBERS.md) and prints the barcode
// label sheets and room lists.
package roster

import (
	"fmt"
	"strings"
)

// School is one row of a schools file.
type School struct {
	Code       string // digits, 2 to 4 of them: it is 4 digits of every exam number
	Name       string
	CountyCode string // the county name when the file has no county code
	CountyName string
	Pos        Pos
}

// Student is one row of a students file.
type Student struct {
	SchoolCode string
	StudentNo  string
	Name       string
	Gender     string // 男, 女 or empty
	Grade      string
	Class      string
	Pos        Pos
}

// Teacher is one row of a teachers file.
type Teacher struct {
	SchoolCode string
	TeacherNo  string
	Name       string
	Phone      string
	Subjects   []string // subject codes: math, english ...
	Pos        Pos
}

// Pos is where a row came from, for messages a user can act on.
type Pos struct {
	File string // base name as given
	Line int    // 1-based; the header is line 1
}

func (p Pos) String() string { return fmt.Sprintf("%s line %d", p.File, p.Line) }

// Roster is everything read from one import's files.
type Roster struct {
	Schools  []School
	Students []Student
	Teachers []Teacher
}

// MaxProblems is how many problems an import reports at once: enough to fix
// a file in one go, few enough to read.
const MaxProblems = 20

// Problem is one thing wrong with an input file.
type Problem struct {
	Pos    Pos
	Column string // header name; empty when the problem is the whole row or file
	Msg    string
}

func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.Pos.File)
	if p.Pos.Line > 0 {
		fmt.Fprintf(&b, " line %d", p.Pos.Line)
	}
	if p.Column != "" {
		fmt.Fprintf(&b, " column %s", p.Column)
	}
	b.WriteString(": ")
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is the error of a rejected import: every problem found, so a
// user fixes the files in one pass rather than one error per attempt.
type Problems struct {
	List  []Problem // at most MaxProblems
	Total int       // including the ones not kept
}

func (ps *Problems) add(pos Pos, column, format string, args ...any) {
	ps.Total++
	if len(ps.List) < MaxProblems {
		ps.List = append(ps.List, Problem{Pos: pos, Column: column, Msg: fmt.Sprintf(format, args...)})
	}
}

func (ps *Problems) err() error {
	if ps.Total == 0 {
		return nil
	}
	return ps
}

func (ps *Problems) Error() string {
	var b strings.Builder
	if ps.Total == 1 {
		b.WriteString("roster rejected, nothing imported: 1 problem:")
	} else {
		fmt.Fprintf(&b, "roster rejected, nothing imported: %d problems:", ps.Total)
	}
	for _, p := range ps.List {
		b.WriteString("\n  ")
		b.WriteString(p.Error())
	}
	if more := ps.Total - len(ps.List); more > 0 {
		fmt.Fprintf(&b, "\n  ... and %d more", more)
	}
	return b.String()
}
