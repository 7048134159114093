package scanner

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/tiff"
)

func importAll(t *testing.T, p string) ([]Image, []string) {
	t.Helper()
	var got []Image
	var bad []string
	err := Import(context.Background(), p, func(ctx context.Context, im Image) error {
		got = append(got, im)
		return nil
	}, func(name string, err error) { bad = append(bad, name) })
	if err != nil {
		t.Fatalf("import %s: %v", p, err)
	}
	return got, bad
}

func names(ims []Image) string {
	var s []string
	for _, im := range ims {
		s = append(s, im.Name)
	}
	return fmt.Sprint(s)
}

func TestImportFolderAndZipInNaturalOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string][]byte{"p2.jpg": testJPEG(t, 2), "p10.jpg": testJPEG(t, 10), "p1.png": testPNG(t, 1), "Thumbs.db": []byte("x"), "broken.jpg": []byte("nope")}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, bad := importAll(t, dir)
	if names(got) != "[p1.png p2.jpg p10.jpg]" || fmt.Sprint(bad) != "[broken.jpg]" {
		t.Fatalf("folder gave %s, bad %v", names(got), bad)
	}
	for _, im := range got {
		if !bytes.Equal(im.Data, files[im.Name]) {
			t.Errorf("%s: JPEG/PNG must pass unchanged", im.Name)
		}
	}

	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for _, n := range []string{"bag/p10.jpg", "bag/p2.jpg", "bag/p1.png", "__MACOSX/bag/._p1.png"} {
		w, _ := zw.Create(n)
		w.Write(files[filepath.Base(n)])
	}
	zw.Close()
	zp := filepath.Join(t.TempDir(), "room03.zip")
	if err := os.WriteFile(zp, zb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, bad = importAll(t, zp)
	if names(got) != "[room03.zip/bag/p1.png room03.zip/bag/p2.jpg room03.zip/bag/p10.jpg]" || len(bad) != 0 {
		t.Fatalf("zip gave %s, bad %v", names(got), bad)
	}
}

// TestImportMultiPageTIFF builds a three-page TIFF with libtiff's tiffcp,
// as scanner software writes them, and checks every page comes out with
// its own pixels.
func TestImportMultiPageTIFF(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("tiffcp"); err != nil {
		t.Fatal("tiffcp is not installed: scripts/services.sh deps installs libtiff-tools")
	}
	dir := t.TempDir()
	var singles []string
	var pages []*image.Gray
	for n := 1; n <= 3; n++ {
		g := testPage(t, n, 300+10*n, 400)
		pages = append(pages, g)
		var b bytes.Buffer
		if err := tiff.Encode(&b, g, &tiff.Options{Compression: tiff.Deflate}); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("s%d.tif", n))
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		singles = append(singles, p)
	}
	multi := filepath.Join(dir, "bag.tif")
	if out, err := exec.Command("tiffcp", append(append([]string{"-c", "lzw"}, singles...), multi)...).CombinedOutput(); err != nil {
		t.Fatalf("tiffcp: %v: %s", err, out)
	}
	got, bad := importAll(t, multi)
	if names(got) != "[bag.tif#1 bag.tif#2 bag.tif#3]" || len(bad) != 0 {
		t.Fatalf("TIFF gave %s, bad %v", names(got), bad)
	}
	for i, im := range got {
		g := decodeGray(t, im.Data)
		if !g.Bounds().Eq(pages[i].Bounds()) || !bytes.Equal(g.Pix, pages[i].Pix) {
			t.Errorf("page %d: pixels differ from the page written (%v vs %v)", i+1, g.Bounds(), pages[i].Bounds())
		}
	}
	// A truncated TIFF is reported, not half-read.
	data, _ := os.ReadFile(multi)
	if _, err := Decode("cut.tif", data[:len(data)/2]); err == nil {
		t.Error("truncated TIFF decoded without error")
	}
}

// TestImportPDF checks both ways a PDF is read: a scanner-style PDF (one
// JPEG per page) gives the JPEGs byte for byte in pure Go; a PDF with
// other images is rendered by pdftoppm.
func TestImportPDF(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	makePDF := func(name string, images [][]byte, typ string) string {
		pdf := fpdf.New("P", "mm", "A4", "")
		for i, b := range images {
			pdf.AddPage()
			img := fmt.Sprintf("img%d", i)
			pdf.RegisterImageOptionsReader(img, fpdf.ImageOptions{ImageType: typ}, bytes.NewReader(b))
			pdf.ImageOptions(img, 0, 0, 210, 297, false, fpdf.ImageOptions{ImageType: typ}, 0, "")
		}
		p := filepath.Join(dir, name)
		if err := pdf.OutputFileAndClose(p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	jpegs := [][]byte{testJPEG(t, 21), testJPEG(t, 22), testJPEG(t, 23)}
	got, bad := importAll(t, makePDF("scan.pdf", jpegs, "JPG"))
	if names(got) != "[scan.pdf#1 scan.pdf#2 scan.pdf#3]" || len(bad) != 0 {
		t.Fatalf("PDF gave %s, bad %v", names(got), bad)
	}
	for i, im := range got {
		if !bytes.Equal(im.Data, jpegs[i]) {
			t.Errorf("page %d is not the embedded JPEG", i+1)
		}
	}

	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Fatal("pdftoppm is not installed: scripts/services.sh deps installs poppler-utils")
	}
	got, bad = importAll(t, makePDF("flate.pdf", [][]byte{testPNG(t, 31), testPNG(t, 32)}, "PNG"))
	if names(got) != "[flate.pdf#1 flate.pdf#2]" || len(bad) != 0 {
		t.Fatalf("rendered PDF gave %s, bad %v", names(got), bad)
	}
	for _, im := range got {
		if g := decodeGray(t, im.Data); g.Bounds().Dx() < 1600 { // A4 at 200 dpi is 1654 wide
			t.Errorf("%s rendered %v, not at 200 dpi", im.Name, g.Bounds())
		}
	}
}

func TestDecodePNM(t *testing.T) {
	t.Parallel()
	g := testPage(t, 5, 7, 3)
	pgm := append([]byte("P5\n# SANE data follows\n7 3\n255\n"), g.Pix...)
	ims, err := Decode("p0001.pnm", pgm)
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeGray(t, ims[0].Data); !bytes.Equal(got.Pix, g.Pix) {
		t.Error("PGM pixels changed")
	}
	if _, err := Decode("cut.pnm", pgm[:len(pgm)-3]); err == nil {
		t.Error("truncated PNM accepted")
	}
	pbm := []byte("P4\n10 2\n\x80\x00\x00\x40")
	ims, err = Decode("l.pbm", pbm)
	if err != nil {
		t.Fatal(err)
	}
	lg := decodeGray(t, ims[0].Data)
	if lg.GrayAt(0, 0).Y != 0 || lg.GrayAt(1, 0).Y != 255 || lg.GrayAt(9, 1).Y != 0 {
		t.Errorf("PBM bits decoded wrongly: %v", lg.Pix)
	}
}
