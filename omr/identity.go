package omr

import (
	"errors"
	"fmt"
	"image"
	"sort"
	"strings"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"
	"gocv.io/x/gocv"

	"github.com/saoyue/saoyue/card"
)

// qrMargin is how much room around the page code its crop leaves, as a
// share of its size: the code must fit even when the first registration is
// a few millimetres off.
const qrMargin = 0.25

// pageCode is a decoded page code and where its three finder patterns are
// in the image (top-left, top-right, bottom-left of the code itself).
type pageCode struct {
	text    string
	finders [3]pt // image pixels
	found   bool  // finder positions are known
}

// decodeQR reads the page code from its region only: decoding the whole
// page would be twenty times slower.
func decodeQR(gray gocv.Mat, h homography, q card.Rect) (*pageCode, error) {
	crop, err := warpRegion(gray, h, q, 1, qrMargin)
	if err != nil {
		return nil, err
	}
	defer crop.Close()
	src, err := luminanceOf(crop)
	if err != nil {
		return nil, err
	}
	bmp := mustBitmap(gozxing.NewHybridBinarizer(src))
	hard := map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		res, err = qrcode.NewQRCodeReader().Decode(bmp, hard)
	}
	if err != nil {
		// The local binarizer loses modules of a blurred, noisy photograph
		// that one threshold for the whole (small) crop keeps.
		glob := gozxing.NewGlobalHistgramBinarizer(src)
		if gb, gerr := gozxing.NewBinaryBitmap(glob); gerr == nil {
			res, err = qrcode.NewQRCodeReader().Decode(gb, hard)
		}
	}
	if err != nil {
		return nil, errors.New("版式规定的位置上找不到页码二维码")
	}
	pc := &pageCode{text: res.GetText()}
	// gozxing reports finders as bottom-left, top-left, top-right.
	if pts := res.GetResultPoints(); len(pts) >= 3 {
		toImage := mul(h, homography{1, 0, q.X - q.W*qrMargin, 0, 1, q.Y - q.H*qrMargin, 0, 0, 1})
		at := func(i int) pt { return toImage.apply(pt{pts[i].GetX(), pts[i].GetY()}) }
		pc.finders = [3]pt{at(1), at(2), at(0)}
		pc.found = true
	}
	return pc, nil
}

// decodeBarcode reads the Code 128 sticker inside the barcode box. The box
// is grown because invigilators do not stick labels exactly. With confirm
// (nothing else on the page will check the number), a reading must be
// repeated by a second, independent try: on a blurred sticker a decoder
// now and then turns bars into another string that passes the checksum
// (one symbol in 103).
func decodeBarcode(gray gocv.Mat, h homography, q card.Rect, confirm bool) (string, error) {
	crop, err := warpRegion(gray, h, q, 1, 0.08)
	if err != nil {
		return "", err
	}
	defer crop.Close()
	src, err := luminanceOf(crop)
	if err != nil {
		return "", err
	}
	hard := map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}
	bmp := mustBitmap(gozxing.NewHybridBinarizer(src))
	res, err := oned.NewCode128Reader().Decode(bmp, nil)
	if err != nil {
		res, err = oned.NewCode128Reader().Decode(bmp, hard)
	}
	if err == nil && !confirm {
		return res.GetText(), nil
	}
	first := ""
	if err == nil {
		first = res.GetText()
	}
	// A blurred low-resolution scan merges the narrow bars under the local
	// threshold; one threshold for the whole sticker, or the bars
	// sharpened, still tells them apart. A text is taken when two tries
	// agree.
	text, err := decodeBarcodeHarder(crop, src, hard, first)
	if err != nil {
		return "", err
	}
	return text, nil
}

