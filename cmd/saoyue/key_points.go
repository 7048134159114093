package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/store"
)

// keyBase is what a scanned key takes besides its answers: each item's
// points, partial points and exclusion, from the --points file or else
// from the subject's current key (the form's, else the one for every form,
// else any form's), and the items' knowledge points as stored, which the
// import would otherwise clear. A card carries answers only.
func (o *keyImport) keyBase(ctx context.Context, db *store.DB, subjectID int64, form string, items []card.Item) (map[int]grading.KeyItem, error) {
	var base map[int]grading.KeyItem
	var err error
	from := "现有答案"
	if o.points != "" {
		base, err = readPointsFile(o.points)
		from = filepath.Base(o.points)
	} else {
		base, err = currentPoints(ctx, db, subjectID, form)
	}
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, it := range items {
		if _, ok := base[it.Number]; !ok {
			missing = append(missing, strconv.Itoa(it.Number))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s中没有第 %s 题的分值：请用 --points 分值文件给出每题的分值", from, strings.Join(missing, "、"))
	}
	exam, err := store.GetExam(ctx, db.Pool, o.exam)
	if err != nil {
		return nil, cliError(err)
	}
	kn, err := store.ReportKnowledge(ctx, db.Pool, exam.ID)
	if err != nil {
		return nil, err
	}
	for _, r := range kn {
		n, err := strconv.Atoi(r.Item)
		if k, ok := base[n]; ok && err == nil && r.SubjectID == subjectID {
			k.Knowledge, k.Abilities = r.Knowledge, r.Abilities
			base[n] = k
		}
	}
	return base, nil
}

// currentPoints are the points of the subject's stored key.
func currentPoints(ctx context.Context, db *store.DB, subjectID int64, form string) (map[int]grading.KeyItem, error) {
	rows, err := store.Keys(ctx, db.Pool, subjectID)
	if err != nil {
		return nil, err
	}
	forms := map[string]bool{}
	for _, r := range rows {
		forms[r.Form] = true
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("这个学科还没有答案，无从得知每题的分值：请用 --points 分值文件（CSV，列为 题号,分值[,部分分][,作废]）给出")
	}
	pick := rows[0].Form
	if forms[""] {
		pick = ""
	}
	if forms[form] {
		pick = form
	}
	base := map[int]grading.KeyItem{}
	for _, r := range rows {
		if r.Form == pick {
			base[r.Item] = grading.KeyItem{Item: r.Item, Points: r.Points, PartialPoints: r.PartialPoints, Excluded: r.Excluded}
		}
	}
	return base, nil
}

// pointsColumns are the columns a points file may have, named as in a key
// file; any other column (an answer column, say) is ignored.
var pointsColumns = map[string]string{
	"题号": "item", "item": "item", "no": "item",
	"分值": "points", "满分": "points", "points": "points", "score": "points",
	"部分分": "partial", "partial": "partial", "partial_points": "partial",
	"作废": "excluded", "excluded": "excluded",
}

// readPointsFile reads a CSV of points per item (UTF-8 or GBK): 题号 and
// 分值, optionally 部分分 and 作废. The key's own checks (grading.ParseKey)
// then judge the values as they judge a key file's.
func readPointsFile(path string) (map[int]grading.KeyItem, error) {
	name := filepath.Base(path)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("读取分值文件：%w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if !utf8.Valid(data) {
		if data, err = simplifiedchinese.GBK.NewDecoder().Bytes(data); err != nil {
			return nil, fmt.Errorf("%s：不是 UTF-8 或 GBK 编码的文本", name)
		}
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s：文件是空的", name)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		if c, ok := pointsColumns[strings.ToLower(strings.TrimSpace(h))]; ok {
			col[c] = i
		}
	}
	if _, ok := col["item"]; !ok {
		return nil, fmt.Errorf("%s 第 1 行：缺少“题号”列", name)
	}
	if _, ok := col["points"]; !ok {
		return nil, fmt.Errorf("%s 第 1 行：缺少“分值”列", name)
	}
	base := map[int]grading.KeyItem{}
	for i, rec := range recs[1:] {
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		k, err := pointsRow(rec, col)
		if err != nil {
			return nil, fmt.Errorf("%s 第 %d 行：%w", name, i+2, err)
		}
		if _, dup := base[k.Item]; dup {
			return nil, fmt.Errorf("%s 第 %d 行：第 %d 题出现了两次", name, i+2, k.Item)
		}
		base[k.Item] = k
	}
	return base, nil
}

func pointsRow(rec []string, col map[string]int) (grading.KeyItem, error) {
	get := func(c string) string {
		if i, ok := col[c]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var k grading.KeyItem
	var err error
	if k.Item, err = strconv.Atoi(get("item")); err != nil {
		return k, fmt.Errorf("题号 %q 不是数字", get("item"))
	}
	if k.Points, err = strconv.ParseFloat(get("points"), 64); err != nil {
		return k, fmt.Errorf("分值 %q 不是数字", get("points"))
	}
	if s := get("partial"); s != "" {
		if k.PartialPoints, err = strconv.ParseFloat(s, 64); err != nil {
			return k, fmt.Errorf("部分得分 %q 不是数字", s)
		}
	}
	ex := get("excluded")
	k.Excluded = ex == "1" || ex == "是" || strings.EqualFold(ex, "yes") || strings.EqualFold(ex, "true")
	return k, nil
}

// uniqueItems keeps the first of each item number: a subject's templates
// (an A4 and an A3 card, say) share their items.
func uniqueItems(items []card.Item) []card.Item {
	seen := map[int]bool{}
	var out []card.Item
	for _, it := range items {
		if !seen[it.Number] {
			seen[it.Number] = true
			out = append(out, it)
		}
	}
	return out
}
