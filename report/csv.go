package report

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/saoyue/saoyue"
)

// WriteCSV writes one table as CSV for data exchange: UTF-8 with a byte
// order mark, because Excel on Chinese Windows reads a CSV without one as
// GBK and garbles every name. Numbers are plain decimals (rates as
// fractions, 0.5714, not 57.1%), undefined values empty.
func WriteCSV(w io.Writer, t Table) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString("\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	header := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		header[i] = c.Header
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	rec := make([]string, len(t.Columns))
	for row := range t.Rows {
		for i := range rec {
			rec[i] = ""
			if i < len(row) {
				f := Text
				if i < len(t.Columns) {
					f = t.Columns[i].Format
				}
				rec[i] = csvValue(row[i], f)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

func csvValue(v any, f Format) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case float64:
		if math.IsNaN(x) {
			return ""
		}
		switch f {
		case Mean:
			return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64)
		case Rate, Index:
			return strconv.FormatFloat(math.Round(x*10000)/10000, 'f', -1, 64)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// WriteCSVTable writes the table with the given key, or says which keys
// there are.
func WriteCSVTable(w io.Writer, r *Report, key string) error {
	t, ok := r.Table(key)
	if !ok {
		return saoyue.Errorf(saoyue.ENOTFOUND, "没有表 %q；可选：%v", key, r.TableKeys())
	}
	return WriteCSV(w, t)
}

// WriteCSVDir writes every table as <key>.csv into dir and returns the
// file names.
func WriteCSVDir(dir string, r *Report) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	var names []string
	for _, t := range r.AllTables() {
		name := filepath.Join(dir, t.Key+".csv")
		f, err := os.Create(name)
		if err != nil {
			return names, fmt.Errorf("create %s: %w", name, err)
		}
		err = WriteCSV(f, t)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return names, fmt.Errorf("write %s: %w", name, err)
		}
		names = append(names, name)
	}
	return names, nil
}
