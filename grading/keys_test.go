package grading

import (
	"reflect"
	"strings"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/card"
)

var testItems = []card.Item{
	{Number: 1, Options: []string{"A", "B", "C", "D"}},
	{Number: 2, Options: []string{"A", "B", "C", "D"}},
	{Number: 3, Options: []string{"T", "F"}},
	{Number: 4, Multiple: true, Options: []string{"A", "B", "C", "D", "E"}},
}

func TestParseKeyCSV(t *testing.T) {
	t.Parallel()
	csv := "\xEF\xBB\xBF题号,答案,分值,部分分\n1,B,2,\n2,A|C,2,\n3,对,1,\n4,\"C,A,E\",3,1\n"
	k, err := ParseKey("key.csv", []byte(csv), testItems)
	if err != nil {
		t.Fatal(err)
	}
	if got := k.Items[4].Answers[0]; got != "ACE" {
		t.Errorf("multi answer normalised to %q, want ACE", got)
	}
	if got := k.Items[3].Answers[0]; got != "T" {
		t.Errorf("对 normalised to %q, want T", got)
	}
	if k.Items[4].Kind != saoyue.ItemMulti || k.Items[3].Kind != saoyue.ItemTF || k.Items[1].Kind != saoyue.ItemSingle {
		t.Errorf("kinds %v %v %v", k.Items[1].Kind, k.Items[3].Kind, k.Items[4].Kind)
	}
	cases := []struct {
		item     int
		response string
		want     float64
	}{
		{1, "B", 2}, {1, "A", 0}, {1, "", 0}, {1, "AB", 0},
		{2, "A", 2}, {2, "C", 2}, {2, "B", 0}, // disputed item: A or C accepted
		{3, "T", 1}, {3, "F", 0},
		{4, "ACE", 3}, {4, "AC", 1}, {4, "E", 1}, {4, "ACD", 0}, {4, "ABCDE", 0}, {4, "", 0},
	}
	for _, c := range cases {
		got, ok := k.Items[c.item].Score(c.response)
		if !ok || got != c.want {
			t.Errorf("item %d response %q: score %v (ok %v), want %v", c.item, c.response, got, ok, c.want)
		}
	}
}

func TestParseKeyYAMLExcluded(t *testing.T) {
	t.Parallel()
	y := `items:
  - {item: 1, answers: [B], points: 2}
  - {item: 2, points: 2, excluded: true}
  - {item: 3, answers: ["F"], points: 1}
  - {item: 4, answers: [BD], points: 3}
`
	k, err := ParseKey("key.yaml", []byte(y), testItems)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := k.Items[2].Score("A"); ok {
		t.Error("excluded item was scored")
	}
	if s, _ := k.Items[4].Score("B"); s != 0 {
		t.Errorf("all-or-nothing multi gave %v for a subset", s)
	}
}

func TestParseKeyErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body, want string
	}{
		{"missing column", "题号,答案\n1,B\n", `缺少 "points" 列`},
		{"bad number", "item,answer,points\nx,B,2\n", "第 2 行：题号"},
		{"unknown option", "item,answer,points\n1,F,2\n2,A,2\n3,T,1\n4,A,3\n", "第 2 行：第 1 题：答案 \"F\""},
		{"not on card", "item,answer,points\n9,A,2\n", "第 9 题不在答题卡上"},
		{"missing item", "item,answer,points\n1,A,2\n", "缺少第 2、3、4 题的答案"},
		{"single with two", "item,answer,points\n1,AB,2\n2,A,2\n3,T,1\n4,A,3\n", "是单选题，答案"},
		{"duplicate", "item,answer,points\n1,A,2\n1,B,2\n", "第 1 题出现了两次"},
		{"partial on single", "item,answer,points,partial\n1,A,2,1\n", "只有多选题才有部分得分"},
		{"huge points", "item,answer,points\n1,A,1e308\n2,A,2\n3,T,1\n4,A,3\n", "第 1 题的分值 1e+308 超出范围"},
		{"too fine points", "item,answer,points\n1,A,2.05\n2,A,2\n3,T,1\n4,A,3\n", "第 1 题的分值 2.05 最多保留一位小数"},
	}
	for _, c := range cases {
		_, err := ParseKey("key.csv", []byte(c.body), testItems)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want error containing %q", c.name, err, c.want)
		}
	}
}

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
