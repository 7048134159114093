package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// buildBinary builds this command into the test's own directory, removed
// with it, so a test can run it as a person does: a process, its exit
// status, its standard streams.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "saoyue")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runBinary runs saoyue with the database URL and stdin given; it returns
// stdout, stderr and the exit status.
func runBinary(t *testing.T, bin, dbURL, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "SAOYUE_DATABASE_URL="+dbURL)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return out.String(), errb.String(), exit.ExitCode()
	case err != nil:
		t.Fatalf("run saoyue %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), 0
}

// keyCardAnswers is the key the leader fills in: every single-choice item
// an option of its own, every multiple-choice item two options.
func keyCardAnswers(items []card.Item) map[int][]string {
	out := map[int][]string{}
	for _, it := range items {
		if it.Multiple {
			out[it.Number] = []string{it.Options[it.Number%2], it.Options[2+it.Number%2]}
		} else {
			out[it.Number] = []string{it.Options[(it.Number*3)%len(it.Options)]}
		}
	}
	return out
}

// filledKeyCard renders the math card's front as printed, scans it at
// 200 dpi grey and fills the answers in pencil; it returns the JPEG.
func filledKeyCard(t *testing.T, tp *card.Template, answers map[int][]string) []byte {
	t.Helper()
	const dpi = 200
	var pdf bytes.Buffer
	if err := card.RenderPDF(tp, &pdf); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "card.pdf")
	if err := os.WriteFile(in, pdf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-r", "200", "-gray", "-png", "-f", "1", "-l", "1", "-singlefile", in, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "p.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(src.Bounds())
	draw.Draw(img, img.Rect, src, src.Bounds().Min, draw.Src)
	doc, err := card.Layout(tp, dpi)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range doc.Pages[0].Bubbles {
		if b.Kind == card.BubbleOption && contains(answers[b.Item], b.Option) {
			fillBubble(img, b)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fillBubble darkens a bubble as a 2B pencil fill does.
func fillBubble(img *image.Gray, b card.Bubble) {
	for y := int(b.CY - b.RY*1.1); y <= int(b.CY+b.RY*1.1); y++ {
		for x := int(b.CX - b.RX*1.1); x <= int(b.CX+b.RX*1.1); x++ {
			dx, dy := (float64(x)+0.5-b.CX)/(b.RX*1.05), (float64(y)+0.5-b.CY)/(b.RY*1.05)
			if dx*dx+dy*dy <= 1 {
				img.Pix[y*img.Stride+x] = 60
			}
		}
	}
}

// TestKeyImportFromScan walks the leader's path with the real binary: a
// card filled in as the key is read, shown, refused without confirmation,
// then saved with it and audited; a card with a double mark on a
// single-choice item is refused in Chinese and saves nothing.
func TestKeyImportFromScan(t *testing.T) {
	t.Parallel()
	db, url := storetest.NewWithURL(t)
	ctx := context.Background()
	dir := t.TempDir()
	bin := buildBinary(t)
	tmplPath := fixturePath(demoTemplate)
	for _, args := range [][]string{
		{"exam", "create", "--code", "31", "--name", "答案卡测试", "--subjects", "math:数学", "--capacity", "30"},
		{"template", "add", "--exam", "31", "--subject", "math", tmplPath},
	} {
		if out, errOut, code := runBinary(t, bin, url, "", args...); code != 0 {
			t.Fatalf("saoyue %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	tp, err := card.Load(tmplPath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := card.Layout(tp, 200)
	if err != nil {
		t.Fatal(err)
	}
	want := keyCardAnswers(doc.Items)
	scan := filepath.Join(dir, "key-front.jpg")
	if err := os.WriteFile(scan, filledKeyCard(t, tp, want), 0o644); err != nil {
		t.Fatal(err)
	}
	points := filepath.Join(dir, "points.csv")
	var pb strings.Builder
	pb.WriteString("题号,分值,部分分\n")
	for _, it := range doc.Items {
		if it.Multiple {
			fmt.Fprintf(&pb, "%d,3,1\n", it.Number)
		} else {
			fmt.Fprintf(&pb, "%d,2,\n", it.Number)
		}
	}
	if err := os.WriteFile(points, []byte(pb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"key", "import", "--exam", "31", "--subject", "math", "--from-scan", scan, "--points", points, "--by", "组长李"}

	// Without a yes nothing is saved.
	out, errOut, code := runBinary(t, bin, url, "n\n", args...)
	if code == 0 || !strings.Contains(errOut, "没有确认，答案没有保存") {
		t.Fatalf("declined: exit %d\n%s%s", code, out, errOut)
	}
	for _, line := range []string{"从答题卡读出的答案（考试 31 学科 math，所有题本）", "以上答案是否保存？"} {
		if !strings.Contains(out, line) {
			t.Errorf("output lacks %q:\n%s", line, out)
		}
	}
	if n := keyRows(t, db, ""); len(n) != 0 {
		t.Fatalf("a declined key was saved: %v", n)
	}

	out, errOut, code = runBinary(t, bin, url, "y\n", args...)
	if code != 0 || !strings.Contains(out, "考试 31 学科 math 题本「」的答案：25 题") {
		t.Fatalf("confirmed: exit %d\n%s%s", code, out, errOut)
	}
	got := keyRows(t, db, "")
	for _, it := range doc.Items {
		if w := strings.Join(want[it.Number], ""); got[it.Number] != w {
			t.Errorf("item %d saved as %q, the card says %q", it.Number, got[it.Number], w)
		}
		if !strings.Contains(out, fmt.Sprintf("\n%4d  %-4s  %d", it.Number, strings.Join(want[it.Number], ""), 2+btoi(it.Multiple))) {
			t.Errorf("item %d not shown as %v:\n%s", it.Number, want[it.Number], out)
		}
	}
	var actor, reason string
	if err := db.Pool.QueryRow(ctx, `SELECT actor, reason FROM audit_log WHERE action = 'key.replace'`).Scan(&actor, &reason); err != nil {
		t.Fatalf("audit row of the key: %v", err)
	}
	if actor != "组长李" || !strings.Contains(reason, "答案从答题卡扫描读取：key-front.jpg") {
		t.Errorf("audit row: actor %q, reason %q", actor, reason)
	}
	var pts, partial float64
	db.Pool.QueryRow(ctx, `SELECT points::float8, partial_points::float8 FROM answer_keys WHERE item_no = 21`).Scan(&pts, &partial)
	if pts != 3 || partial != 1 {
		t.Errorf("item 21 worth %v (partial %v), the points file says 3 (1)", pts, partial)
	}

	// A double mark on single-choice item 3: refused, nothing changes.
	bad := map[int][]string{}
	for k, v := range want {
		bad[k] = v
	}
	bad[3] = []string{"A", "C"}
	bad[7] = []string{"D"} // read, but not saved with the rest
	badScan := filepath.Join(dir, "key-double.jpg")
	if err := os.WriteFile(badScan, filledKeyCard(t, tp, bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runBinary(t, bin, url, "", "key", "import", "--exam", "31", "--subject", "math", "--from-scan", badScan, "--yes", "--by", "组长李")
	if code == 0 || !strings.Contains(out, "第 3 题：单选题涂了 2 个选项（A、C），答案只能有一个") || !strings.Contains(out, "\n   3  存疑  2\n") ||
		!strings.Contains(errOut, "答题卡上有 1 处没有读准，答案没有保存") {
		t.Fatalf("double mark: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("what the leader sees of a refused card:\n%s%s", out, errOut)
	if again := keyRows(t, db, ""); again[7] != got[7] || again[3] != got[3] {
		t.Errorf("a refused key changed the saved one: item 3 %q, item 7 %q", again[3], again[7])
	}
	var audits int
	db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'key.replace'`).Scan(&audits)
	if audits != 1 {
		t.Errorf("%d key.replace audit rows, want 1", audits)
	}
}

// keyRows is the saved key of a form, item → answers joined by "|".
func keyRows(t *testing.T, db *store.DB, form string) map[int]string {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(), `SELECT item_no, array_to_string(answers, '|') FROM answer_keys WHERE form = $1`, form)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int]string{}
	for rows.Next() {
		var item int
		var answers string
		if err := rows.Scan(&item, &answers); err != nil {
			t.Fatal(err)
		}
		out[item] = answers
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestScannedKeyChecks: a blank item that is not excluded refuses the key,
// an excluded one may stay blank, and a points file is read by its header
// (other columns ignored) and refused in Chinese where a cell is wrong.
func TestScannedKeyChecks(t *testing.T) {
	t.Parallel()
	items := []card.Item{{Number: 1, Page: 1, Options: []string{"A", "B", "C", "D"}},
		{Number: 2, Page: 1, Options: []string{"A", "B", "C", "D"}},
		{Number: 3, Page: 1, Multiple: true, Options: []string{"A", "B", "C", "D"}}}
	dir := t.TempDir()
	points := filepath.Join(dir, "p.csv")
	os.WriteFile(points, []byte("\xEF\xBB\xBF题号,答案,分值,部分分,作废\n1,A,2,,\n2,,2,,是\n3,AC,3,1,\n"), 0o644)
	base, err := readPointsFile(points)
	if err != nil {
		t.Fatal(err)
	}
	sk := &scannedKey{answers: map[int]string{1: "B", 2: "", 3: "CA"}}
	key, err := sk.key(base, items)
	if err != nil {
		t.Fatalf("item 2 is excluded, may stay blank: %v", err)
	}
	if k := key.Items[3]; k.Answers[0] != "AC" || k.Points != 3 || k.PartialPoints != 1 || !key.Items[2].Excluded {
		t.Errorf("key %+v", key.Items)
	}
	base[2] = grading.KeyItem{Item: 2, Points: 2}
	if _, err := sk.key(base, items); err == nil || !strings.Contains(err.Error(), "答题卡上第 2 题没有填涂，答案没有保存") {
		t.Errorf("blank item: %v", err)
	}
	os.WriteFile(points, []byte("题号,分值\n1,两分\n"), 0o644)
	if _, err := readPointsFile(points); err == nil || !strings.Contains(err.Error(), `p.csv 第 2 行：分值 "两分" 不是数字`) {
		t.Errorf("bad points: %v", err)
	}
}
