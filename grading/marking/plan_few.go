package marking

import (
	"fmt"
	"sort"
	"strings"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

// Few teachers: when the roster cannot give every group its usual minimum
// (2 markers for 1+0, 3 for 2+1), or the balanced plan breaks the rules,
// coverAssign first gives each group just enough teachers for the
// cross-school rule to hold for every school with answers in it (a single
// marker of a school without answers there is enough), then spreads the
// rest by workload. It fails only when some group cannot be covered.

// deficit measures how far a group's markers are from keeping the rules
// for every school with answers in it; 0 means the group can be marked.
// It counts missing schools and missing markers, not just failing
// schools, so that each teacher who helps lowers it.
func deficit(g *store.MarkingGroup, answers map[int64]int, markers []store.MarkingAssignment) int {
	trial := make([]store.MarkingAssignment, len(markers))
	copy(trial, markers)
	for i := range trial {
		trial[i].Role = saoyue.RoleMarker
	}
	pickLeaders(trial)
	d := 0
	for s, n := range answers {
		if n == 0 {
			continue
		}
		others, leaders, schools := 0, 0, map[int64]bool{}
		for _, a := range trial {
			if a.SchoolID != s {
				others++
				schools[a.SchoolID] = true
				if a.Role == saoyue.RoleLeader {
					leaders++
				}
			}
		}
		if g.Mode != "2+1" {
			d += max(0, 1-others)
			continue
		}
		d += max(0, 2-len(schools))
		if g.Arbiter == "leader" {
			d += max(0, 2-others) + max(0, 1-leaders)
		} else {
			d += max(0, 3-others)
		}
	}
	return d
}

func groupWork(g *store.MarkingGroup, answers map[int64]int) float64 {
	total := 0
	for _, n := range answers {
		total += n
	}
	return float64(max(total, 1)) * marksPerAnswer(g.Mode)
}

// coverAssign is the plan for a thin roster; see the comment above.
func coverAssign(subjectID int64, in planInput, codes map[int64]string) ([]store.MarkingAssignment, error) {
	free := append([]store.Teacher(nil), in.teachers...)
	byGroup := map[int64][]store.MarkingAssignment{}
	order := make([]*store.MarkingGroup, len(in.groups))
	for i := range in.groups {
		order[i] = &in.groups[i]
	}
	sort.SliceStable(order, func(i, j int) bool {
		return groupWork(order[i], in.answers[order[i].ID]) > groupWork(order[j], in.answers[order[j].ID])
	})
	put := func(t store.Teacher, g *store.MarkingGroup) store.MarkingAssignment {
		return store.MarkingAssignment{SubjectID: subjectID, TeacherID: t.ID, GroupID: g.ID, Role: saoyue.RoleMarker,
			TeacherNo: t.TeacherNo, Name: t.Name, SchoolID: t.SchoolID, SchoolCode: t.SchoolCode}
	}
	var uncovered []string
	for _, g := range order {
		for {
			cur := deficit(g, in.answers[g.ID], byGroup[g.ID])
			if cur == 0 {
				break
			}
			best, bestD := -1, cur
			for i, t := range free {
				d := deficit(g, in.answers[g.ID], append(append([]store.MarkingAssignment(nil), byGroup[g.ID]...), put(t, g)))
				if d < bestD {
					best, bestD = i, d
				}
			}
			if best < 0 {
				lack, _ := checkGroup(g, in.answers[g.ID], byGroup[g.ID], codes)
				if len(byGroup[g.ID]) == 0 {
					lack = []string{"没有可用的教师"}
				}
				uncovered = append(uncovered, fmt.Sprintf("题组 %s（%s）", g.Code, strings.Join(lack, "；")))
				break
			}
			byGroup[g.ID] = append(byGroup[g.ID], put(free[best], g))
			free = append(free[:best], free[best+1:]...)
		}
	}
	if len(uncovered) > 0 {
		return nil, saoyue.Errorf(saoyue.EINVALID, "教师太少，以下题组无法按异校规则安排阅卷：%s。请增加这些题组所需学校的任课教师。",
			strings.Join(uncovered, "；"))
	}
	// The rest go where the work per marker is largest (D'Hondt).
	for _, t := range free {
		var best *store.MarkingGroup
		bestQ := -1.0
		for _, g := range order {
			q := groupWork(g, in.answers[g.ID]) / float64(len(byGroup[g.ID])+1)
			if q > bestQ {
				best, bestQ = g, q
			}
		}
		byGroup[best.ID] = append(byGroup[best.ID], put(t, best))
	}
	var as []store.MarkingAssignment
	for i := range in.groups {
		as = append(as, byGroup[in.groups[i].ID]...)
	}
	pickLeaders(as)
	return as, nil
}

// singleMarkerWarnings names the groups one teacher marks alone: allowed
// when the cross-school rule holds, but the group's pace is that person's.
func singleMarkerWarnings(p *Plan) {
	for _, g := range p.Groups {
		if len(g.Markers) == 1 && len(g.Lacking) == 0 {
			a := g.Markers[0]
			p.Warnings = append(p.Warnings, fmt.Sprintf("题组 %s 只有一名阅卷教师（学校 %s %s）：符合异校规则，但进度全靠此人，宜增派教师",
				g.Code, a.SchoolCode, a.Name))
		}
	}
}
