package omr

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // DecodeConfig: size check before OpenCV allocates
	_ "image/png"

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
// the page, never a failure of the batch.
type inputError struct{ reason string }

func (e *inputError) Error() string { return e.reason }

func badInput(format string, args ...any) error {
	return &inputError{reason: fmt.Sprintf(format, args...)}
}

// checkInput refuses, with a reason a technician understands, what is not a
// complete single-page JPEG or PNG, before OpenCV sees it. OpenCV decodes a
// truncated JPEG into a grey-bottomed image and a multi-page TIFF into its
// first page; both would lose answers silently. It returns the header it
// read, so the decoder need not read it again.
func checkInput(data []byte) (image.Config, error) {
	switch {
	case len(data) == 0:
		return image.Config{}, badInput("empty file (0 bytes): the scan was not written completely")
	case len(data) > maxFileLen:
		return image.Config{}, badInput("file is %d MB, larger than any scanned page", len(data)>>20)
	case bytes.HasPrefix(data, []byte("%PDF")):
		return image.Config{}, badInput("this is a PDF, not a page image: import it with `saoyue-scan import`, which splits it into pages")
	case bytes.HasPrefix(data, []byte("II*\x00")) || bytes.HasPrefix(data, []byte("MM\x00*")):
		return image.Config{}, badInput("this is a TIFF file: import it with `saoyue-scan import`, which splits multi-page TIFFs into pages")
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		tail := bytes.TrimRight(data[max(0, len(data)-4096):], "\x00\r\n ")
		if !bytes.HasSuffix(tail, []byte{0xFF, 0xD9}) {
			return image.Config{}, badInput("truncated JPEG: the file ends before the image does (interrupted transfer?)")
		}
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		if !bytes.Contains(data[max(0, len(data)-64):], []byte("IEND")) {
			return image.Config{}, badInput("truncated PNG: the file ends before the image does (interrupted transfer?)")
		}
	default:
		return image.Config{}, badInput("not a JPEG or PNG image")
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return image.Config{}, badInput("corrupt image header: %v", err)
	}
	if cfg.Width*cfg.Height > maxPixels {
		return image.Config{}, badInput("image is %dx%d pixels, too large for a scanned page", cfg.Width, cfg.Height)
	}
	if cfg.Width < minSidePx || cfg.Height < minSidePx {
		return image.Config{}, badInput("image is %dx%d pixels, too small to be a scanned page", cfg.Width, cfg.Height)
	}
	return cfg, nil
}

// planes are the 8-bit images reading works on. gray always exists; dropout
// exists for colour scans and is the red channel, in which red-printed
// bubble outlines and letters vanish.
type planes struct {
	gray    gocv.Mat
	dropout gocv.Mat
	color   bool
}

func (p *planes) Close() {
	p.gray.Close()
	if p.color {
		p.dropout.Close()
	}
}

// decode checks and decodes a page image. alone says no other page is
// being read in the process, so a grey JPEG may take both cores to decode.
func decode(data []byte, alone bool) (*planes, error) {
	cfg, err := checkInput(data)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}) && cfg.ColorModel == color.GrayModel {
		if m, ok := decodeGraySplit(data, cfg.Width, cfg.Height, alone); ok {
			return &planes{gray: m}, nil
		}
	}
	m, err := gocv.IMDecode(data, gocv.IMReadUnchanged)
	if err != nil || m.Empty() {
		m.Close()
		return nil, badInput("the image data is corrupt and cannot be decoded")
	}
	if m.Type() != gocv.MatTypeCV8U && m.Type() != gocv.MatTypeCV8UC3 && m.Type() != gocv.MatTypeCV8UC4 {
		// 16-bit or other exotic PNGs: let OpenCV convert to 8-bit colour.
		m.Close()
		m, err = gocv.IMDecode(data, gocv.IMReadColor)
		if err != nil || m.Empty() {
			m.Close()
			return nil, badInput("the image data is corrupt and cannot be decoded")
		}
	}
	switch m.Channels() {
	case 1:
		return &planes{gray: m}, nil
	case 3, 4:
		p := &planes{gray: gocv.NewMat(), dropout: gocv.NewMat(), color: true}
		code := gocv.ColorBGRToGray
		if m.Channels() == 4 {
			code = gocv.ColorBGRAToGray
		}
		gocv.CvtColor(m, &p.gray, code)
		gocv.ExtractChannel(m, &p.dropout, 2) // BGR(A): index 2 is red
		m.Close()
		return p, nil
	default:
		m.Close()
		return nil, badInput("unsupported image with %d channels", m.Channels())
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
		return view{}, fmt.Errorf("internal: image is not continuous")
	}
	pix, err := m.DataPtrUint8()
	if err != nil {
		return view{}, fmt.Errorf("internal: %w", err)
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
