package scanner

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"strconv"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// encodePNG writes img as PNG. A non-empty comment goes into a tEXt chunk:
// SANE stamps each scan with its time and number there, so two sheets that
// happen to give identical pixels (a virtual scanner, two blank backs) are
// still two pages and not one content-addressed image.
func encodePNG(img image.Image, comment string) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode PNG: %w", err)
	}
	if comment == "" {
		return buf.Bytes(), nil
	}
	return addPNGText(buf.Bytes(), "Comment", comment), nil
}

// addPNGText inserts a tEXt chunk right after IHDR (signature 8 bytes, IHDR
// chunk 25 bytes), where every PNG reader expects ancillary chunks.
func addPNGText(data []byte, keyword, text string) []byte {
	const afterIHDR = 8 + 25
	body := append([]byte("tEXt"+keyword+"\x00"), text...)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(body)-4))
	chunk = append(chunk, body...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(body))
	out := make([]byte, 0, len(data)+len(chunk))
	out = append(out, data[:afterIHDR]...)
	out = append(out, chunk...)
	return append(out, data[afterIHDR:]...)
}

func decodeBMP(name string, data []byte) ([]Image, error) {
	img, err := bmp.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: read BMP: %w", name, err)
	}
	out, err := encodePNG(img, "")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return []Image{{Name: name, Data: out}}, nil
}

// decodeTIFF returns every page of a TIFF as PNG. golang.org/x/image/tiff
// decodes only the first image of a file, so this walks the chain of image
// directories (IFDs) itself and lets the library decode each one by
// presenting the file with its first-IFD pointer moved to that page.
func decodeTIFF(name string, data []byte) ([]Image, error) {
	offsets, err := tiffPages(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := make([]Image, 0, len(offsets))
	for i, off := range offsets {
		img, err := tiff.Decode(&firstIFDAt{data: data, ifd: off, order: tiffOrder(data)})
		if err != nil {
			return nil, fmt.Errorf("%s: page %d: %w", name, i+1, err)
		}
		png, err := encodePNG(img, "")
		if err != nil {
			return nil, fmt.Errorf("%s: page %d: %w", name, i+1, err)
		}
		pageName := name
		if len(offsets) > 1 {
			pageName = name + "#" + strconv.Itoa(i+1)
		}
		out = append(out, Image{Name: pageName, Data: png})
	}
	return out, nil
}

func tiffOrder(data []byte) binary.ByteOrder {
	if data[0] == 'M' {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// tiffPages returns the offsets of the IFDs that are pages, in file order,
// skipping reduced-resolution copies (thumbnails some scanners add).
func tiffPages(data []byte) ([]uint32, error) {
	if len(data) < 8 {
		return nil, errors.New("TIFF header is truncated")
	}
	order := tiffOrder(data)
	if order.Uint16(data[2:]) == 43 {
		return nil, errors.New("BigTIFF files are not supported: save the scan as ordinary TIFF, JPEG or PNG")
	}
	var pages []uint32
	seen := map[uint32]bool{}
	for off := order.Uint32(data[4:]); off != 0; {
		if seen[off] {
			return nil, errors.New("TIFF image directories form a loop: the file is damaged")
		}
		seen[off] = true
		if int64(off)+2 > int64(len(data)) {
			return nil, fmt.Errorf("TIFF image directory %d is past the end of the file: the file is truncated", len(seen))
		}
		n := int64(order.Uint16(data[off:]))
		end := int64(off) + 2 + 12*n
		if end+4 > int64(len(data)) {
			return nil, fmt.Errorf("TIFF image directory %d is past the end of the file: the file is truncated", len(seen))
		}
		reduced := false
		for i := int64(0); i < n; i++ {
			e := data[int64(off)+2+12*i:]
			const newSubfileType = 254
			if order.Uint16(e) == newSubfileType && order.Uint32(e[8:])&1 != 0 {
				reduced = true
			}
		}
		if !reduced {
			pages = append(pages, off)
		}
		off = order.Uint32(data[end:])
	}
	if len(pages) == 0 {
		return nil, errors.New("TIFF has no pages")
	}
	return pages, nil
}

// firstIFDAt is the TIFF file with bytes 4-7 (the offset of the first
// image directory) replaced, without copying the file for each page.
type firstIFDAt struct {
	data  []byte
	ifd   uint32
	order binary.ByteOrder
	pos   int64
}

func (f *firstIFDAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(f.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.data[off:])
	var ptr [4]byte
	f.order.PutUint32(ptr[:], f.ifd)
	for i := 0; i < 4; i++ {
		if at := 4 + int64(i) - off; at >= 0 && at < int64(n) {
			p[at] = ptr[i]
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *firstIFDAt) Read(p []byte) (int, error) {
	n, err := f.ReadAt(p, f.pos)
	f.pos += int64(n)
	return n, err
}
