package saoyue

// Stage is where an exam stands in its lifecycle (../shared/DOMAIN.md, "How
// an exam runs"). It is stored as exams.status. Stages only move forward,
// one at a time, through grading.Advance; each freezes more (see Frozen*).
type Stage string

// The stages, in order.
const (
	StageSetup         Stage = "setup"          // 准备
	StageRostersFrozen Stage = "rosters_frozen" // 考号锁定
	StageScanning      Stage = "scanning"       // 扫描
	StageMarking       Stage = "marking"        // 阅卷
	StageReview        Stage = "review"         // 复核
	StageFinal         Stage = "final"          // 发布
	StageArchived      Stage = "archived"       // 归档
)

// Stages lists every stage in order.
var Stages = []Stage{StageSetup, StageRostersFrozen, StageScanning, StageMarking, StageReview, StageFinal, StageArchived}

var stageNames = map[Stage]string{
	StageSetup:         "准备中",
	StageRostersFrozen: "考号已锁定",
	StageScanning:      "扫描中",
	StageMarking:       "阅卷中",
	StageReview:        "复核中",
	StageFinal:         "已发布",
	StageArchived:      "已归档",
}

// Name is the stage's Chinese name, as users see it.
func (s Stage) Name() string {
	if n, ok := stageNames[s]; ok {
		return n
	}
	return string(s)
}

// Valid reports whether s is one of the stages.
func (s Stage) Valid() bool { _, ok := stageNames[s]; return ok }

// Index is the stage's position in Stages, -1 for an unknown one.
func (s Stage) Index() int {
	for i, t := range Stages {
		if t == s {
			return i
		}
	}
	return -1
}

// Next is the stage after s, "" after the last.
func (s Stage) Next() Stage {
	if i := s.Index(); i >= 0 && i+1 < len(Stages) {
		return Stages[i+1]
	}
	return ""
}

// AtLeast reports whether s is t or later.
func (s Stage) AtLeast(t Stage) bool { return s.Index() >= t.Index() }

// AcceptsScans reports whether pages may be uploaded: from scanning until
// review (a rescan during review is still a scan), never once final.
func (s Stage) AcceptsScans() bool {
	return s == StageScanning || s == StageMarking || s == StageReview
}

// ScoresReleased reports whether every score change must go through the
// 查分 change path with two signed-in people.
func (s Stage) ScoresReleased() bool { return s.AtLeast(StageReview) }
