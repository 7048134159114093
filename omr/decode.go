package omr

import (
	"bytes"
	"errors"
	"fmt"

	"gocv.io/x/gocv"
)

// Limits on what a page image can be. A4 at 600 dpi colour is ~35 MP; a
// page smaller than 300 px on a side cannot carry readable bubbles.
const (
	maxPixels  = 80_000_000
	minSidePx  = 300
	maxFileLen = 200 << 20
)

// inputError is a problem with the file itself: it becomes an exception on
// the page, never a failure of the batch. damaged says the file is an
// image whose data was corrupted (a flipped byte, a cut transfer): it
// becomes a damaged_image exception, the rest unreadable_image.
type inputError struct {
	reason  string
	damaged bool
}

func (e *inputError) Error() string { return e.reason }

func badInput(format string, args ...any) error {
	return &inputError{reason: fmt.Sprintf(format, args...)}
}

func damaged(format string, args ...any) error {
	return &inputError{reason: fmt.Sprintf(format, args...), damaged: true}
}

// exceptionKind is the exception a decode error becomes.
func exceptionKind(err error) Kind {
	var ie *inputError
	if errors.As(err, &ie) && ie.damaged {
		return ExcDamaged
	}
	return ExcUnreadable
}

// checkInput refuses, with a reason a technician understands, what is not a
// complete single-page JPEG or PNG, before OpenCV sees it. OpenCV decodes a
// truncated JPEG into a grey-bottomed image and a multi-page TIFF into its
// first page; both would lose answers silently. It returns the header it
// read, so the decoder need not read it again. An image is refused from its
// header when decoding it would cost more than any real scan (checkSize),
// and when its data is damaged (a PNG chunk's CRC).
func checkInput(data []byte) (header, error) {
	switch {
	case len(data) == 0:
		return header{}, badInput("空文件（0 字节）：扫描文件没有写完整")
	case len(data) > maxFileLen:
		return header{}, badInput("文件大小 %d MB，超过任何扫描页", len(data)>>20)
	case bytes.HasPrefix(data, []byte("%PDF")):
		return header{}, badInput("这是 PDF 文件，不是页面图像：请用 `saoyue-scan import` 导入，它会把 PDF 拆成单页")
	case bytes.HasPrefix(data, []byte("II*\x00")) || bytes.HasPrefix(data, []byte("MM\x00*")):
		return header{}, badInput("这是 TIFF 文件：请用 `saoyue-scan import` 导入，它会把多页 TIFF 拆成单页")
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		tail := bytes.TrimRight(data[max(0, len(data)-4096):], "\x00\r\n ")
		if !bytes.HasSuffix(tail, []byte{0xFF, 0xD9}) {
			return header{}, badInput("JPEG 文件不完整：文件在图像结束之前就断了（传输中断？）")
		}
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		if !bytes.Contains(data[max(0, len(data)-64):], []byte("IEND")) {
			return header{}, badInput("PNG 文件不完整：文件在图像结束之前就断了（传输中断？）")
		}
	default:
		return header{}, badInput("不是 JPEG 或 PNG 图像")
	}
	hdr, err := readHeader(data)
	if err != nil {
		return header{}, err
	}
	if hdr.pixels() > maxPixels {
		return header{}, badInput("图像为 %d×%d 像素，超过扫描页的上限", hdr.width, hdr.height)
	}
	if hdr.width < minSidePx || hdr.height < minSidePx {
		return header{}, badInput("图像为 %d×%d 像素，太小，不是扫描页", hdr.width, hdr.height)
	}
	if err := checkSize(hdr); err != nil {
		return header{}, err
	}
	if hdr.png {
		// libpng checks the CRC of the chunks it needs as it goes, and
		// OpenCV does not say when it stopped early; every chunk is checked
		// here first (a few ms for a page).
		if why := pngCRCError(data); why != "" {
			return header{}, damaged("PNG 图像数据损坏：%s", why)
		}
	}
	return hdr, nil
}

// planes are the 8-bit images reading works on. gray always exists; dropout
// exists for colour scans and is the red channel, in which red-printed
// bubble outlines and letters vanish.
type planes struct {
	gray    gocv.Mat
	dropout gocv.Mat
	color   bool
	cost    int64 // what reading the page holds (decodeCost)
}

func (p *planes) Close() {
	p.gray.Close()
	if p.color {
		p.dropout.Close()
	}
	if p.cost > trimAbove {
		releaseFreedMemory()
	}
}

