package grading

import (
	"reflect"
	"testing"
)

// The 双向细目表 in a key file: 知识点 and 能力 columns on objective rows,
// and a 主观题 row naming a question group by its code.
func TestParseKeyKnowledge(t *testing.T) {
	t.Parallel()
	csv := "题号,答案,分值,题型,知识点,能力\n1,B,2,,数与代数,运算\n2,A,2,,数与代数、图形,\"运算,推理\"\n3,对,1,,图形,\n4,ACE,3,,统计；概率,应用\n26,,,主观题,图形,推理\n"
	k, err := ParseKey("key.csv", []byte(csv), testItems)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(k.Items[2].Knowledge, []string{"数与代数", "图形"}) || !reflect.DeepEqual(k.Items[2].Abilities, []string{"运算", "推理"}) {
		t.Errorf("item 2: %v %v", k.Items[2].Knowledge, k.Items[2].Abilities)
	}
	if !reflect.DeepEqual(k.Items[4].Knowledge, []string{"统计", "概率"}) {
		t.Errorf("item 4: %v", k.Items[4].Knowledge)
	}
	if len(k.Groups) != 1 || k.Groups[0].Group != "26" || k.Groups[0].Abilities[0] != "推理" {
		t.Errorf("groups %+v", k.Groups)
	}
	rows := k.Knowledge(7)
	if len(rows) != 5 || rows[4].Item != "26" || rows[0].Item != "1" || rows[0].SubjectID != 7 {
		t.Errorf("rows %+v", rows)
	}
	yaml := "items:\n  - {item: 1, answers: [B], points: 2, knowledge: [数与代数]}\n  - {item: 2, answers: [A], points: 2}\n  - {item: 3, answers: [T], points: 1}\n  - {item: 4, answers: [ACE], points: 3}\ngroups:\n  - {group: \"26\", knowledge: [图形], abilities: [推理]}\n"
	k, err = ParseKey("key.yaml", []byte(yaml), testItems)
	if err != nil || k.Items[1].Knowledge[0] != "数与代数" || len(k.Groups) != 1 || k.Groups[0].Knowledge[0] != "图形" {
		t.Errorf("yaml: %v %+v", err, k)
	}
	if _, err := ParseKey("key.csv", []byte("题号,答案,分值,题型\n1,B,2,\n2,A,2,\n3,T,1,\n4,A,3,\n,,,主观题\n"), testItems); err == nil {
		t.Error("a subjective row without a group code accepted")
	}
}

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
