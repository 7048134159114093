package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/omr"
	"github.com/saoyue/saoyue/roster"
)

func newOMRCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{Use: "omr", Short: "Read scanned answer cards"}
	var templates []string
	var cropDir string
	var workers int
	var rosterFile string
	var examNoDigits int
	read := &cobra.Command{
		Use:   "read --template T.yaml [--crops DIR] [--roster FILE] FILE...",
		Short: "Read page images against templates; one JSON object per page on stdout",
		Long: `Reads each page image (JPEG or PNG) against the given templates and prints one JSON
object per page, in the order given. A page the reader cannot handle (corrupt file,
wrong template, unreadable corner marks...) is reported with its exceptions; the exit
status is non-zero only when the tool itself fails (no template, a file that cannot be
opened, a crop that cannot be written). Give the templates of one subject, as the pipeline
reads: the paper sizes of the templates given set the scale the page is searched at.

With --roster (the exam's exam numbers in the first column of a CSV or XLSX file,
UTF-8 or GBK, header optional), a barcode or a filled-in exam number of no candidate is refused and
reported, as the pipeline does with the exam's candidates. Where a sticker is there but cannot be read,
the filled-in number is taken only when it is on the roster; without --roster such a card goes to a person.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			if len(templates) == 0 {
				return fmt.Errorf("give at least one --template")
			}
			var ts []*card.Template
			for _, p := range templates {
				t, err := card.Load(p)
				if err != nil {
					return err
				}
				ts = append(ts, t)
			}
			opts := omr.DefaultOptions()
			opts.Fonts = cfg.Fonts
			opts.Crops = cropDir != ""
			opts.ExamNoDigits = examNoDigits
			if rosterFile != "" {
				numbers, err := loadRoster(rosterFile)
				if err != nil {
					return err
				}
				opts.Roster = func(no string) bool { return numbers[no] }
			}
			reader, err := omr.NewReader(ts, opts)
			if err != nil {
				return err
			}
			if cropDir != "" {
				if err := os.MkdirAll(cropDir, 0o755); err != nil {
					return fmt.Errorf("create crop directory: %w", err)
				}
			}
			results := make([]*omr.Result, len(files))
			errs := make([]error, len(files))
			var wg sync.WaitGroup
			next := make(chan int)
			for w := 0; w < max(1, workers); w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range next {
						results[i], errs[i] = readOne(reader, files[i], cropDir)
					}
				}()
			}
			// Print in input order as results complete.
			done := make(chan struct{})
			go func() {
				for i := range files {
					next <- i
				}
				close(next)
				wg.Wait()
				close(done)
			}()
			<-done
			enc := json.NewEncoder(cmd.OutOrStdout())
			for i, res := range results {
				if errs[i] == nil {
					if err := enc.Encode(res); err != nil {
						return err
					}
				}
			}
			return readSummary(cmd.ErrOrStderr(), files, results, errs)
		},
	}
	read.Flags().StringArrayVar(&templates, "template", nil, "template YAML (repeatable)")
	read.Flags().StringVar(&cropDir, "crops", "", "write subjective answer crops (JPEG) into this directory")
	read.Flags().IntVar(&workers, "workers", runtime.NumCPU(), "pages read in parallel")
	read.Flags().StringVar(&rosterFile, "roster", "", "the exam's exam numbers (first column of a CSV or XLSX): refuse a barcode or a filled-in number of nobody")
	read.Flags().IntVar(&examNoDigits, "exam-no-digits", 0, "length of the exam's numbers on a card without an exam-number grid (default: the grid's length, else 10)")
	cmd.AddCommand(read)
	return cmd
}

func readOne(reader *omr.Reader, path, cropDir string) (*omr.Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	res := reader.Read(path, data)
	if cropDir == "" {
		return res, nil
	}
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	for i := range res.Crops {
		c := &res.Crops[i]
		name := fmt.Sprintf("%s-q%s%s.jpg", base, c.Group, sanitize(c.Sub))
		if err := os.WriteFile(filepath.Join(cropDir, name), c.JPEG, 0o644); err != nil {
			return nil, fmt.Errorf("write crop: %w", err)
		}
		c.File = name
	}
	return res, nil
}

// loadRoster reads the exam numbers of --roster (roster.ReadExamNumbers).
func loadRoster(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open roster: %w", err)
	}
	defer f.Close()
	return roster.ReadExamNumbers(path, f)
}

// sanitize keeps sub-question labels such as "(1)" usable in file names.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		if r == '(' || r == ')' {
			return -1
		}
		return '_'
	}, s)
}

// unread are the exceptions that mean a file was not read as a card page.
var unread = map[omr.Kind]bool{omr.ExcUnreadable: true, omr.ExcRegistration: true, omr.ExcWrongTemplate: true, omr.ExcBlankPage: true}

// readSummary prints a line per file that was not read, and the counts; it
// fails when any file was not read, so a script notices.
func readSummary(w io.Writer, files []string, results []*omr.Result, errs []error) error {
	var failed, doubtful int
	for i, res := range results {
		reason := ""
		if errs[i] != nil {
			reason = errs[i].Error()
		} else {
			for _, e := range res.Exceptions {
				if unread[e.Kind] {
					reason = e.Reason
					break
				}
			}
		}
		if reason != "" {
			failed++
			fmt.Fprintf(w, "未能识别 %s：%s\n", files[i], reason)
		} else if len(res.Exceptions) > 0 {
			doubtful++
		}
	}
	fmt.Fprintf(w, "共 %d 个文件：识别 %d 个（其中 %d 个需人工核对），未能识别 %d 个\n",
		len(files), len(files)-failed, doubtful, failed)
	if failed > 0 {
		return fmt.Errorf("%d 个文件未能识别", failed)
	}
	return nil
}
