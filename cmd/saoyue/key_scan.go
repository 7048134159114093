package main

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/omr"
	"github.com/saoyue/saoyue/queue/handler"
	"github.com/saoyue/saoyue/store"
)

// keyImport is what `key import` was asked to do: from a key file, or
// from the scans of a card the subject leader filled in as the key.
type keyImport struct {
	exam, subject, form, actor, reason string
	scans                              []string // --from-scan: the card's sides
	points                             string   // --points: points per item for a scanned key
	yes                                bool     // --yes: save without asking
}

func (o *keyImport) importFlags(imp *cobra.Command) {
	imp.Flags().StringVar(&o.form, "form", "", "booklet form the key is for (A or B); empty for every form (a scanned key: the card's form)")
	imp.Flags().StringArrayVar(&o.scans, "from-scan", nil, "read the key from this scan of a filled card (repeat for the back side)")
	imp.Flags().StringVar(&o.points, "points", "", "with --from-scan: CSV of points per item (题号,分值[,部分分][,作废]); default: the current key's")
	imp.Flags().BoolVar(&o.yes, "yes", false, "with --from-scan: save the key read without asking")
}

// fromFile imports a key file (CSV, XLSX or YAML).
func (o *keyImport) fromFile(cmd *cobra.Command, cfg *Config, path string) error {
	db, subjectID, err := openSubject(cmd, cfg, o.exam, o.subject)
	if err != nil {
		return err
	}
	defer db.Close()
	items, err := subjectItems(cmd, db, subjectID)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	key, err := grading.ParseKey(filepath.Base(path), data, items)
	if err != nil {
		return err
	}
	key.Form = o.form
	return o.save(cmd, db, subjectID, key)
}

// save stores the key through the one path every key takes: the stage
// rule (refused, and the refusal audited, once the exam is final), the
// audit row and the rescoring of every card.
func (o *keyImport) save(cmd *cobra.Command, db *store.DB, subjectID int64, key *grading.Key) error {
	n, err := grading.ImportKey(cmd.Context(), db, subjectID, key, o.actor, o.reason)
	if err != nil {
		return cliError(err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "考试 %s 学科 %s 题本「%s」的答案：%d 题；%d 个分数随之改变\n", o.exam, o.subject, key.Form, len(key.Items), n)
	return nil
}

// fromScan reads the key from the scans of a filled card with the reader
// the pipeline builds for the subject's templates, shows it, and saves it
// once it is confirmed. Anything the reader is unsure of refuses the whole
// key: a wrong key scores every candidate wrong, so nothing is guessed.
func (o *keyImport) fromScan(cmd *cobra.Command, cfg *Config) error {
	ctx := cmd.Context()
	db, subjectID, err := openSubject(cmd, cfg, o.exam, o.subject)
	if err != nil {
		return err
	}
	defer db.Close()
	items, err := subjectItems(cmd, db, subjectID)
	if err != nil {
		return err
	}
	items = uniqueItems(items)
	opts := omr.DefaultOptions()
	opts.Fonts = cfg.Fonts
	opts.Crops = false // a key card's written answers are not marked
	reader, err := (&handler.Readers{DB: db, Options: opts}).For(ctx, subjectID)
	if err != nil {
		return fmt.Errorf("准备本学科答题卡的识别：%w", err)
	}
	sk, err := readKeyCard(reader, o.scans, items, o.form)
	if err != nil {
		return err
	}
	base, err := o.keyBase(ctx, db, subjectID, sk.form, items)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	sk.print(out, o, items, base)
	if len(sk.problems) > 0 {
		return fmt.Errorf("答题卡上有 %d 处没有读准，答案没有保存：请把这些题涂清楚（或擦干净）后重新扫描，或用答案文件导入（saoyue key import 文件）", len(sk.problems))
	}
	key, err := sk.key(base, items)
	if err != nil {
		return err
	}
	if !o.yes {
		ok, err := confirm(cmd.InOrStdin(), out, "以上答案是否保存？确认请输入 y：")
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("没有确认，答案没有保存")
		}
	}
	if o.reason == "" {
		o.reason = "答案从答题卡扫描读取：" + strings.Join(baseNames(o.scans), "、")
	}
	return o.save(cmd, db, subjectID, key)
}

func baseNames(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
	}
	return out
}

