package card

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/image/font/sfnt"
)

// Fonts are the TrueType files a card is printed with; an empty path
// takes the first installed candidate. The CJK fallback font has no Latin
// glyphs, so digits and letters are printed with a second, Latin font. The
// commands set them from their configuration (SAOYUE_CJK_FONT,
// SAOYUE_LATIN_FONT).
type Fonts struct {
	CJK   string
	Latin string
}

// latinCandidates are tried for digits and letters; when none is installed
// the PDF core font Helvetica is used, which every printer and viewer has.
var latinCandidates = []string{
	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
	"/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
}

// FindLatinFont returns the TrueType font for digits and Latin letters:
// path when given, else the first installed candidate, or "" to use the
// core Helvetica font.
func FindLatinFont(path string) (string, error) {
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("the Latin font: %w", err)
		}
		return path, nil
	}
	for _, p := range latinCandidates {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", nil
}

// fontCandidates are TrueType (not .ttc: fpdf cannot read collections)
// fonts with the Chinese glyphs a card needs, in order of preference.
var fontCandidates = []string{
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	"/usr/share/fonts/truetype/droid/DroidSansFallback.ttf",
	"/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf",
}

// FindFont returns the path of the CJK TrueType font used on cards: path
// when given, else the first installed candidate.
func FindFont(path string) (string, error) {
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("the CJK font: %w", err)
		}
		return path, nil
	}
	for _, p := range fontCandidates {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chinese (CJK) TrueType font found for printing cards: install it with " +
		"`apt-get install -y fonts-droid-fallback`, or set SAOYUE_CJK_FONT to a .ttf file with Chinese glyphs")
}

var fontCache struct {
	sync.Mutex
	files map[string][]byte
}

// readFont reads a font once per process: the CJK fallback font is 4 MB and
// a print run renders many cards.
func readFont(path string) ([]byte, error) {
	fontCache.Lock()
	defer fontCache.Unlock()
	if data, ok := fontCache.files[path]; ok {
		return data, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read font: %w", err)
	}
	if fontCache.files == nil {
		fontCache.files = map[string][]byte{}
	}
	fontCache.files[path] = data
	return data, nil
}

// glyphSet tells whether a font has a glyph for a rune.
type glyphSet func(rune) bool

var coverageCache struct {
	sync.Mutex
	sets map[string]glyphSet
}

// fontCoverage parses the font's character map once per process.
func fontCoverage(path string, data []byte) (glyphSet, error) {
	coverageCache.Lock()
	defer coverageCache.Unlock()
	if g, ok := coverageCache.sets[path]; ok {
		return g, nil
	}
	f, err := sfnt.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("font %s is not a TrueType font: %w", path, err)
	}
	g := func(r rune) bool {
		var buf sfnt.Buffer // per call: renders may run concurrently
		i, err := f.GlyphIndex(&buf, r)
		return err == nil && i != 0
	}
	if coverageCache.sets == nil {
		coverageCache.sets = map[string]glyphSet{}
	}
	coverageCache.sets[path] = g
	return g, nil
}
