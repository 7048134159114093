package omr

// Result is everything read from one scanned page. A page the reader cannot
// handle is still a Result, with Exceptions saying why: one bad image never
// stops a batch.
type Result struct {
	File       string      `json:"file"`
	Template   string      `json:"template,omitempty"`
	Page       int         `json:"page,omitempty"` // 1-based side of the card
	Form       string      `json:"form,omitempty"` // booklet form: printed in the page code or filled in
	Rotation   int         `json:"rotation"`       // 0 or 180: how the page lay in the scanner
	SkewDeg    float64     `json:"skew_deg"`
	DPI        float64     `json:"dpi,omitempty"`
	Width      int         `json:"width,omitempty"` // image size in pixels
	Height     int         `json:"height,omitempty"`
	Registered string      `json:"registration,omitempty"` // "perspective" (4 fiducials) or "affine" (3)
	ExamNo     *ExamNo     `json:"exam_no,omitempty"`
	Absent     *Mark       `json:"absent,omitempty"`
	Violation  *Mark       `json:"violation,omitempty"`
	FormMarks  *Item       `json:"form_marks,omitempty"`
	Items      []Item      `json:"items"`
	Quality    []string    `json:"quality,omitempty"`
	Exceptions []Exception `json:"exceptions,omitempty"`
	Crops      []Crop      `json:"crops,omitempty"`
}

// Item statuses.
const (
	StatusOK       = "ok"       // a clear answer
	StatusBlank    = "blank"    // nothing marked
	StatusMulti    = "multi"    // several marks on a single-choice item
	StatusDoubtful = "doubtful" // a person must look: light mark, erasure, mark between levels
)

// Item is the reading of one objective item (or the form row).
type Item struct {
	Number     int      `json:"item"`
	Multiple   bool     `json:"multiple,omitempty"`
	Chosen     []string `json:"chosen"`
	Status     string   `json:"status"`
	Confidence float64  `json:"confidence"`
	Options    []Option `json:"options"`
	// Box is where the item's bubbles are on the image (x, y, w, h in
	// pixels), so a person can be shown the spot.
	Box []float64 `json:"box,omitempty"`
}

// Option is one bubble's measurement: its fill relative to the page's own
// empty and pencil levels (0 = like the blank card, 1 = like a full pencil
// mark), the raw darkness, and the verdict for this bubble alone.
type Option struct {
	Label    string  `json:"label"`
	Fill     float64 `json:"fill"`
	Darkness float64 `json:"darkness"`
	Strokes  float64 `json:"strokes"` // share covered by pencil strokes beyond the printed letter
	State    string  `json:"state"`   // empty, marked, doubtful
	margin   float64 // distance from the doubtful band, for the item's confidence
}

// Mark is a single invigilator bubble (absent, violation).
type Mark struct {
	Marked bool    `json:"marked"`
	State  string  `json:"state"`
	Fill   float64 `json:"fill"`
}

// Exam-number verdicts.
const (
	VerdictAgree       = "agree"
	VerdictBarcodeOnly = "barcode_only"
	VerdictGridOnly    = "grid_only"
	VerdictConflict    = "conflict"
	VerdictNone        = "none"
)

// ExamNo compares the barcode sticker with the filled-in grid.
type ExamNo struct {
	Barcode string `json:"barcode"`
	Grid    string `json:"grid"` // '?' for an empty column, '*' for several marks, '~' for doubtful
	Value   string `json:"value"`
	Verdict string `json:"verdict"`
	// Box is where the barcode sticker and the grid are on the image.
	Box []float64 `json:"box,omitempty"`
}

// Exception kinds.
const (
	ExcUnreadable = "unreadable_image"
	// ExcDamaged: the file is an image, but its data was corrupted on the
	// way (libjpeg warned, a PNG chunk's CRC is wrong): it decodes, into
	// pixels that are not the scan's, so nothing read from it is trusted.
	ExcDamaged       = "damaged_image"
	ExcBlankPage     = "blank_page"
	ExcRegistration  = "registration"
	ExcPageIdentity  = "page_identity"
	ExcWrongTemplate = "wrong_template"
	ExcExamNo        = "exam_no"
	ExcDoubtful      = "doubtful"
	ExcMulti         = "multi"
	ExcMark          = "invigilator_mark"
)

// Exception is something a person must decide.
type Exception struct {
	Kind   string `json:"kind"`
	Item   int    `json:"item,omitempty"`
	Reason string `json:"reason"`
}

// Crop is one subjective answer cut from the registered page.
type Crop struct {
	Group  string `json:"group"`
	Sub    string `json:"sub,omitempty"`
	File   string `json:"file,omitempty"` // set by whoever writes JPEG to disk
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Bytes  int    `json:"bytes"`
	JPEG   []byte `json:"-"`
}

func (r *Result) except(kind, reason string, item int) {
	r.Exceptions = append(r.Exceptions, Exception{Kind: kind, Item: item, Reason: reason})
}