func decodeBarcodeHarder(crop gocv.Mat, src gozxing.LuminanceSource, hard map[gozxing.DecodeHintType]interface{}, first string) (string, error) {
	seen := map[string]bool{}
	if first != "" {
		seen[first] = true
	}
	try := func(b gozxing.Binarizer) (string, bool) {
		res, err := oned.NewCode128Reader().Decode(mustBitmap(b), hard)
		if err != nil {
			return "", false
		}
		t := res.GetText()
		if seen[t] {
			return t, true
		}
		seen[t] = true
		return "", false
	}
	if t, ok := try(gozxing.NewGlobalHistgramBinarizer(src)); ok {
		return t, nil
	}
	// Unsharp mask: the crop minus its blur, twice over.
	blur := gocv.NewMat()
	defer blur.Close()
	gocv.GaussianBlur(crop, &blur, image.Pt(0, 0), 3, 0, gocv.BorderReplicate)
	sharp := gocv.NewMat()
	defer sharp.Close()
	gocv.AddWeighted(crop, 2.5, blur, -1.5, 0, &sharp)
	s2, err := luminanceOf(sharp)
	if err != nil {
		return "", err
	}
	for _, b := range []gozxing.Binarizer{gozxing.NewHybridBinarizer(s2), gozxing.NewGlobalHistgramBinarizer(s2)} {
		if t, ok := try(b); ok {
			return t, nil
		}
	}
	if first != "" {
		return "", fmt.Errorf("the barcode read once as %s, and no second try agrees", first)
	}
	return "", errors.New("no two tries at the barcode agree")
}

// defaultExamNoDigits is the length of the exam numbers the roster gives
// (docs/EXAM_NUMBERS.md), used when neither the template's grid nor the
// exam's configuration says otherwise.
const defaultExamNoDigits = 10

// examNoLengths is the length of a template's exam-number grid (0: none)
// and of the exam numbers its barcode carries: the grid's, else the
// exam's configured length, else the roster's default.
func examNoLengths(t *card.Template, configured int) (grid, exam int) {
	for _, p := range t.Pages {
		if p.ExamNumber != nil {
			grid = p.ExamNumber.Digits
			break
		}
	}
	switch {
	case grid > 0:
		exam = grid
	case configured > 0:
		exam = configured
	default:
		exam = defaultExamNoDigits
	}
	return grid, exam
}

// barcodeFits reports whether a decoded barcode is a number this card can
// carry: of the card's length, or of the exam's configured one (a grid may
// hold only the last digits of the exam number).
func (ti *tmplInfo) barcodeFits(s string, configured int) bool {
	return validExamNo(s, ti.examDigits) || configured > 0 && validExamNo(s, configured)
}

