package roster

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"

	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// rasterize renders every page of a PDF at 300 dpi in grey, as a scanner
// would see a printed sheet, and returns the page images in order.
func rasterize(t *testing.T, pdf string) []image.Image {
	t.Helper()
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Fatal("pdftoppm is needed to check the printed barcodes: apt-get install poppler-utils")
	}
	prefix := filepath.Join(t.TempDir(), "page")
	// PGM rather than PNG: ten times faster to write and trivial to read.
	if out, err := exec.Command("pdftoppm", "-r", "300", "-gray", pdf, prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm %s: %v\n%s", pdf, err, out)
	}
	files, _ := filepath.Glob(prefix + "-*.pgm")
	sort.Strings(files) // pdftoppm pads page numbers to the same width
	var pages []image.Image
	for _, f := range files {
		img, err := readPGM(f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		pages = append(pages, img)
	}
	return pages
}

// readPGM reads a binary 8-bit PGM (P5), what pdftoppm -gray writes.
func readPGM(path string) (*image.Gray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var magic string
	var w, h, maxval int
	if _, err := fmt.Fscan(r, &magic, &w, &h, &maxval); err != nil {
		return nil, err
	}
	if magic != "P5" || maxval != 255 {
		return nil, fmt.Errorf("not an 8-bit binary PGM: %s maxval %d", magic, maxval)
	}
	if _, err := r.ReadByte(); err != nil { // the single whitespace before the pixels
		return nil, err
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	if _, err := io.ReadFull(r, img.Pix); err != nil {
		return nil, err
	}
	return img, nil
}

// decodeLabel crops label i of a 300 dpi page by the sheet layout and reads
// its barcode with gozxing's Code 128 reader, the one the scanner uses.
func decodeLabel(page image.Image, i int) (string, error) {
	x, y, w, h := LabelSheet.Rect(i)
	px := func(mm float64) int { return int(mm * 300 / 25.4) }
	crop := page.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(px(x), px(y), px(x+w), px(y+h)))
	bmp, err := gozxing.NewBinaryBitmapFromImage(crop)
	if err != nil {
		return "", err
	}
	res, err := oned.NewCode128Reader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

func TestLabelsScanBack(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	ctx := context.Background()
	exam := createExam(t, db, "21", 42, 0, 0)
	if _, err := importFiles(t, db, fixtureFiles, "21"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	paths, err := WriteExamPDFs(ctx, db, "21", dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 10 {
		t.Fatalf("wrote %v, want two PDFs for each of 5 schools", paths)
	}
	schools, err := store.ListExamSchools(ctx, db.Pool, exam.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Every label of every page of two schools: 0203 has a room of 22
	// (two sheets, the second with one label) and one of 21 (one full
	// sheet); 0204 one room of 28. Each room prints once per subject.
	for _, s := range schools {
		if s.Code != "0203" && s.Code != "0204" {
			continue
		}
		t.Run(s.Code, func(t *testing.T) {
			t.Parallel()
			cands, err := store.ListCandidates(ctx, db.Pool, exam.ID, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			// What each page should carry, in order.
			var want [][]string
			for _, room := range roomsOf(cands) {
				for range exam.Subjects {
					for i := 0; i < len(room); i += LabelSheet.PerSheet() {
						want = append(want, room[i:min(i+LabelSheet.PerSheet(), len(room))])
					}
				}
			}
			pages := rasterize(t, filepath.Join(dir, fmt.Sprintf("21_%s_labels.pdf", s.Code)))
			if len(pages) != len(want) {
				t.Fatalf("%d label pages, want %d", len(pages), len(want))
			}
			for p, page := range pages {
				for i := range LabelSheet.PerSheet() {
					got, err := decodeLabel(page, i)
					switch {
					case i < len(want[p]) && got != want[p][i]:
						t.Errorf("page %d label %d: read %q (%v), want %s", p+1, i+1, got, err, want[p][i])
					case i >= len(want[p]) && err == nil:
						t.Errorf("page %d label %d: read %q from a slot that should be empty", p+1, i+1, got)
					}
				}
			}
		})
	}
}

// roomsOf splits candidates in exam-number order into their rooms.
func roomsOf(cands []store.Candidate) [][]string {
	var rooms [][]string
	last := 0
	for _, c := range cands {
		if c.RoomNumber != last {
			rooms = append(rooms, nil)
			last = c.RoomNumber
		}
		rooms[len(rooms)-1] = append(rooms[len(rooms)-1], c.ExamNo)
	}
	return rooms
}

func TestBarcodeBarsOnTheDotGrid(t *testing.T) {
	t.Parallel()
	mods, err := barcodeModules("2101010101")
	if err != nil {
		t.Fatal(err)
	}
	// Code set C: start, 5 digit pairs, check, stop (13 modules).
	if len(mods) != 11+5*11+11+13 {
		t.Errorf("%d modules, want 90 for 10 digits in code set C", len(mods))
	}
	if w := dotsToMM(len(mods) * ModuleDots); w+2*dotsToMM(10*ModuleDots) > LabelSheet.Width-4 {
		t.Errorf("barcode %.1f mm with quiet zones does not fit a %.1f mm label", w, LabelSheet.Width)
	}
}
