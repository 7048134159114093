package scanner

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"unicode"
)

// Image is one page image in scan order, ready to upload.
type Image struct {
	// Name says where the page came from, for people: the scanner's file
	// name, "scan.tif#3" for the third page of a TIFF, "bag.zip/p0007.jpg".
	Name string
	// Data is a complete JPEG or PNG.
	Data []byte
}

// Ext is the file extension that matches the image's content.
func (im Image) Ext() string {
	if isJPEG(im.Data) {
		return ".jpg"
	}
	return ".png"
}

type format int

const (
	formatUnknown format = iota
	formatJPEG
	formatPNG
	formatTIFF
	formatPNM
	formatBMP
	formatPDF
	formatZIP
)

// sniff tells a file's format from its first bytes: scanner software is
// not always careful with extensions (".jpeg", ".JPG", ".tif" holding a PNG).
func sniff(data []byte) format {
	switch {
	case isJPEG(data):
		return formatJPEG
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return formatTIFF
	case len(data) > 2 && data[0] == 'P' && data[1] >= '1' && data[1] <= '6' && isSpace(data[2]):
		return formatPNM
	case bytes.HasPrefix(data, []byte("BM")):
		return formatBMP
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return formatPDF
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return formatZIP
	}
	return formatUnknown
}

func isJPEG(data []byte) bool { return bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}) }

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// imageExts are the names a driver picks up; anything else in a scan folder
// (thumbnails.db, the scanner's .ini, a readme) is left alone.
var imageExts = map[string]bool{
	".jpg": true, ".jpeg": true, ".jpe": true, ".png": true,
	".tif": true, ".tiff": true, ".pnm": true, ".pgm": true, ".ppm": true, ".pbm": true,
	".bmp": true, ".pdf": true,
}

// wanted says whether a file name is a scan to take: an image extension,
// and not one of the names scanner software and copy tools give files they
// are still writing.
func wanted(name string) bool {
	base := filepath.Base(name)
	lower := strings.ToLower(base)
	if strings.HasPrefix(base, ".") || strings.HasPrefix(base, "~") || strings.HasSuffix(base, "~") {
		return false
	}
	for _, partial := range []string{".tmp", ".part", ".partial", ".crdownload", ".filepart", ".temp", ".swp"} {
		if strings.HasSuffix(lower, partial) {
			return false
		}
	}
	return imageExts[filepath.Ext(lower)]
}

// naturalLess orders file names as people and scanner counters do:
// "p2.jpg" before "p10.jpg", case-insensitively.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		ra, rb := rune(a[0]), rune(b[0])
		if isDigit(ra) && isDigit(rb) {
			na, restA := leadingDigits(a)
			nb, restB := leadingDigits(b)
			ta, tb := strings.TrimLeft(na, "0"), strings.TrimLeft(nb, "0")
			if len(ta) != len(tb) {
				return len(ta) < len(tb)
			}
			if ta != tb {
				return ta < tb
			}
			if len(na) != len(nb) { // same number, fewer leading zeros first
				return len(na) < len(nb)
			}
			a, b = restA, restB
			continue
		}
		la, lb := unicode.ToLower(ra), unicode.ToLower(rb)
		if la != lb {
			return la < lb
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func leadingDigits(s string) (digits, rest string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:]
}

// Decode turns one scanned file into page images: JPEG and PNG pass
// unchanged, a multi-page TIFF gives one PNG per page, PNM and BMP become
// PNG, a PDF gives its pages (see pdf.go). name is used in messages and to
// name the pages.
func Decode(name string, data []byte) ([]Image, error) {
	switch f := sniff(data); f {
	case formatJPEG, formatPNG:
		return []Image{{Name: name, Data: data}}, nil
	case formatTIFF:
		return decodeTIFF(name, data)
	case formatPNM:
		img, err := decodePNM(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		png, err := encodePNG(img, "")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return []Image{{Name: name, Data: png}}, nil
	case formatBMP:
		return decodeBMP(name, data)
	case formatPDF:
		return decodePDF(name, data)
	case formatZIP:
		return nil, fmt.Errorf("%s is a ZIP archive: import it with `saoyue-scan import`", name)
	default:
		if len(data) == 0 {
			return nil, fmt.Errorf("%s is empty (0 bytes): the scanner did not write it", name)
		}
		return nil, fmt.Errorf("%s is not a scanned image (JPEG, PNG, TIFF, PNM, BMP or PDF)", name)
	}
}