// validExamNo reports whether s is an exam number of n digits.
func validExamNo(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// contradicts reports whether a grid reading shows a digit that differs
// from the barcode's at the same place (unreadable columns say nothing).
// A grid shorter than the barcode holds its last digits.
func contradicts(barcode, grid string) bool {
	barcode = gridPart(barcode, len(grid))
	for i := 0; i < len(grid) && i < len(barcode); i++ {
		if grid[i] >= '0' && grid[i] <= '9' && grid[i] != barcode[i] {
			return true
		}
	}
	return false
}

// gridPart is what of an exam number a grid of n columns holds: its last n
// digits.
func gridPart(examNo string, n int) string {
	if len(examNo) > n {
		return examNo[len(examNo)-n:]
	}
	return examNo
}

// mustBitmap wraps a binarizer; gozxing fails only on a nil one.
func mustBitmap(b gozxing.Binarizer) *gozxing.BinaryBitmap {
	bmp, _ := gozxing.NewBinaryBitmap(b)
	return bmp
}

// identity reads the barcode and the exam-number grid and compares them,
// and settles the booklet form.
func (r *Reader) identity(res *Result, pl *planes, pi *pageInfo, reg *registration, bubbles []card.Bubble, fills []reading, early *earlyBarcode) {
	barcodeBox := barcodeRegion(pi.layout)
	cols := map[int][]int{} // column -> bubble indexes
	for i, b := range bubbles {
		if b.Kind == card.BubbleGrid {
			cols[b.Column] = append(cols[b.Column], i)
		}
	}
	if barcodeBox == nil && len(cols) == 0 {
		return
	}
	en := &ExamNo{}
	gridComplete := len(cols) > 0
	if len(cols) > 0 {
		var sb strings.Builder
		for c := 0; c < len(cols); c++ {
			idx := cols[c]
			sort.Slice(idx, func(i, j int) bool { return bubbles[idx[i]].Index < bubbles[idx[j]].Index })
			digit, marked, doubtful := "", 0, false
			for _, i := range idx {
				switch stateOf(fills[i]) {
				case stateMarked:
					marked++
					digit = bubbles[i].Option
				case stateDoubtful:
					doubtful = true
				}
			}
			switch {
			case doubtful:
				sb.WriteByte('~')
				gridComplete = false
			case marked == 0:
				sb.WriteByte('?')
				gridComplete = false
			case marked > 1:
				sb.WriteByte('*')
				gridComplete = false
			default:
				sb.WriteString(digit)
			}
		}
		en.Grid = sb.String()
	}
	sticker := r.readBarcode(res, pl, pi, reg, en, gridComplete, early)
	r.settleExamNo(res, pi, en, gridComplete, sticker)
	var where []card.Rect
	for _, rg := range pi.layout.Regions {
		if rg.Kind == card.RegionBarcode || rg.Kind == card.RegionExamNumber {
			where = append(where, rg.Rect)
		}
	}
	en.Box = imageBox(reg.h, where)
	res.ExamNo = en

	if fm := res.FormMarks; fm != nil {
		switch fm.Status {
		case StatusOK:
			if res.Form != "" && res.Form != fm.Chosen[0] {
				res.Except(ExcMark, fmt.Sprintf("答题卡印制为 %s 卷，但填涂的是 %s 卷", res.Form, fm.Chosen[0]), 0)
			} else {
				res.Form = fm.Chosen[0]
			}
		case StatusDoubtful, StatusMulti:
			res.Except(ExcMark, "题本类型（A/B 卷）填涂不清，请人工确认", 0)
		}
	}
}

// searchPageCode looks for a page code in the corners of a page that could
// not be registered. It works on a ~100 dpi copy and only on this rare
// path, so the cost of searching beyond the expected region is paid only
// for pages that are refused anyway.
func searchPageCode(gray gocv.Mat, k int) (card.PageID, bool) {
	// Two resolutions: the page may be of another size than ours, so the
	// scale estimated from our templates can be off by 40%.
	for _, div := range []int{3, 1} {
		if id, ok := searchPageCodeAt(gray, max(1, k/div)); ok {
			return id, true
		}
	}
	return card.PageID{}, false
}

func searchPageCodeAt(gray gocv.Mat, factor int) (card.PageID, bool) {
	m := gocv.NewMat()
	defer m.Close()
	shrink(gray, &m, factor)
	w, h := m.Cols(), m.Rows()
	rw, rh := w*45/100, h*40/100
	for _, o := range []image.Point{{w - rw, 0}, {0, 0}, {w - rw, h - rh}, {0, h - rh}} {
		roi := m.Region(image.Rect(o.X, o.Y, o.X+rw, o.Y+rh))
		c := roi.Clone() // a region is not continuous; copy it out
		roi.Close()
		src, err := luminanceOf(c)
		c.Close()
		if err != nil {
			continue
		}
		bmp := mustBitmap(gozxing.NewHybridBinarizer(src))
		res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true})
		if err != nil {
			continue
		}
		if id, err := card.ParsePageCode(res.GetText()); err == nil {
			return id, true
		}
	}
	return card.PageID{}, false
}

// barcodeSeen is what the barcode box held.
type barcodeSeen struct {
	refused string // a reading that is no candidate's number
	present bool   // a sticker is there, read or not
}

