package scanner

import (
	"errors"
	"fmt"
	"image"
	"image/color"
)

// decodePNM reads the binary netpbm images scanimage writes: P4 (line
// art), P5 (grey, 8 or 16 bit) and P6 (colour, 8 or 16 bit).
func decodePNM(data []byte) (image.Image, error) {
	pos := 2
	field := func() (int, error) {
		for pos < len(data) {
			if data[pos] == '#' {
				for pos < len(data) && data[pos] != '\n' {
					pos++
				}
			} else if isSpace(data[pos]) {
				pos++
			} else {
				break
			}
		}
		start := pos
		v := 0
		for pos < len(data) && data[pos] >= '0' && data[pos] <= '9' {
			v = v*10 + int(data[pos]-'0')
			if v > 1<<20 {
				return 0, errors.New("PNM header value too large")
			}
			pos++
		}
		if pos == start {
			return 0, errors.New("PNM header is damaged")
		}
		return v, nil
	}
	kind := data[1]
	w, err := field()
	if err != nil {
		return nil, err
	}
	h, err := field()
	if err != nil {
		return nil, err
	}
	maxval := 1
	if kind != '4' {
		if maxval, err = field(); err != nil {
			return nil, err
		}
	}
	pos++ // the single whitespace before the raster
	if w == 0 || h == 0 || maxval == 0 || maxval > 65535 {
		return nil, fmt.Errorf("PNM image %dx%d, maxval %d is not a scan", w, h, maxval)
	}
	raster := data[min(pos, len(data)):]
	sample := 1
	if maxval > 255 {
		sample = 2
	}
	at := func(i int) uint32 { // sample i scaled to 16 bits
		v := uint32(raster[i])
		if sample == 2 {
			v = uint32(raster[2*i])<<8 | uint32(raster[2*i+1])
		}
		return min(v, uint32(maxval)) * 0xFFFF / uint32(maxval)
	}
	switch kind {
	case '4':
		stride := (w + 7) / 8
		if len(raster) < stride*h {
			return nil, errors.New("PNM image is truncated: the scan was not written completely")
		}
		img := image.NewGray(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if raster[y*stride+x/8]&(0x80>>(x%8)) == 0 { // 1 is black in PBM
					img.Pix[y*img.Stride+x] = 0xFF
				}
			}
		}
		return img, nil
	case '5':
		if len(raster) < w*h*sample {
			return nil, errors.New("PNM image is truncated: the scan was not written completely")
		}
		if sample == 1 && maxval == 255 {
			img := image.NewGray(image.Rect(0, 0, w, h))
			copy(img.Pix, raster)
			return img, nil
		}
		img := image.NewGray16(image.Rect(0, 0, w, h))
		for i := 0; i < w*h; i++ {
			img.SetGray16(i%w, i/w, color.Gray16{Y: uint16(at(i))})
		}
		return img, nil
	case '6':
		if len(raster) < 3*w*h*sample {
			return nil, errors.New("PNM image is truncated: the scan was not written completely")
		}
		img := image.NewRGBA64(image.Rect(0, 0, w, h))
		for i := 0; i < w*h; i++ {
			img.SetRGBA64(i%w, i/w, color.RGBA64{R: uint16(at(3 * i)), G: uint16(at(3*i + 1)), B: uint16(at(3*i + 2)), A: 0xFFFF})
		}
		return img, nil
	}
	return nil, fmt.Errorf("PNM type P%c is not supported: scan in binary mode (P4, P5 or P6)", kind)
}
