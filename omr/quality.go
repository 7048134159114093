package omr

import (
	"fmt"
	"math"

	"gocv.io/x/gocv"
)

// Quality thresholds. A warning does not stop reading; it tells the
// technician why a page may need a rescan.
const (
	maxSkewDeg   = 3.0
	minPaper     = 150 // paper darker than this: too dark / grey background
	maxInk       = 110 // fiducial lighter than this: faint, too light
	minSharpness = 0.12
)

// cornerWords names the corners (cornerNames) for a technician.
var cornerWords = map[string]string{"tl": "左上角", "tr": "右上角", "br": "右下角", "bl": "左下角"}

func (r *Reader) quality(res *Result, pl *planes, gv view, sm *small, pi *pageInfo, reg *registration, found [4]*pt) {
	for _, c := range reg.missing {
		res.Quality = append(res.Quality, fmt.Sprintf("%s定位标记缺失或损坏（折角或撕角？）", cornerWords[c]))
	}
	if math.Abs(res.SkewDeg) > maxSkewDeg {
		res.Quality = append(res.Quality, fmt.Sprintf("页面歪斜 %.1f°", res.SkewDeg))
	}
	if reg.mode == "perspective" && math.Abs(reg.h[6])+math.Abs(reg.h[7]) > 2e-5 {
		res.Quality = append(res.Quality, "已校正透视变形（拍照图像？）")
	}
	// Paper and ink levels from the small page.
	// Every other pixel of the small page is plenty for two percentiles.
	var hist [256]int
	for y := 0; y < sm.view.h; y += 2 {
		row := sm.view.pix[y*sm.view.stride:]
		for x := 0; x < sm.view.w; x += 2 {
			hist[row[x]]++
		}
	}
	paper := percentile(hist[:], 0.9)
	if paper < minPaper {
		res.Quality = append(res.Quality, fmt.Sprintf("图像太暗（纸张亮度 %d）", paper))
	}
	var inkSum float64
	n := 0
	for _, f := range found {
		if f != nil {
			inkSum += float64(gv.at(int(f.X), int(f.Y)))
			n++
		}
	}
	if n > 0 && inkSum/float64(n) > maxInk {
		res.Quality = append(res.Quality, fmt.Sprintf("图像太淡或褪色（定位标记亮度 %.0f）", inkSum/float64(n)))
	}
	if s := sharpness(pl.gray, reg, pi); s >= 0 && s < minSharpness {
		res.Quality = append(res.Quality, fmt.Sprintf("图像模糊（清晰度 %.2f）", s))
	}
}

func percentile(hist []int, p float64) int {
	total := 0
	for _, c := range hist {
		total += c
	}
	acc := 0
	for v, c := range hist {
		acc += c
		if float64(acc) >= p*float64(total) {
			return v
		}
	}
	return len(hist) - 1
}

// sharpness is the steepest step across the page code's module edges
// relative to its contrast: about 0.5 for a crisp scan, near 0.1 when
// blurred. -1 when it cannot be measured.
func sharpness(gray gocv.Mat, reg *registration, pi *pageInfo) float64 {
	crop, err := warpRegion(gray, reg.h, pi.qr.Rect, 1, 0)
	if err != nil {
		return -1
	}
	defer crop.Close()
	v, err := viewOf(crop)
	if err != nil || v.w < 8 {
		return -1
	}
	lo, hi := 255, 0
	var steps []float64
	for y := v.h / 4; y < v.h*3/4; y += 3 {
		row := v.pix[y*v.stride:]
		best := 0
		for x := 1; x < v.w; x++ {
			lo, hi = min(lo, int(row[x])), max(hi, int(row[x]))
			if d := int(row[x]) - int(row[x-1]); d > best || -d > best {
				best = max(d, -d)
			}
		}
		steps = append(steps, float64(best))
	}
	if hi-lo < 40 || len(steps) == 0 {
		return -1
	}
	var sum float64
	for _, s := range steps {
		sum += s
	}
	return sum / float64(len(steps)) / float64(hi-lo)
}
