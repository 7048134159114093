package reading

// Kind is the kind of an exception: what a person must decide about a
// page or a card. The reader raises the first group; storing a reading,
// checking a batch and scoring raise the rest. Stored as exceptions.kind.
type Kind string

// Raised by the reader.
const (
	ExcUnreadable Kind = "unreadable_image"
	// ExcDamaged: the file is an image, but its data was corrupted on the
	// way (libjpeg warned, a PNG chunk's CRC is wrong): it decodes, into
	// pixels that are not the scan's, so nothing read from it is trusted.
	ExcDamaged       Kind = "damaged_image"
	ExcBlankPage     Kind = "blank_page"
	ExcRegistration  Kind = "registration"
	ExcPageIdentity  Kind = "page_identity"
	ExcWrongTemplate Kind = "wrong_template"
	ExcExamNo        Kind = "exam_no"
	ExcDoubtful      Kind = "doubtful"
	ExcMulti         Kind = "multi"
	ExcMark          Kind = "invigilator_mark"
)

// Raised where a reading joins a candidate's card, and by later checks.
const (
	ExcExamNoUnknown Kind = "exam_no_unknown" // the number is nobody's in this exam
	ExcDuplicate     Kind = "duplicate"       // the candidate has this page already
	// ExcWrongSchool: the number is a candidate of another school than the
	// bag's. A technician's token can only open its own school's bags, so a
	// card of another school in it is a mix-up (or a wrong label) for the
	// centre to sort out: attached, it would take the real card's place.
	ExcWrongSchool Kind = "wrong_school"
	// ExcWithdrawn: the candidate was withdrawn (退出) after the freeze; a
	// card for them is not scored until someone looks.
	ExcWithdrawn Kind = "withdrawn"
	// ExcAbsentWithAnswers: the absent mark is filled on a card with
	// answers; an absent candidate's card is expected empty (DOMAIN rule 10).
	ExcAbsentWithAnswers Kind = "absent_with_answers"
	ExcMissingPage       Kind = "missing_page" // a card lacks one of its sides
	ExcFormMismatch      Kind = "form_mismatch"
	ExcQuality           Kind = "quality"
)

// Kinds lists every kind, in the order the centre's register offers them.
var Kinds = []Kind{
	ExcRegistration, ExcWrongTemplate, ExcBlankPage, ExcExamNo, ExcDuplicate, ExcFormMismatch, ExcDoubtful,
	ExcMulti, ExcMissingPage, ExcQuality, ExcExamNoUnknown, ExcWrongSchool, ExcWithdrawn, ExcUnreadable,
	ExcDamaged, ExcPageIdentity, ExcMark, ExcAbsentWithAnswers,
}

var kindNames = map[Kind]string{
	ExcRegistration: "定位失败", ExcWrongTemplate: "非本科目答题卡", ExcBlankPage: "空白页", ExcExamNo: "考号无法识别或不一致",
	ExcDuplicate: "重复扫描", ExcFormMismatch: "题本类型不符", ExcDoubtful: "填涂不清", ExcMulti: "多选（单选题）",
	ExcMissingPage: "缺页", ExcQuality: "图像质量差",
	ExcExamNoUnknown: "考号不在考生名单中", ExcWrongSchool: "非本校考生", ExcWithdrawn: "考生已退出",
	ExcUnreadable: "图像无法读取", ExcDamaged: "图像文件损坏",
	ExcPageIdentity: "页码无法识别", ExcMark: "缺考、违纪或题本标记不清", ExcAbsentWithAnswers: "缺考卡有作答",
}

// Name is the kind's Chinese name, as users see it.
func (k Kind) Name() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return string(k)
}

// FailsPage reports whether an exception of this kind means nothing on the
// page can be used: the image itself, or which card and side it is, is in
// doubt. The page is then an exception as a whole, not a card's side.
func (k Kind) FailsPage() bool {
	switch k {
	case ExcUnreadable, ExcDamaged, ExcBlankPage, ExcRegistration, ExcPageIdentity, ExcWrongTemplate:
		return true
	}
	return false
}

// AboutExamNo reports whether the kind is about the page's exam number, so
// a person is shown the barcode and the grid.
func (k Kind) AboutExamNo() bool { return k == ExcExamNo || k == ExcExamNoUnknown }
