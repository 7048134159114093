package main

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/fixtures"
)

// TestOMRReadExitCode: `omr read` prints a JSON line per page it read, a
// line per file it could not read, and fails when any file was not read.
func TestOMRReadExitCode(t *testing.T) {
	t.Parallel()
	tmplPath := filepath.Join("..", "..", "fixtures", "templates", "math-a4.yaml")
	tmpl, err := card.Load(tmplPath)
	if err != nil {
		t.Fatal(err)
	}
	g, err := fixtures.NewGenerator(tmpl, fixtures.Options{Level: "clean", Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	scans, err := g.Card(0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jpg")
	if err := os.WriteFile(good, scans[0].Image, 0o644); err != nil {
		t.Fatal(err)
	}
	// A white sheet decodes but has no fiducials: not read.
	grey := image.NewGray(image.Rect(0, 0, 800, 1100))
	for i := range grey.Pix {
		grey.Pix[i] = 255
	}
	var b bytes.Buffer
	_ = jpeg.Encode(&b, grey, nil)
	white := filepath.Join(dir, "white.jpg")
	_ = os.WriteFile(white, b.Bytes(), 0o644)
	broken := filepath.Join(dir, "broken.jpg")
	_ = os.WriteFile(broken, []byte("no image"), 0o644)

	run := func(files ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		cmd := newOMRCmd(&Config{})
		cmd.SetOut(&out)
		cmd.SetErr(&errOut)
		cmd.SetArgs(append([]string{"read", "--template", tmplPath}, files...))
		err := cmd.Execute()
		return out.String(), errOut.String(), err
	}
	if out, msg, err := run(good); err != nil || strings.Count(out, "\n") != 1 || !strings.Contains(msg, "未能识别 0 个") {
		t.Errorf("one good page: err %v, stdout %d lines, stderr %s", err, strings.Count(out, "\n"), msg)
	}
	out, msg, err := run(good, broken)
	if err == nil || !strings.Contains(msg, "broken.jpg") || strings.Count(out, "\n") < 1 {
		t.Errorf("a good page and a broken file: err %v, stderr %s", err, msg)
	}
	if _, msg, err := run(broken, white); err == nil || !strings.Contains(err.Error(), "2 个文件未能识别") {
		t.Errorf("a broken file and a white sheet: err %v, stderr %s", err, msg)
	}
}
