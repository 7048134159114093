package scanner

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// ErrBadFile marks a file that is not a usable scan (empty, damaged, not an
// image). Drivers report it per file and go on with the next one; any other
// error from a handler stops the driver.
var ErrBadFile = errors.New("not a usable scan")

// maxZipEntry bounds one file inside a ZIP: a scanned page is a few MB, and
// a bomb must not exhaust the scan station's memory.
const maxZipEntry = 512 << 20

// Import reads pages from path, in scan order, and hands each to handle:
//   - a folder: its image files (and those of its subfolders) in natural
//     name order ("p2" before "p10"), multi-page files expanded in place;
//   - a ZIP: its image entries in natural name order;
//   - a single image, a multi-page TIFF or a PDF.
//
// A file that cannot be read as a scan is reported to bad (if not nil) and
// skipped; an error from handle stops the import.
func Import(ctx context.Context, p string, handle func(context.Context, Image) error, bad func(name string, err error)) error {
	if bad == nil {
		bad = func(string, error) {}
	}
	info, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("import %s: %w", p, err)
	}
	if info.IsDir() {
		return importDir(ctx, p, handle, bad)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("import %s: %w", p, err)
	}
	if sniff(data) == formatZIP {
		return importZip(ctx, p, data, handle, bad)
	}
	return importFile(ctx, filepath.Base(p), data, handle, bad)
}

func importFile(ctx context.Context, name string, data []byte, handle func(context.Context, Image) error, bad func(string, error)) error {
	images, err := Decode(name, data)
	if err != nil {
		bad(name, fmt.Errorf("%w: %w", ErrBadFile, err))
		return nil
	}
	for _, im := range images {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := handle(ctx, im); err != nil {
			return err
		}
	}
	return nil
}

func importDir(ctx context.Context, dir string, handle func(context.Context, Image) error, bad func(string, error)) error {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != dir && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() && (wanted(p) || strings.EqualFold(filepath.Ext(p), ".zip")) {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("import %s: %w", dir, err)
	}
	sortPaths(files)
	if len(files) == 0 {
		return fmt.Errorf("import %s: the folder holds no scanned images", dir)
	}
	for _, rel := range files {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return fmt.Errorf("import %s: %w", rel, err)
		}
		if sniff(data) == formatZIP {
			err = importZip(ctx, rel, data, handle, bad)
		} else {
			err = importFile(ctx, rel, data, handle, bad)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func importZip(ctx context.Context, name string, data []byte, handle func(context.Context, Image) error, bad func(string, error)) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		bad(name, fmt.Errorf("%w: damaged ZIP: %w", ErrBadFile, err))
		return nil
	}
	var entries []*zip.File
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || strings.HasPrefix(f.Name, "__MACOSX/") || !wanted(f.Name) {
			continue
		}
		entries = append(entries, f)
	}
	sort.SliceStable(entries, func(i, j int) bool { return pathLess(entries[i].Name, entries[j].Name) })
	for _, f := range entries {
		entryName := path.Base(name) + "/" + f.Name
		if f.UncompressedSize64 > maxZipEntry {
			bad(entryName, fmt.Errorf("%w: %d MB is larger than any scanned page", ErrBadFile, f.UncompressedSize64>>20))
			continue
		}
		rc, err := f.Open()
		if err != nil {
			bad(entryName, fmt.Errorf("%w: %w", ErrBadFile, err))
			continue
		}
		b, err := io.ReadAll(io.LimitReader(rc, maxZipEntry+1))
		rc.Close()
		if err != nil {
			bad(entryName, fmt.Errorf("%w: damaged ZIP entry: %w", ErrBadFile, err))
			continue
		}
		if err := importFile(ctx, entryName, b, handle, bad); err != nil {
			return err
		}
	}
	return nil
}

// sortPaths orders slash-separated paths folder by folder in natural order.
func sortPaths(ps []string) {
	sort.SliceStable(ps, func(i, j int) bool { return pathLess(ps[i], ps[j]) })
}

func pathLess(a, b string) bool {
	pa, pb := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] != pb[i] {
			// Files of a folder come before its subfolders.
			if (i == len(pa)-1) != (i == len(pb)-1) {
				return i == len(pa)-1
			}
			return naturalLess(pa[i], pb[i])
		}
	}
	return len(pa) < len(pb)
}
