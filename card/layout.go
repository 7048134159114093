package card

import (
	"fmt"
	"math"
)

// Pixel convention (the contract with the reader):
//
// A page rasterised at D dpi (as `pdftoppm -r D -gray` does) is a grid of
// WidthPx x HeightPx pixels. Coordinates are continuous, in pixels, with the
// origin at the top-left corner of the top-left pixel: pixel (i, j) covers
// [i, i+1) x [j, j+1) and its centre is (i+0.5, j+0.5). A point x mm from
// the left edge is at x*D/25.4 px. Layout(t, 25.4) therefore gives mm.
//
// Every Rect is the ink bounding box of what is printed: for a stroked
// outline it includes half the stroke on either side, so the dark pixels of
// the scan of a perfectly registered page span Rect to within a pixel.
// A bubble's (CX, CY) is its centre and (RX, RY) the half size of the centre
// line of its outline (the ellipse, or the bracket box).

// BubbleKind says what a bubble is for.
type BubbleKind string

const (
	BubbleOption    BubbleKind = "option"    // an option of an objective item
	BubbleGrid      BubbleKind = "grid"      // a digit of the exam-number grid
	BubbleAbsent    BubbleKind = "absent"    // 缺考 mark, filled by the invigilator
	BubbleViolation BubbleKind = "violation" // 违纪 mark, filled by the invigilator
	BubbleForm      BubbleKind = "form"      // booklet form A/B
)

// RegionKind says what a rectangular region is.
type RegionKind string

const (
	RegionFiducial    RegionKind = "fiducial"     // solid black square; Name is tl, tr, br or bl
	RegionQR          RegionKind = "qr"           // page identity code; Payload is its text
	RegionBarcode     RegionKind = "barcode"      // where the exam-number sticker goes
	RegionExamNumber  RegionKind = "exam_number"  // frame of the exam-number grid
	RegionStudentInfo RegionKind = "student_info" // handwritten school, class, name
	RegionSubjective  RegionKind = "subjective"   // answer box of a question group
)

// Rect is an axis-aligned rectangle in pixels.
type Rect struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	W float64 `json:"w"`
	H float64 `json:"h"`
}

// Bubble is one fillable mark.
type Bubble struct {
	Kind BubbleKind `json:"kind"`
	// Item is the objective item number (option bubbles only).
	Item int `json:"item,omitempty"`
	// Option is the printed label: option letter, digit, or form letter.
	Option string `json:"option"`
	// Index is the position of the option within its item, of the digit
	// (0-9) within its grid column, or of the form within the form row.
	Index int `json:"index"`
	// Column is the digit position in the exam number, 0 = leftmost (grid only).
	Column int     `json:"column"`
	CX     float64 `json:"cx"`
	CY     float64 `json:"cy"`
	RX     float64 `json:"rx"`
	RY     float64 `json:"ry"`
	Rect   Rect    `json:"rect"`
}

// Region is a rectangular area of the page.
type Region struct {
	Kind     RegionKind `json:"kind"`
	Name     string     `json:"name"`
	Group    string     `json:"group,omitempty"`
	Sub      string     `json:"sub,omitempty"`
	MaxScore float64    `json:"max_score,omitempty"`
	Step     float64    `json:"step,omitempty"`
	Payload  string     `json:"payload,omitempty"`
	Rect     Rect       `json:"rect"`
}

// Item is an objective item and the page it is on.
type Item struct {
	Number   int      `json:"number"`
	Page     int      `json:"page"` // 1-based
	Multiple bool     `json:"multiple"`
	Options  []string `json:"options"`
}

// PageLayout is every readable shape of one page.
type PageLayout struct {
	Page     int      `json:"page"` // 1-based, as in the QR code
	WidthPx  int      `json:"width_px"`
	HeightPx int      `json:"height_px"`
	WidthMM  float64  `json:"width_mm"`
	HeightMM float64  `json:"height_mm"`
	Bubbles  []Bubble `json:"bubbles"`
	Regions  []Region `json:"regions"`
}

// LayoutDoc is the pixel layout of a whole card at one resolution.
type LayoutDoc struct {
	TemplateID  string       `json:"template_id"`
	Subject     string       `json:"subject"`
	DPI         float64      `json:"dpi"`
	Color       string       `json:"color"`
	BubbleStyle string       `json:"bubble_style"`
	Items       []Item       `json:"items"`
	Pages       []PageLayout `json:"pages"`
}

// Fiducials returns the page's fiducial regions ordered tl, tr, br, bl.
func (p *PageLayout) Fiducials() []Region {
	var out []Region
	for _, name := range []string{"tl", "tr", "br", "bl"} {
		for _, r := range p.Regions {
			if r.Kind == RegionFiducial && r.Name == name {
				out = append(out, r)
			}
		}
	}
	return out
}

// Subjective returns the answer boxes of the page in template order.
func (p *PageLayout) Subjective() []Region {
	var out []Region
	for _, r := range p.Regions {
		if r.Kind == RegionSubjective {
			out = append(out, r)
		}
	}
	return out
}

// PagePixels is the raster size pdftoppm produces for a page of w x h mm at
// dpi. The PDF stores the page size in points with two decimals (A4 is
// 595.28 x 841.89 pt) and pdftoppm rounds the scaled size up, so A4 at
// 300 dpi is 2481 x 3508 px; the last column lies just past the paper edge.
func PagePixels(wMM, hMM, dpi float64) (int, int) {
	px := func(mm float64) int {
		pt := math.Round(mm*72/25.4*100) / 100
		return int(math.Ceil(pt*dpi/72 - 1e-9))
	}
	return px(wMM), px(hMM)
}

// Layout computes the pixel layout of a valid template at dpi.
func Layout(t *Template, dpi float64) (*LayoutDoc, error) {
	if !(dpi >= 10 && dpi <= 2400) {
		return nil, fmt.Errorf("layout: resolution %v dpi is out of range (10-2400)", dpi)
	}
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("layout: %w", err)
	}
	s := dpi / 25.4
	px := func(r rectMM) Rect { return Rect{r.x * s, r.y * s, r.w * s, r.h * s} }
	doc := &LayoutDoc{TemplateID: t.ID, Subject: t.Subject, DPI: dpi, Color: t.Color, BubbleStyle: t.BubbleStyle}
	for pi := range t.Pages {
		g := t.geometry(pi)
		wpx, hpx := PagePixels(g.w, g.h, dpi)
		pl := PageLayout{Page: pi + 1, WidthPx: wpx, HeightPx: hpx, WidthMM: g.w, HeightMM: g.h,
			Bubbles: []Bubble{}, Regions: []Region{}}
		for _, b := range g.bubbles {
			pl.Bubbles = append(pl.Bubbles, Bubble{Kind: b.kind, Item: b.item, Option: b.option, Index: b.index, Column: b.column,
				CX: b.cx * s, CY: b.cy * s, RX: b.rx * s, RY: b.ry * s, Rect: px(b.rect().grow(bubbleLineW / 2))})
		}
		for _, r := range g.regions {
			pl.Regions = append(pl.Regions, Region{Kind: r.kind, Name: r.name, Group: r.group, Sub: r.sub,
				MaxScore: r.maxScore, Step: r.step, Payload: r.payload, Rect: px(r.rect.grow(r.stroke / 2))})
		}
		for _, it := range g.items {
			doc.Items = append(doc.Items, Item{Number: it.number, Page: pi + 1, Multiple: it.multiple, Options: it.options})
		}
		doc.Pages = append(doc.Pages, pl)
	}
	if doc.Items == nil {
		doc.Items = []Item{}
	}
	return doc, nil
}
