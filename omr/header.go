package omr

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Limits on what decoding a page may cost. A page image is refused from its
// header, before a byte of it is decoded: a PNG of 634 KB can claim 79
// megapixels of 16-bit RGBA, 632 MB decoded.
//
// The largest real scans: an A3 card (the English card) at 600 dpi colour
// is 7016 x 9921 = 69.6 MP x 3 bytes = 209 MB of samples; an A4 card at 600
// dpi in 48-bit colour is 35 MP x 6 = 210 MB. Both pass maxSampleBytes
// (256 MiB). Their whole reading (decodeCost) holds 487 MB (the A3 page,
// 696 MB as a progressive JPEG) and 244 MB: under maxDecodeCost (768 MiB).
// An A4 page at 300 dpi grey (8.7 MP) costs 35 MB. Nothing a document
// scanner writes for an answer card comes near the limits; an image over
// them is a mistake (a stitched photo, a wrong setting) or an attack, and
// is refused with the reason. The worker's default memory budget (1 GiB)
// holds the largest page the limits let through.
const (
	// maxSampleBytes bounds the image as the file describes it: width x
	// height x samples per pixel x bytes per sample.
	maxSampleBytes = 256 << 20
	// maxDecodeCost bounds what decoding and reading it holds at once
	// (decodeCost).
	maxDecodeCost = 768 << 20
)

// header is what a page image's header says about its decoded size.
type header struct {
	png         bool
	width       int
	height      int
	channels    int     // samples per pixel in the file (a palette index counts as 3 or 4: it is expanded)
	bitDepth    int     // bits per sample
	multiScan   bool    // a JPEG of several scans (progressive): libjpeg keeps every coefficient of the image
	coefSamples float64 // a JPEG's coefficients per pixel, all components (1.5 for colour at 4:2:0)
	paletteOrGA bool    // a PNG that OpenCV expands (palette, grey with alpha)
}

// pixels is width x height, in int64 so a forged header cannot overflow.
func (h header) pixels() int64 { return int64(h.width) * int64(h.height) }

// sampleBytes is the image as the file describes it, decoded.
func (h header) sampleBytes() int64 {
	return h.pixels() * int64(h.channels) * int64((h.bitDepth+7)/8)
}

// decodeCost is how many bytes reading the page holds at its peak,
// counted from the allocations of the decode path (decode) and of the
// reading that follows:
//   - the decoded Mat: grey 1 byte a pixel; colour 3 (4 with alpha), 8-bit
//     always (a 16-bit PNG is decoded straight to 8-bit BGR);
//   - a multi-scan JPEG's whole-image coefficient buffer, 2 bytes a sample,
//     alive while the decoded Mat is being filled;
//   - for colour, the grey and red planes (2 bytes a pixel), made while the
//     decoded Mat still exists;
//   - the reading itself: the page code searched at full resolution (a
//     copy of the grey plane, a quarter of it copied twice again for the QR
//     decoder, and its binarised bitmap), about 2 bytes a pixel; measured
//     in TestDecodeCostCoversPeak.
func (h header) decodeCost() int64 {
	px := h.pixels()
	var mat int64
	switch {
	case h.png && h.bitDepth > 8:
		mat = 3 * px
	case h.png && h.paletteOrGA:
		mat = 4 * px
	default:
		mat = int64(h.channels) * px
	}
	if h.multiScan {
		mat += int64(2 * h.coefSamples * float64(px))
	}
	var planes int64 // a grey image's decoded Mat is its grey plane
	if mat > px {
		planes = 2 * px
	}
	return mat + planes + readOverhead*px
}

// readOverhead is what reading holds beyond the planes, in bytes a pixel of
// the page (see decodeCost).
const readOverhead = 2

// Cost is how many bytes reading the image will hold at its peak, from its
// header alone: what a worker reserves from its memory budget before
// reading a page. err is set for an image Read refuses from its header
// (the same reason Read gives).
func Cost(data []byte) (int64, error) {
	hdr, err := readHeader(data)
	if err != nil {
		return 0, err
	}
	if err := checkSize(hdr); err != nil {
		return 0, err
	}
	return hdr.decodeCost(), nil
}