// confirm asks on the terminal; anything but yes (or no answer at all, as
// from a script without --yes) is a no.
func confirm(in io.Reader, out io.Writer, prompt string) (bool, error) {
	fmt.Fprint(out, prompt)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && err != io.EOF {
		return false, fmt.Errorf("读取确认：%w", err)
	}
	fmt.Fprintln(out)
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes", "是", "确认":
		return true, nil
	}
	return false, nil
}

// scannedKey is what the reader read on a key card.
type scannedKey struct {
	form     string
	answers  map[int]string // item → options in card order, "" for blank
	doubted  map[int]bool   // items read but not for sure
	problems []string       // in Chinese, one line each: what was not read for sure
}

// readKeyCard reads every side given and checks that together they are
// one card of the subject, each side once, with every objective item.
func readKeyCard(reader *omr.Reader, files []string, items []card.Item, form string) (*scannedKey, error) {
	sk := &scannedKey{form: form, answers: map[int]string{}, doubted: map[int]bool{}}
	seen := map[string]string{} // template/page → file
	tmpl, failed := "", false
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("读取答案卡的图像：%w", err)
		}
		name := filepath.Base(f)
		res := reader.Read(name, data)
		if bad := pageFailure(res); bad != "" {
			sk.problems = append(sk.problems, fmt.Sprintf("%s：%s", name, bad))
			failed = true
			continue
		}
		side := fmt.Sprintf("%s/%d", res.Template, res.Page)
		switch {
		case tmpl != "" && res.Template != tmpl:
			sk.problems = append(sk.problems, fmt.Sprintf("%s：是答题卡 %s，前面的图像是答题卡 %s；一次只读一张答案卡", name, res.Template, tmpl))
			continue
		case seen[side] != "":
			sk.problems = append(sk.problems, fmt.Sprintf("%s：与 %s 是同一面（第 %d 面）", name, seen[side], res.Page))
			continue
		}
		tmpl, seen[side] = res.Template, name
		sk.takeForm(name, res)
		sk.takeItems(res)
	}
	if !failed {
		sk.missingSides(items)
	}
	return sk, nil
}

// missingSides lists the sides whose items no scan given has: a key needs
// every objective item, wherever the card prints it.
func (sk *scannedKey) missingSides(items []card.Item) {
	missing := map[int][]string{}
	for _, it := range items {
		if _, ok := sk.answers[it.Number]; !ok && !sk.doubted[it.Number] {
			missing[it.Page] = append(missing[it.Page], strconv.Itoa(it.Number))
		}
	}
	pages := slices.Sorted(maps.Keys(missing))
	for _, p := range pages {
		sk.problems = append(sk.problems, fmt.Sprintf("答题卡第 %d 面没有读到（第 %s 题在这一面）：请一并给出这一面的扫描", p, strings.Join(missing[p], "、")))
	}
}

// pageFailure says why nothing on a page can be used, or "".
func pageFailure(res *omr.Result) string {
	for _, e := range res.Exceptions {
		if e.Kind.FailsPage() {
			return e.Reason
		}
	}
	return ""
}

// takeForm settles the key's booklet form from the card: printed in its
// page code or filled in. A form given with --form must agree.
func (sk *scannedKey) takeForm(name string, res *omr.Result) {
	if fm := res.FormMarks; fm != nil {
		if fm.Status == omr.StatusDoubtful || fm.Status == omr.StatusMulti {
			sk.problems = append(sk.problems, fmt.Sprintf("%s：题本类型（A/B 卷）填涂不清", name))
			return
		}
		if fm.Status == omr.StatusOK && res.Form != "" && fm.Chosen[0] != res.Form {
			sk.problems = append(sk.problems, fmt.Sprintf("%s：答题卡印制为 %s 卷，但填涂的是 %s 卷", name, res.Form, fm.Chosen[0]))
			return
		}
	}
	switch {
	case res.Form == "":
	case sk.form == "":
		sk.form = res.Form
	case sk.form != res.Form:
		sk.problems = append(sk.problems, fmt.Sprintf("%s：答题卡上是 %s 卷，要导入的却是 %s 卷的答案", name, res.Form, sk.form))
	}
}