// decode checks and decodes a page image. alone says no other page is
// being read in the process, so a grey JPEG may take both cores to decode.
func decode(data []byte, alone bool) (*planes, error) {
	hdr, err := checkInput(data)
	if err != nil {
		return nil, err
	}
	if !hdr.png {
		if hdr.channels == 1 && !hdr.multiScan {
			m, ok, err := decodeGraySplit(data, hdr.width, hdr.height, alone)
			if err != nil {
				return nil, err
			}
			if ok {
				return &planes{gray: m, cost: hdr.decodeCost()}, nil
			}
		}
		// OpenCV decodes around damaged data silently: libjpeg runs
		// through the file first.
		if err := checkJPEG(data); err != nil {
			return nil, err
		}
	}
	// A 16-bit PNG is decoded straight to 8-bit colour, as it always read
	// (decoded unchanged, then again as colour): the unchanged 16-bit
	// decode cost 8 bytes a pixel for nothing.
	flags := gocv.IMReadUnchanged
	if hdr.png && hdr.bitDepth > 8 {
		flags = gocv.IMReadColor
	}
	m, err := gocv.IMDecode(data, flags)
	if err != nil || m.Empty() {
		m.Close()
		return nil, badInput("图像数据损坏，无法解码")
	}
	if m.Type() != gocv.MatTypeCV8U && m.Type() != gocv.MatTypeCV8UC3 && m.Type() != gocv.MatTypeCV8UC4 {
		// Other exotic images: let OpenCV convert to 8-bit colour.
		m.Close()
		m, err = gocv.IMDecode(data, gocv.IMReadColor)
		if err != nil || m.Empty() {
			m.Close()
			return nil, badInput("图像数据损坏，无法解码")
		}
	}
	switch m.Channels() {
	case 1:
		return &planes{gray: m, cost: hdr.decodeCost()}, nil
	case 3, 4:
		code := gocv.ColorBGRToGray
		if m.Channels() == 4 {
			code = gocv.ColorBGRAToGray
		}
		if !colourful(m) {
			// A grey scan saved with three equal channels: read as grey,
			// or its red channel would hide nothing and the printed letters
			// of a red card would read as marks.
			p := &planes{gray: gocv.NewMat(), cost: hdr.decodeCost()}
			gocv.CvtColor(m, &p.gray, code)
			m.Close()
			return p, nil
		}
		p := &planes{gray: gocv.NewMat(), dropout: gocv.NewMat(), color: true, cost: hdr.decodeCost()}
		gocv.CvtColor(m, &p.gray, code)
		gocv.ExtractChannel(m, &p.dropout, 2) // BGR(A): index 2 is red
		m.Close()
		return p, nil
	default:
		m.Close()
		return nil, badInput("不支持 %d 个通道的图像", m.Channels())
	}
}

// view is a read-only window on a continuous 8-bit Mat for fast sampling
// in Go.
type view struct {
	pix    []uint8
	w, h   int
	stride int
}

func viewOf(m gocv.Mat) (view, error) {
	if !m.IsContinuous() {
		return view{}, fmt.Errorf("内部错误：图像在内存中不连续")
	}
	pix, err := m.DataPtrUint8()
	if err != nil {
		return view{}, fmt.Errorf("内部错误：%w", err)
	}
	return view{pix: pix, w: m.Cols(), h: m.Rows(), stride: m.Step()}, nil
}

func (v view) at(x, y int) uint8 {
	if x < 0 {
		x = 0
	} else if x >= v.w {
		x = v.w - 1
	}
	if y < 0 {
		y = 0
	} else if y >= v.h {
		y = v.h - 1
	}
	return v.pix[y*v.stride+x]
}

// Colour tests: a pixel is coloured when two of its channels differ by more
// than colourDiff (grey levels; JPEG noise of a grey image stays within a
// few, paper tint within 20), and an image is a colour scan when more than
// colourShare of its pixels are. The print of a red card covers several
// per cent of the page.
const (
	colourDiff  = 48
	colourShare = 0.001
)

// colourful reports whether an 8-bit BGR(A) image holds real colour, from
// every third pixel of every third row.
func colourful(m gocv.Mat) bool {
	if !m.IsContinuous() {
		return true
	}
	pix, err := m.DataPtrUint8()
	if err != nil {
		return true
	}
	ch, w, h, step := m.Channels(), m.Cols(), m.Rows(), m.Step()
	n, coloured := 0, 0
	for y := 0; y < h; y += 3 {
		row := pix[y*step : y*step+w*ch]
		for x := 0; x < w*ch; x += 3 * ch {
			b, g, r := int(row[x]), int(row[x+1]), int(row[x+2])
			n++
			if abs(b-g) > colourDiff || abs(g-r) > colourDiff || abs(r-b) > colourDiff {
				coloured++
			}
		}
	}
	return float64(coloured) > colourShare*float64(n)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
