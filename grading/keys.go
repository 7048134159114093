// Package grading holds the rules that turn readings into scores: answer
// keys and objective scoring, exception resolution, batch reconciliation,
// the exam's stages, and 查分 review with its score changes. Marking lives
// in grading/marking, the report's statistics in grading/stats.
package grading

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"gopkg.in/yaml.v3"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/store"
)

// KeyItem is the key of one objective item.
type KeyItem struct {
	Item int `yaml:"item"`
	// Kind is single, multi or tf; taken from the template when empty.
	Kind saoyue.ItemKind `yaml:"kind"`
	// Answers are the accepted answers, each the set of options as one
	// string ("B", "ACD"). Several after a disputed question ("A|C").
	Answers []string `yaml:"answers"`
	Points  float64  `yaml:"points"`
	// PartialPoints, for multiple choice: given for a correct subset with
	// no wrong option. Zero means all-or-nothing.
	PartialPoints float64 `yaml:"partial_points"`
	// Excluded items (a broken question) count for nobody.
	Excluded bool `yaml:"excluded"`
	// Knowledge points (知识点) and abilities the item tests: the
	// 双向细目表 the report's per-point 得分率 comes from.
	Knowledge []string `yaml:"knowledge"`
	Abilities []string `yaml:"abilities"`
}

// GroupKnowledge is a subjective question group's knowledge points and
// abilities: a key file row of kind 主观题 (subjective) names the group by
// its code in the item column, or a YAML key lists it under groups.
type GroupKnowledge struct {
	Group     string   `yaml:"group"`
	Knowledge []string `yaml:"knowledge"`
	Abilities []string `yaml:"abilities"`
}

// Key is an answer key for one subject and booklet form.
type Key struct {
	Form   string
	Items  map[int]KeyItem
	Groups []GroupKnowledge
}

// Column names accepted in CSV/XLSX keys, Chinese or English.
var keyColumns = map[string]string{
	"题号": "item", "item": "item", "no": "item",
	"答案": "answer", "answer": "answer", "标准答案": "answer",
	"分值": "points", "满分": "points", "points": "points", "score": "points",
	"部分分": "partial", "partial": "partial", "partial_points": "partial",
	"题型": "kind", "kind": "kind", "type": "kind",
	"作废": "excluded", "excluded": "excluded",
	"知识点": "knowledge", "knowledge": "knowledge", "考点": "knowledge",
	"能力": "abilities", "能力要求": "abilities", "ability": "abilities", "abilities": "abilities",
}

// subjectiveKinds mark a key row that describes a question group.
var subjectiveKinds = map[string]bool{"主观": true, "主观题": true, "subjective": true, "group": true, "题组": true}

// splitList splits a cell listing several knowledge points or abilities.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("、,，;；|/", r) })
}

// ParseKey reads a key from CSV (UTF-8 or GBK), XLSX or YAML, and checks
// it against the template's items: every item of the template has a key,
// every answer uses the item's own options. Errors name the line.
func ParseKey(name string, data []byte, items []card.Item) (*Key, error) {
	var rows []KeyItem
	var lines []int
	var err error
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml":
		var doc struct {
			Items  []KeyItem        `yaml:"items"`
			Groups []GroupKnowledge `yaml:"groups"`
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		rows = doc.Items
		for i := range rows {
			lines = append(lines, i+1)
		}
		for _, g := range doc.Groups {
			rows = append(rows, KeyItem{Kind: saoyue.ItemSubjective, Knowledge: g.Knowledge, Abilities: g.Abilities, Answers: []string{g.Group}})
			lines = append(lines, len(lines)+1)
		}
	case ".xlsx":
		rows, lines, err = keyFromXLSX(name, data)
	case ".csv", ".txt":
		rows, lines, err = keyFromCSV(name, data)
	default:
		return nil, fmt.Errorf("%s：答案文件应为 CSV、XLSX 或 YAML", name)
	}
	if err != nil {
		return nil, err
	}
	return checkKey(name, rows, lines, items)
}

func keyFromCSV(name string, data []byte) ([]KeyItem, []int, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if !utf8.Valid(data) {
		dec, err := simplifiedchinese.GBK.NewDecoder().Bytes(data)
		if err != nil {
			return nil, nil, fmt.Errorf("%s：不是 UTF-8 或 GBK 编码的文本", name)
		}
		data = dec
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	var records [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		records = append(records, rec)
	}
	return keyFromRecords(name, records)
}

func keyFromXLSX(name string, data []byte) ([]KeyItem, []int, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, nil, fmt.Errorf("%s：不是可读的 XLSX 文件：%w", name, err)
	}
	defer f.Close()
	records, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	return keyFromRecords(name, records)
}

