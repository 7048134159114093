// Package reading is the contract between the reader (omr), which produces
// a page's Result, and everything that stores, scores and shows it (store,
// grading, queue, web). It is pure Go, so the packages that consume a
// reading need not link OpenCV, and a renamed field breaks their compile
// instead of a JSON path at run time.
package reading

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
	Registered string      `json:"registration,omitempty"` // "perspective" (4 fiducials), "affine" (3) or "layout" (by the print)
	ExamNo     *ExamNo     `json:"exam_no,omitempty"`
	Absent     *Mark       `json:"absent,omitempty"`
	Violation  *Mark       `json:"violation,omitempty"`
	FormMarks  *Item       `json:"form_marks,omitempty"`
	Items      []Item      `json:"items"`
	Quality    []string    `json:"quality,omitempty"`
	Exceptions []Exception `json:"exceptions,omitempty"`
	Crops      []Crop      `json:"crops,omitempty"`
}

// ItemStatus is the verdict on one objective item.
type ItemStatus string

// Item statuses.
const (
	StatusOK       ItemStatus = "ok"       // a clear answer
	StatusBlank    ItemStatus = "blank"    // nothing marked
	StatusMulti    ItemStatus = "multi"    // several marks on a single-choice item
	StatusDoubtful ItemStatus = "doubtful" // a person must look: light mark, erasure, mark between levels
)

// Scorable reports whether an item read with status s can be scored
// without a person: a clear answer, nothing, or several marks (which the
// key scores). A doubtful item waits for a technician.
func (s ItemStatus) Scorable() bool {
	return s == StatusOK || s == StatusBlank || s == StatusMulti
}

// Item is the reading of one objective item (or the form row).
type Item struct {
	Number     int        `json:"item"`
	Multiple   bool       `json:"multiple,omitempty"`
	Chosen     []string   `json:"chosen"`
	Status     ItemStatus `json:"status"`
	Confidence float64    `json:"confidence"`
	Options    []Option   `json:"options"`
	// Box is where the item's bubbles are on the image (x, y, w, h in
	// pixels), so a person can be shown the spot.
	Box []float64 `json:"box,omitempty"`
}

// State is the verdict on one bubble alone.
type State string

// Bubble states.
const (
	StateEmpty    State = "empty"
	StateMarked   State = "marked"
	StateDoubtful State = "doubtful"
)

var stateNames = map[State]string{StateEmpty: "未涂", StateMarked: "已涂", StateDoubtful: "存疑"}

// Name is the state's Chinese name, as users see it.
func (s State) Name() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return string(s)
}

// Option is one bubble's measurement: its fill relative to the page's own
// empty and pencil levels (0 = like the blank card, 1 = like a full pencil
// mark), the raw darkness, and the verdict for this bubble alone.
type Option struct {
	Label    string  `json:"label"`
	Fill     float64 `json:"fill"`
	Darkness float64 `json:"darkness"`
	Strokes  float64 `json:"strokes"` // share covered by pencil strokes beyond the printed letter
	State    State   `json:"state"`
	// Margin is the distance from the doubtful band, for the item's
	// confidence; the reader's working value, not stored.
	Margin float64 `json:"-"`
}

// Mark is a single invigilator bubble (absent, violation).
type Mark struct {
	Marked bool    `json:"marked"`
	State  State   `json:"state"`
	Fill   float64 `json:"fill"`
}

// Verdict says how the barcode and the filled-in exam number agree.
type Verdict string

// Exam-number verdicts.
const (
	VerdictAgree       Verdict = "agree"
	VerdictBarcodeOnly Verdict = "barcode_only"
	VerdictGridOnly    Verdict = "grid_only"
	VerdictConflict    Verdict = "conflict"
	VerdictNone        Verdict = "none"
)

// ExamNo compares the barcode sticker with the filled-in grid.
type ExamNo struct {
	Barcode string  `json:"barcode"`
	Grid    string  `json:"grid"` // '?' for an empty column, '*' for several marks, '~' for doubtful
	Value   string  `json:"value"`
	Verdict Verdict `json:"verdict"`
	// Box is where the barcode sticker and the grid are on the image.
	Box []float64 `json:"box,omitempty"`
}

// Exception is something a person must decide.
type Exception struct {
	Kind   Kind   `json:"kind"`
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

// Except records an exception on the page (item 0: the page as a whole).
func (r *Result) Except(kind Kind, reason string, item int) {
	r.Exceptions = append(r.Exceptions, Exception{Kind: kind, Item: item, Reason: reason})
}
