package omr

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"testing"
)

// TestBadFiles: every kind of bad input is a per-file exception with a
// reason, never a panic or an error that stops a batch.
func TestBadFiles(t *testing.T) {
	r := sharedReader(t)
	tiny := image.NewGray(image.Rect(0, 0, 50, 50))
	var tinyJPEG, bigHeader, pngBuf bytes.Buffer
	jpeg.Encode(&tinyJPEG, tiny, nil)
	png.Encode(&pngBuf, image.NewGray(image.Rect(0, 0, 600, 800)))
	// A JPEG header that claims an enormous image.
	big := image.NewGray(image.Rect(0, 0, 16, 16))
	jpeg.Encode(&bigHeader, big, nil)
	huge := append([]byte(nil), bigHeader.Bytes()...)
	for i := 0; i+8 < len(huge); i++ {
		if huge[i] == 0xFF && huge[i+1] == 0xC0 { // SOF0: height and width follow the precision byte
			huge[i+5], huge[i+6], huge[i+7], huge[i+8] = 0xFF, 0xF0, 0xFF, 0xF0
		}
	}
	cases := []struct {
		name, want string
		data       []byte
	}{
		{"zero bytes", "空文件", nil},
		{"pdf", "PDF", []byte("%PDF-1.4\n...")},
		{"tiff", "TIFF", []byte("II*\x00\x08\x00\x00\x00")},
		{"random", "不是 JPEG 或 PNG", []byte("hello, this is not an image")},
		{"truncated jpeg", "JPEG 文件不完整", tinyJPEG.Bytes()[:len(tinyJPEG.Bytes())-20]},
		{"tiny image", "太小", tinyJPEG.Bytes()},
		{"huge image", "超过扫描页的上限", huge},
		{"blank page", "空白页", pngBuf.Bytes()},
	}
	for _, c := range cases {
		res := r.Read(c.name, c.data)
		if len(res.Exceptions) == 0 || !bytes.Contains([]byte(res.Exceptions[0].Reason), []byte(c.want)) {
			t.Errorf("%s: exceptions %+v, want one mentioning %q", c.name, res.Exceptions, c.want)
		}
		if res.Template != "" {
			t.Errorf("%s: identified as %s", c.name, res.Template)
		}
	}
}

// FuzzRead feeds arbitrary bytes (seeded with real JPEG and PNG headers) to
// the reader: whatever comes in, it returns a Result.
func FuzzRead(f *testing.F) {
	var j, p bytes.Buffer
	jpeg.Encode(&j, image.NewGray(image.Rect(0, 0, 400, 400)), nil)
	png.Encode(&p, image.NewGray(image.Rect(0, 0, 400, 400)))
	f.Add(j.Bytes())
	f.Add(p.Bytes())
	f.Add([]byte("%PDF-1.7"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := sharedReader(t)
		if res := r.Read("fuzz", data); res == nil {
			t.Fatal("nil result")
		}
	})
}