// takeItems keeps the clear answers of a page and lists every item the
// reader was unsure of, or that a single-choice key cannot be.
func (sk *scannedKey) takeItems(res *omr.Result) {
	flagged := map[int]string{}
	for _, e := range res.Exceptions {
		if e.Item > 0 {
			flagged[e.Item] = e.Reason
		}
	}
	for _, it := range res.Items {
		switch {
		case it.Status == omr.StatusMulti:
			sk.doubted[it.Number] = true
			sk.problems = append(sk.problems, fmt.Sprintf("第 %d 题：单选题涂了 %d 个选项（%s），答案只能有一个", it.Number, len(it.Chosen), strings.Join(it.Chosen, "、")))
		case it.Status == omr.StatusDoubtful || flagged[it.Number] != "":
			why := flagged[it.Number]
			if why == "" {
				why = "填涂不清（" + doubtfulOptions(it) + "）"
			}
			sk.problems = append(sk.problems, fmt.Sprintf("第 %d 题：%s", it.Number, why))
			sk.doubted[it.Number] = true
		default:
			sk.answers[it.Number] = strings.Join(it.Chosen, "")
		}
	}
}

func doubtfulOptions(it omr.Item) string {
	var out []string
	for _, o := range it.Options {
		if o.State == omr.StateDoubtful || o.State == omr.StateMarked {
			out = append(out, fmt.Sprintf("%s %s", o.Label, o.State.Name()))
		}
	}
	if len(out) == 0 {
		return "无"
	}
	return strings.Join(out, "，")
}

// print shows the key as read, with each item's points, and the problems.
func (sk *scannedKey) print(w io.Writer, o *keyImport, items []card.Item, base map[int]grading.KeyItem) {
	form := sk.form
	if form == "" {
		form = "所有题本"
	}
	fmt.Fprintf(w, "从答题卡读出的答案（考试 %s 学科 %s，%s）：\n", o.exam, o.subject, form)
	// Fixed columns, not a tabwriter: the header's Chinese characters are
	// two columns wide on a terminal.
	fmt.Fprintln(w, "题号  答案  分值")
	sorted := slices.Clone(items)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Number < sorted[j].Number })
	for _, it := range sorted {
		ans, ok := sk.answers[it.Number]
		switch {
		case !ok:
			ans = "存疑"
		case ans == "":
			ans = "未涂"
		}
		fmt.Fprintf(w, "%4d  %s  %s\n", it.Number, padWidth(ans, 4), pointsText(base[it.Number]))
	}
	if len(sk.problems) > 0 {
		fmt.Fprintln(w, "没有读准的地方：")
		for _, p := range sk.problems {
			fmt.Fprintln(w, "  "+p)
		}
	}
}

// padWidth pads s with spaces to n terminal columns, a Chinese character
// taking two.
func padWidth(s string, n int) string {
	w := 0
	for _, r := range s {
		w++
		if r >= 0x1100 {
			w++
		}
	}
	return s + strings.Repeat(" ", max(0, n-w))
}

func pointsText(k grading.KeyItem) string {
	s := strconv.FormatFloat(k.Points, 'f', -1, 64)
	if k.PartialPoints > 0 {
		s += "（漏选得 " + strconv.FormatFloat(k.PartialPoints, 'f', -1, 64) + "）"
	}
	if k.Excluded {
		s += "（作废）"
	}
	return s
}

// key joins the answers read with the points and knowledge points of the
// base, and checks the whole through grading.ParseKey, exactly as a key
// file is checked. A blank item is refused unless it is excluded.
func (sk *scannedKey) key(base map[int]grading.KeyItem, items []card.Item) (*grading.Key, error) {
	var doc struct {
		Items []grading.KeyItem `yaml:"items"`
	}
	var blank []string
	for _, it := range items {
		k := base[it.Number]
		k.Item, k.Kind = it.Number, ""
		k.Answers = nil
		if a := sk.answers[it.Number]; a != "" {
			k.Answers = []string{a}
		} else if !k.Excluded {
			blank = append(blank, strconv.Itoa(it.Number))
		}
		doc.Items = append(doc.Items, k)
	}
	if len(blank) > 0 {
		return nil, fmt.Errorf("答题卡上第 %s 题没有填涂，答案没有保存：答案卡须每题涂一个答案（作废的题除外）", strings.Join(blank, "、"))
	}
	data, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, fmt.Errorf("整理读出的答案：%w", err)
	}
	key, err := grading.ParseKey("答题卡读出的答案.yaml", data, items)
	if err != nil {
		return nil, err
	}
	key.Form = sk.form
	return key, nil
}
