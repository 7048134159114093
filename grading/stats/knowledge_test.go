package stats

import (
	"reflect"
	"testing"
)

// Knowledge points on the small exam, by hand. Math: item 1 → 数与代数,
// item 2 → 数与代数 and 图形, item 3 → 图形, group 4 → 统计. Item 得分率:
// county 4/7, 1, 4/7, 19/35; school 0101 .6, 1, .4, .68.
//
//	数与代数 (items 1, 2; 4 points): county (2×4/7 + 2×1)/4 = 11/14; 0101 (1.2 + 2)/4 = .8
//	图形 (items 2, 3; 3 points): county (2 + 4/7)/3 = 6/7; 0101 (2 + .4)/3 = .8
//	统计 (group 4): county 19/35; 0101 .68
func TestPointRatesByHand(t *testing.T) {
	e := smallExam()
	items := e.Subjects[0].Items
	items[0].Knowledge = []string{"数与代数"}
	items[1].Knowledge = []string{"数与代数", "图形"}
	items[2].Knowledge = []string{"图形"}
	items[3].Knowledge = []string{"统计"}
	points := Points(e, 0, false)
	if len(points) != 3 || points[0].Name != "数与代数" || points[1].Max != 3 || !reflect.DeepEqual(points[1].Items, []string{"2", "3"}) {
		t.Fatalf("points %+v", points)
	}
	m := GroupMembers(e)
	county, _ := ItemRates(e, 0, m.All)
	school, _ := ItemRates(e, 0, m.School["0101"])
	c := PointRates(e, 0, points, county)
	s := PointRates(e, 0, points, school)
	near(t, "county 数与代数", c[0].Rate, 11.0/14)
	near(t, "county 图形", c[1].Rate, 6.0/7)
	near(t, "county 统计", c[2].Rate, 19.0/35)
	near(t, "0101 数与代数", s[0].Rate, 0.8)
	near(t, "0101 图形", s[1].Rate, 0.8)
	near(t, "0101 统计", s[2].Rate, 0.68)
	if len(Points(e, 0, true)) != 0 {
		t.Error("abilities listed without any")
	}
}