// Refused is the reading of a page refused before it was read: an
// unreadable_image exception with the reason.
func Refused(name, reason string) *Result {
	res := &Result{File: name, Items: []Item{}}
	res.Except(ExcUnreadable, reason, 0)
	return res
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// readHeader reads the size of a JPEG (its SOF) or PNG (its IHDR) without
// decoding. A header the reader cannot make sense of is an inputError.
func readHeader(data []byte) (header, error) {
	if bytes.HasPrefix(data, pngMagic) {
		return pngHeader(data)
	}
	return jpegHeader(data)
}

func pngHeader(data []byte) (header, error) {
	if len(data) < 33 || string(data[12:16]) != "IHDR" {
		return header{}, badInput("PNG 文件头损坏：缺少 IHDR")
	}
	d := data[16:]
	h := header{png: true, width: int(binary.BigEndian.Uint32(d[0:4])), height: int(binary.BigEndian.Uint32(d[4:8])), bitDepth: int(d[8])}
	switch d[9] { // colour type
	case 0:
		h.channels = 1
	case 2:
		h.channels = 3
	case 3:
		h.channels, h.paletteOrGA = 3, true
		h.bitDepth = 8 // the index expands to 8-bit samples
	case 4:
		h.channels, h.paletteOrGA = 2, true
	case 6:
		h.channels = 4
	default:
		return header{}, badInput("PNG 文件头损坏：颜色类型 %d 不存在", d[9])
	}
	if h.width <= 0 || h.height <= 0 || h.bitDepth == 0 || h.bitDepth > 16 {
		return header{}, badInput("PNG 文件头损坏：%d×%d 像素，位深 %d", h.width, h.height, h.bitDepth)
	}
	return h, nil
}

func jpegHeader(data []byte) (header, error) {
	i := 2 // after SOI
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return header{}, badInput("JPEG 文件头损坏：第 %d 字节处应为标记", i)
		}
		marker := data[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		n := int(binary.BigEndian.Uint16(data[i+2 : i+4]))
		if n < 2 || i+2+n > len(data) {
			return header{}, badInput("JPEG 文件头损坏：段长度 %d 超出文件", n)
		}
		seg := data[i+4 : i+2+n]
		isSOF := marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
		if isSOF {
			if len(seg) < 6 {
				return header{}, badInput("JPEG 文件头损坏：SOF 段过短")
			}
			h := header{bitDepth: int(seg[0]), height: int(binary.BigEndian.Uint16(seg[1:3])),
				width: int(binary.BigEndian.Uint16(seg[3:5])), channels: int(seg[5])}
			if h.width == 0 || h.height == 0 || h.channels == 0 {
				return header{}, badInput("JPEG 文件头损坏：%d×%d 像素，%d 个分量", h.width, h.height, h.channels)
			}
			h.bitDepth = 8 // libjpeg's output: 8-bit samples whatever the precision
			h.coefSamples = coefSamples(seg[6:], h.channels)
			h.multiScan = scans(data[i+2+n:]) > 1 || marker&3 == 2
			return h, nil
		}
		i += 2 + n
	}
	return header{}, badInput("JPEG 文件头损坏：找不到图像尺寸（SOF）")
}

// coefSamples is how many DCT coefficients a JPEG has per pixel, from its
// components' sampling factors (3 bytes each after the SOF's size):
// subsampled chroma has fewer. Unknown: as many as components.
func coefSamples(comps []byte, n int) float64 {
	if len(comps) < 3*n {
		return float64(n)
	}
	hmax, vmax := 1, 1
	for i := 0; i < n; i++ {
		hmax, vmax = max(hmax, int(comps[3*i+1]>>4)), max(vmax, int(comps[3*i+1]&15))
	}
	var s float64
	for i := 0; i < n; i++ {
		s += float64(int(comps[3*i+1]>>4)*int(comps[3*i+1]&15)) / float64(hmax*vmax)
	}
	return s
}

// scans counts the start-of-scan markers in JPEG data. In entropy-coded
// data 0xFF is always followed by 0x00 (stuffing), a restart marker or a
// real marker, so FF DA is a scan's start.
func scans(data []byte) int {
	n := 0
	for {
		j := bytes.Index(data, []byte{0xFF, 0xDA})
		if j < 0 {
			return n
		}
		n++
		data = data[j+2:]
	}
}

// checkSize refuses an image whose decode would cost more than any real
// scan's, from its header alone.
func checkSize(h header) error {
	if sb := h.sampleBytes(); sb > maxSampleBytes {
		return badInput("图像为 %d×%d 像素、每像素 %d 个 %d 位样本，解码后达 %d MB，超过扫描页的上限 %d MB；请以 8 位灰度或彩色、不高于 600 dpi 重新扫描",
			h.width, h.height, h.channels, h.bitDepth, sb>>20, maxSampleBytes>>20)
	}
	if c := h.decodeCost(); c > maxDecodeCost {
		return badInput("图像为 %d×%d 像素，读取需要 %d MB 内存，超过扫描页的上限 %d MB；请以不高于 600 dpi 重新扫描",
			h.width, h.height, c>>20, maxDecodeCost>>20)
	}
	return nil
}

// pngCRCError finds the first PNG chunk whose CRC does not match its data:
// a flipped byte anywhere in a PNG (libpng does not check every chunk the
// way a reading must). "" when every chunk is sound up to IEND.
func pngCRCError(data []byte) string {
	i := len(pngMagic)
	for i+12 <= len(data) {
		n := int(binary.BigEndian.Uint32(data[i : i+4]))
		if n < 0 || n > len(data)-i-12 {
			return fmt.Sprintf("PNG 数据块长度 %d 超出文件（第 %d 字节）", n, i)
		}
		typ := data[i+4 : i+8]
		want := binary.BigEndian.Uint32(data[i+8+n : i+12+n])
		if crc32.ChecksumIEEE(data[i+4:i+8+n]) != want {
			return fmt.Sprintf("PNG 数据块 %q 校验和（CRC）不符（第 %d 字节）", typ, i)
		}
		if string(typ) == "IEND" {
			return ""
		}
		i += 12 + n
	}
	return "PNG 文件在 IEND 之前结束"
}
