// Package scanner is the scan station's side of the pipeline: drivers that
// turn what a school's document scanner produces into page images in scan
// order, a local spool that keeps every page until the county has it, and
// the uploaders that send pages to the county.
//
// Drivers:
//   - HotFolder watches the folder a scanner's TWAIN software writes into
//     (the usual set-up on the Windows scan stations);
//   - SANE runs `scanimage --batch` on Linux;
//   - Import reads a folder, a ZIP, or a multi-page TIFF or PDF.
//
// Every driver hands out Images: JPEG and PNG files pass unchanged, so the
// county stores exactly the scanner's bytes; TIFF, PNM and BMP pages are
// converted to PNG (lossless: light pencil marks survive), because the reader
// accepts only JPEG and PNG.
//
// The package is pure Go without cgo, and it knows the server only through
// the Uploader interface, so the client cross-compiles for Windows.
package scanner
