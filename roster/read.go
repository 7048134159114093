package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// table is a roster file read into rows of cells, whatever its format.
type table struct {
	file   string
	header []string
	rows   []row
}

type row struct {
	line  int
	cells []string
}

// readTable reads a CSV or XLSX file. The format is chosen by content (an
// XLSX is a zip), so a misnamed file still reads.
func readTable(name string, data []byte) (*table, error) {
	base := filepath.Base(name)
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return readXLSX(base, data)
	}
	if bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0}) {
		return nil, fmt.Errorf("%s: old Excel .xls files are not supported: save it as .xlsx or CSV", base)
	}
	text, err := decodeText(base, data)
	if err != nil {
		return nil, err
	}
	return readCSV(base, text)
}

// decodeText returns the file as UTF-8. Roster CSVs come from Excel on
// Chinese Windows, which writes GBK, or from WPS and web tools, which write
// UTF-8 with or without a BOM. Valid UTF-8 is taken as UTF-8 (GBK text of
// any length is almost never valid UTF-8); anything else must decode as GBK.
func decodeText(file string, data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return "", fmt.Errorf("%s: the file is UTF-16 (Excel \"Unicode text\"): save it as CSV UTF-8 or plain CSV", file)
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return "", fmt.Errorf("%s line %d: the file contains NUL bytes: it is not a text CSV (save it as CSV UTF-8 or .xlsx)", file, lineOf(data, i))
	}
	if utf8.Valid(data) {
		return string(data), nil
	}
	// GBK never uses '\n' inside a character, so line by line is safe and
	// lets the error name the line.
	dec := simplifiedchinese.GBK.NewDecoder()
	var out strings.Builder
	lines := bytes.SplitAfter(data, []byte("\n"))
	for i, line := range lines {
		s, err := dec.Bytes(line)
		if err != nil || bytes.ContainsRune(s, utf8.RuneError) {
			// The later of the first non-UTF-8 and the first non-GBK line is
			// where the file's own encoding breaks: a UTF-8 file with one
			// bad line fails GBK on its first Chinese line already.
			bad := i + 1
			for j, l := range lines {
				if !utf8.Valid(l) {
					bad = max(bad, j+1)
					break
				}
			}
			return "", fmt.Errorf("%s line %d: the file is neither UTF-8 nor GBK: save it as CSV UTF-8", file, bad)
		}
		out.Write(s)
	}
	return out.String(), nil
}

func lineOf(data []byte, offset int) int {
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

func readCSV(file, text string) (*table, error) {
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1 // a short row is reported by us, with its line
	t := &table{file: file}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if pe := (*csv.ParseError)(nil); errors.As(err, &pe) {
			return nil, fmt.Errorf("%s line %d: malformed CSV: %v", file, pe.Line, pe.Err)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: read CSV: %w", file, err)
		}
		line, _ := r.FieldPos(0)
		if t.header == nil {
			t.header = rec
			continue
		}
		t.rows = append(t.rows, row{line: line, cells: rec})
	}
	return t, nil
}

func readXLSX(file string, data []byte) (*table, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: open Excel file: %w", file, err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, fmt.Errorf("%s: the workbook has no sheets", file)
	}
	// The first sheet is the roster; extra sheets are notes people keep.
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		return nil, fmt.Errorf("%s: read sheet %s: %w", file, sheets[0], err)
	}
	t := &table{file: file}
	for i, cells := range rows {
		if t.header == nil {
			if blank(cells) {
				continue
			}
			t.header = cells
			continue
		}
		t.rows = append(t.rows, row{line: i + 1, cells: cells})
	}
	return t, nil
}

func blank(cells []string) bool {
	for _, c := range cells {
		if clean(c) != "" {
			return false
		}
	}
	return true
}

// clean trims ordinary and full-width spaces, which Chinese input methods
// leave around names.
func clean(s string) string {
	return strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "\u3000\u00a0"))
}

// column is one field a roster file can have, with the header names it is
// known by. Names are compared after lowering case and dropping spaces,
// underscores and the '*' people put on required columns.
type column struct {
	key      string
	required bool
	names    []string
}

// columns finds each known column in the header. An unknown header is
// ignored (rosters carry extra columns); a missing required one or a column
// given twice is a problem.
func (t *table) columns(cols []column, ps *Problems) map[string]int {
	pos := Pos{File: t.file, Line: 1}
	if t.header == nil {
		ps.add(Pos{File: t.file}, "", "the file is empty: it needs a header row")
		return nil
	}
	idx := make(map[string]int)
	for i, h := range t.header {
		h = normHeader(h)
		for _, c := range cols {
			for _, n := range c.names {
				if h != normHeader(n) {
					continue
				}
				if j, dup := idx[c.key]; dup {
					ps.add(pos, t.header[i], "column %s is given twice (also column %d)", c.key, j+1)
				}
				idx[c.key] = i
			}
		}
	}
	for _, c := range cols {
		if _, ok := idx[c.key]; !ok && c.required {
			ps.add(pos, "", "missing required column %s (header %s); the header row is %q (if the names look garbled, the file is not UTF-8 or GBK)",
				c.key, c.names[0]+" or "+c.names[1], strings.Join(t.header, ","))
		}
	}
	return idx
}

func normHeader(h string) string {
	h = strings.TrimPrefix(h, "\uFEFF")
	h = strings.ToLower(clean(h))
	return strings.NewReplacer(" ", "", "_", "", "*", "", "＊", "", "\u3000", "").Replace(h)
}

// field is one cell of a row by column key, with the header name it had.
type field struct {
	value  string
	header string
}

func (t *table) get(r row, idx map[string]int, key string) field {
	i, ok := idx[key]
	if !ok {
		return field{}
	}
	f := field{header: t.header[i]}
	if i < len(r.cells) {
		f.value = clean(r.cells[i])
	}
	return f
}

// readFile reads a named roster file from disk.
func readFile(path string) (*table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read roster file: %w", err)
	}
	return readTable(path, data)
}