// readBarcode decodes the sticker into en.Barcode when it carries a number
// of the card's length on the roster, and says whether a sticker is there.
func (r *Reader) readBarcode(res *Result, pl *planes, pi *pageInfo, reg *registration, en *ExamNo, gridComplete bool, early *earlyBarcode) barcodeSeen {
	var seen barcodeSeen
	box := barcodeRegion(pi.layout)
	if box == nil {
		return seen
	}
	// Without a complete grid the barcode is the only witness of who
	// wrote the card: it must read the same twice.
	var text string
	var err error
	if early != nil && gridComplete {
		<-early.done
		text, err = early.text, early.err
	}
	if early == nil || !gridComplete || err != nil {
		text, err = decodeBarcode(pl.gray, reg.h, box.Rect, true)
	}
	ti := pi.tmpl
	// A number nobody has, that the complete grid repeats, is what the
	// candidate wrote twice, not a misread: it stands, and storing the
	// reading names it as nobody's (exam_no_unknown).
	seconded := gridComplete && gridPart(text, len(en.Grid)) == en.Grid
	switch {
	case err == nil && ti.barcodeFits(text, r.opts.ExamNoDigits) && r.opts.Roster != nil && !r.opts.Roster(text) && !seconded:
		seen.refused = text
		res.Quality = append(res.Quality, fmt.Sprintf("条形码读为 %s，不是本次考试任何考生的考号：未采用", text))
	case err == nil && ti.barcodeFits(text, r.opts.ExamNoDigits):
		en.Barcode = text
	case err == nil:
		// Not a number this card can carry: a misread, not an identity.
		res.Quality = append(res.Quality, fmt.Sprintf("条形码读为 %q，不是 %d 位考号：未采用", text, ti.examDigits))
	}
	seen.present = err == nil
	if !seen.present {
		if gv, verr := viewOf(pl.gray); verr == nil {
			seen.present = stickerPresent(gv, reg.h, box.Rect, pi.sticker)
		}
	}
	return seen
}

// settleExamNo compares the barcode with the grid and sets the card's exam
// number, or raises an exception for a person. A complete grid alone is
// trusted only where nothing speaks against it: it must be on the roster
// (when the exam has one), and where a sticker is there but cannot be read
// it must be on the roster in any case, for a digit filled one row off
// can make it another candidate's number.
func (r *Reader) settleExamNo(res *Result, pi *pageInfo, en *ExamNo, gridComplete bool, sticker barcodeSeen) {
	onRoster := func(no string) bool { return r.opts.Roster != nil && r.opts.Roster(no) }
	gridWhole := gridComplete && len(en.Grid) == pi.tmpl.examDigits
	switch {
	case en.Barcode != "" && !gridComplete && contradicts(en.Barcode, en.Grid):
		// The digits the grid does show must agree with the barcode.
		en.Verdict = VerdictConflict
		res.Except(ExcExamNo, fmt.Sprintf("条形码 %s 与填涂考号中可辨认的数字 %s 不一致", en.Barcode, en.Grid), 0)
	case en.Barcode != "" && gridComplete:
		if gridPart(en.Barcode, len(en.Grid)) == en.Grid {
			en.Verdict, en.Value = VerdictAgree, en.Barcode
		} else {
			en.Verdict = VerdictConflict
			res.Except(ExcExamNo, fmt.Sprintf("条形码 %s 与填涂的考号 %s 不一致", en.Barcode, en.Grid), 0)
		}
	case en.Barcode != "":
		en.Verdict, en.Value = VerdictBarcodeOnly, en.Barcode
	case gridWhole && r.opts.Roster != nil && !onRoster(en.Grid):
		en.Verdict = VerdictNone
		res.Except(ExcExamNo, fmt.Sprintf("填涂的考号 %s 不在本次考试的考生名单中%s", en.Grid, stickerNote(sticker)), 0)
	case gridWhole && sticker.present && !onRoster(en.Grid):
		en.Verdict = VerdictNone
		res.Except(ExcExamNo, fmt.Sprintf("条形码已贴但无法识别，填涂的考号 %s 无法与考生名单核对，请人工确认", en.Grid), 0)
	case gridWhole:
		en.Verdict, en.Value = VerdictGridOnly, en.Grid
	default:
		en.Verdict = VerdictNone
		reason := "条形码无法识别"
		if sticker.refused != "" {
			reason = fmt.Sprintf("条形码读为 %s，不在本次考试的考生名单中", sticker.refused)
		}
		if en.Grid != "" {
			reason += "，填涂的考号不完整（" + en.Grid + "）"
		}
		res.Except(ExcExamNo, reason, 0)
	}
}

// stickerNote says, for an exception, what became of the sticker.
func stickerNote(s barcodeSeen) string {
	switch {
	case s.refused != "":
		return fmt.Sprintf("；条形码读作 %s，也不在名单中", s.refused)
	case s.present:
		return "；条形码已贴但无法识别"
	}
	return ""
}