func keyFromRecords(name string, records [][]string) ([]KeyItem, []int, error) {
	if len(records) == 0 {
		return nil, nil, fmt.Errorf("%s：文件是空的", name)
	}
	col := map[string]int{}
	for i, h := range records[0] {
		if c, ok := keyColumns[strings.ToLower(strings.TrimSpace(h))]; ok {
			col[c] = i
		}
	}
	for _, need := range []string{"item", "answer", "points"} {
		if _, ok := col[need]; !ok {
			return nil, nil, fmt.Errorf("%s 第 1 行：缺少 %q 列（题号/item、答案/answer、分值/points）", name, need)
		}
	}
	get := func(rec []string, c string) string {
		if i, ok := col[c]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var rows []KeyItem
	var lines []int
	for li, rec := range records[1:] {
		line := li + 2
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		if subjectiveKinds[strings.ToLower(get(rec, "kind"))] {
			// A question group's knowledge points: the item column holds its
			// code, which need not be a number; no answer or points.
			rows = append(rows, KeyItem{Kind: saoyue.ItemSubjective, Answers: []string{get(rec, "item")},
				Knowledge: splitList(get(rec, "knowledge")), Abilities: splitList(get(rec, "abilities"))})
			lines = append(lines, line)
			continue
		}
		item, err := strconv.Atoi(get(rec, "item"))
		if err != nil {
			return nil, nil, fmt.Errorf("%s 第 %d 行：题号 %q 不是数字", name, line, get(rec, "item"))
		}
		points, err := strconv.ParseFloat(get(rec, "points"), 64)
		if err != nil {
			return nil, nil, fmt.Errorf("%s 第 %d 行：分值 %q 不是数字", name, line, get(rec, "points"))
		}
		var partial float64
		if s := get(rec, "partial"); s != "" {
			if partial, err = strconv.ParseFloat(s, 64); err != nil {
				return nil, nil, fmt.Errorf("%s 第 %d 行：部分得分 %q 不是数字", name, line, s)
			}
		}
		ans := get(rec, "answer")
		excl := get(rec, "excluded")
		rows = append(rows, KeyItem{
			Item: item, Kind: saoyue.ItemKind(strings.ToLower(get(rec, "kind"))), Points: points, PartialPoints: partial,
			Answers:   strings.FieldsFunc(ans, func(r rune) bool { return r == '|' || r == '/' || r == ';' }),
			Excluded:  excl == "1" || excl == "是" || strings.EqualFold(excl, "yes") || strings.EqualFold(excl, "true"),
			Knowledge: splitList(get(rec, "knowledge")), Abilities: splitList(get(rec, "abilities")),
		})
		lines = append(lines, line)
	}
	return rows, lines, nil
}

// tfAliases maps the ways people write true/false to a T/F option index.
var tfAliases = map[string]int{"T": 0, "对": 0, "√": 0, "✓": 0, "正确": 0, "Y": 0, "F": 1, "错": 1, "×": 1, "✗": 1, "错误": 1, "N": 1}

func checkKey(name string, rows []KeyItem, lines []int, items []card.Item) (*Key, error) {
	byNo := map[int]card.Item{}
	for _, it := range items {
		byNo[it.Number] = it
	}
	key := &Key{Items: map[int]KeyItem{}}
	seenGroup := map[string]bool{}
	for i, k := range rows {
		at := fmt.Sprintf("%s 第 %d 行", name, lines[i])
		if k.Kind == saoyue.ItemSubjective {
			code := ""
			if len(k.Answers) > 0 {
				code = strings.TrimSpace(k.Answers[0])
			}
			if code == "" || seenGroup[code] {
				return nil, fmt.Errorf("%s：主观题行须在题号列写题组代码，每个题组只写一次", at)
			}
			seenGroup[code] = true
			key.Groups = append(key.Groups, GroupKnowledge{Group: code, Knowledge: k.Knowledge, Abilities: k.Abilities})
			continue
		}
		it, ok := byNo[k.Item]
		if !ok {
			return nil, fmt.Errorf("%s：第 %d 题不在答题卡上", at, k.Item)
		}
		if _, dup := key.Items[k.Item]; dup {
			return nil, fmt.Errorf("%s：第 %d 题出现了两次", at, k.Item)
		}
		want := saoyue.ItemSingle
		if it.Multiple {
			want = saoyue.ItemMulti
		} else if isTF(it.Options) {
			want = saoyue.ItemTF
		}
		if k.Kind == "" || k.Kind == "单选" || k.Kind == "判断" || k.Kind == "多选" {
			k.Kind = want
		}
		if k.Kind != want && !(k.Kind == saoyue.ItemSingle && want == saoyue.ItemTF) {
			return nil, fmt.Errorf("%s：第 %d 题在答题卡上是%s，答案文件却写%s", at, k.Item, kindName(want), kindName(k.Kind))
		}
		if k.Points < 0 || k.PartialPoints < 0 || k.PartialPoints > k.Points {
			return nil, fmt.Errorf("%s：第 %d 题：分值不能为负，部分得分不能超过分值", at, k.Item)
		}
		if err := keyPoints(k.Points, k.PartialPoints); err != nil {
			return nil, fmt.Errorf("%s：第 %d 题%w", at, k.Item, err)
		}
		if k.PartialPoints > 0 && k.Kind != saoyue.ItemMulti {
			return nil, fmt.Errorf("%s：第 %d 题：只有多选题才有部分得分", at, k.Item)
		}
		if !k.Excluded && len(k.Answers) == 0 {
			return nil, fmt.Errorf("%s：第 %d 题没有答案", at, k.Item)
		}
		for j, a := range k.Answers {
			norm, err := normaliseAnswer(a, it.Options)
			if err != nil {
				return nil, fmt.Errorf("%s：第 %d 题：%w", at, k.Item, err)
			}
			if k.Kind != saoyue.ItemMulti && utf8.RuneCountInString(norm) != 1 && len(optionsOf(norm, it.Options)) != 1 {
				return nil, fmt.Errorf("%s：第 %d 题是单选题，答案 %q 却有多个选项", at, k.Item, a)
			}
			k.Answers[j] = norm
		}
		key.Items[k.Item] = k
	}
	var missing []string
	for _, it := range items {
		if _, ok := key.Items[it.Number]; !ok {
			missing = append(missing, strconv.Itoa(it.Number))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s：缺少第 %s 题的答案", name, strings.Join(missing, "、"))
	}
	return key, nil
}

// kindName is an item kind as the centre calls it.
func kindName(kind saoyue.ItemKind) string {
	switch kind {
	case saoyue.ItemSingle:
		return "单选题"
	case saoyue.ItemMulti:
		return "多选题"
	case saoyue.ItemTF:
		return "判断题"
	}
	return string(kind)
}

func isTF(opts []string) bool {
	if len(opts) != 2 {
		return false
	}
	a, ok1 := tfAliases[opts[0]]
	b, ok2 := tfAliases[opts[1]]
	return ok1 && ok2 && a == 0 && b == 1
}

// normaliseAnswer writes an answer as the item's option labels in card
// order, so "CA" and "A,C" are both "AC", and 对/√ map to the item's T.
func normaliseAnswer(a string, opts []string) (string, error) {
	a = strings.ToUpper(strings.NewReplacer(",", "", "，", "", " ", "", "、", "").Replace(a))
	if isTF(opts) {
		if idx, ok := tfAliases[a]; ok {
			return opts[idx], nil
		}
	}
	chosen := optionsOf(a, opts)
	if chosen == nil {
		return "", fmt.Errorf("答案 %q 用了答题卡上没有的选项（可选 %s）", a, strings.Join(opts, ""))
	}
	return strings.Join(chosen, ""), nil
}

// optionsOf splits a response into the item's options in card order, or
// nil if it contains anything else.
func optionsOf(s string, opts []string) []string {
	seen := map[string]bool{}
	rest := s
	for rest != "" {
		found := false
		for _, o := range opts {
			if strings.HasPrefix(rest, o) {
				seen[o] = true
				rest = rest[len(o):]
				found = true
				break
			}
		}
		if !found {
			return nil
		}
	}
	var out []string
	for _, o := range opts {
		if seen[o] {
			out = append(out, o)
		}
	}
	return out
}

// Score is the score of one response against its key. ok is false for an
// excluded item, which has no score at all.
func (k KeyItem) Score(response string) (score float64, ok bool) {
	if k.Excluded {
		return 0, false
	}
	if response == "" {
		return 0, true
	}
	for _, a := range k.Answers {
		if response == a {
			return k.Points, true
		}
	}
	if k.Kind == saoyue.ItemMulti && k.PartialPoints > 0 {
		for _, a := range k.Answers {
			if subset(response, a) {
				return k.PartialPoints, true
			}
		}
	}
	return 0, true
}

// subset reports whether every option of r is in a (single-letter options).
func subset(r, a string) bool {
	for _, c := range r {
		if !strings.ContainsRune(a, c) {
			return false
		}
	}
	return true
}

// Sorted returns the key's items in number order.
func (k *Key) Sorted() []KeyItem {
	out := make([]KeyItem, 0, len(k.Items))
	for _, it := range k.Items {
		out = append(out, it)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Item < out[j].Item })
	return out
}

// maxItemPoints is the most one item can be worth: answer_keys keeps
// points as numeric(5,1).
const maxItemPoints = 999.9

// keyPoints checks what the database would refuse or round, in the key
// author's terms: at most 999.9 points, to one decimal.
func keyPoints(values ...float64) error {
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) || v > maxItemPoints {
			return fmt.Errorf("的分值 %v 超出范围（每题最多 %.1f 分）", v, maxItemPoints)
		}
		if t := v * 10; math.Abs(t-math.Round(t)) > 1e-9 {
			return fmt.Errorf("的分值 %v 最多保留一位小数", v)
		}
	}
	return nil
}

// Knowledge lists the key's items and groups with their knowledge points
// and abilities, for storage.
func (k *Key) Knowledge(subjectID int64) []store.KnowledgeRow {
	var out []store.KnowledgeRow
	for _, it := range k.Sorted() {
		out = append(out, store.KnowledgeRow{SubjectID: subjectID, Item: strconv.Itoa(it.Item), Knowledge: it.Knowledge, Abilities: it.Abilities})
	}
	for _, g := range k.Groups {
		out = append(out, store.KnowledgeRow{SubjectID: subjectID, Item: g.Group, Knowledge: g.Knowledge, Abilities: g.Abilities})
	}
	return out
}
