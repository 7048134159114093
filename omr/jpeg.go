package omr

/*
#cgo pkg-config: libjpeg
#include <stdio.h>
#include <setjmp.h>
#include <jpeglib.h>

struct sy_err {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
	int warned;
};

static void sy_error_exit(j_common_ptr c) {
	longjmp(((struct sy_err *)c->err)->jb, 1);
}

// A warning means the data is damaged; the caller then decodes the file
// the ordinary way, so a damaged file reads exactly as it did before.
static void sy_emit_message(j_common_ptr c, int level) {
	if (level < 0) ((struct sy_err *)c->err)->warned = 1;
}

static void sy_output_message(j_common_ptr c) {}

// sy_jpeg_gray_rows decodes rows [y0, y1) of a baseline grey JPEG of w x h
// pixels into out. Rows above y0 are skipped: their Huffman data is decoded
// (it must be, to find where row y0 starts) but not transformed into
// pixels, which is most of a decode's work. 0: done; 1: not such a JPEG, or
// not of that size; 2: damaged or warned.
static int sy_jpeg_gray_rows(const unsigned char *data, unsigned long len, int w, int h,
                             unsigned char *out, int stride, int y0, int y1) {
	struct jpeg_decompress_struct cinfo;
	struct sy_err err;
	cinfo.err = jpeg_std_error(&err.pub);
	err.pub.error_exit = sy_error_exit;
	err.pub.emit_message = sy_emit_message;
	err.pub.output_message = sy_output_message;
	err.warned = 0;
	jpeg_create_decompress(&cinfo);
	if (setjmp(err.jb)) {
		jpeg_destroy_decompress(&cinfo);
		return 2;
	}
	jpeg_mem_src(&cinfo, data, len);
	jpeg_read_header(&cinfo, TRUE);
	if (cinfo.num_components != 1 || cinfo.jpeg_color_space != JCS_GRAYSCALE ||
	    jpeg_has_multiple_scans(&cinfo) || cinfo.data_precision != 8 ||
	    (int)cinfo.image_width != w || (int)cinfo.image_height != h ||
	    y0 < 0 || y1 > h || y0 >= y1) {
		jpeg_destroy_decompress(&cinfo);
		return 1;
	}
	cinfo.out_color_space = JCS_GRAYSCALE;
	cinfo.dct_method = JDCT_ISLOW; // what OpenCV's decoder uses
	jpeg_start_decompress(&cinfo);
	if (y0 > 0 && jpeg_skip_scanlines(&cinfo, (JDIMENSION)y0) != (JDIMENSION)y0) {
		jpeg_destroy_decompress(&cinfo);
		return 2;
	}
	while ((int)cinfo.output_scanline < y1) {
		JSAMPROW row = out + (size_t)cinfo.output_scanline * stride;
		if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
			jpeg_destroy_decompress(&cinfo);
			return 2;
		}
	}
	int warned = err.warned;
	jpeg_destroy_decompress(&cinfo);
	return warned ? 2 : 0;
}
*/
import "C"

import (
	"runtime"
	"sync/atomic"
	"unsafe"

	"gocv.io/x/gocv"
)

// splitAt is where the second decoder starts, as a fraction of the height.
// The first decodes the rows above it; the second runs through the same
// rows' Huffman data without making pixels of them (about 45% of a decode's
// work), then decodes the rest. Alone, skipping costs the second decoder
// enough that it should get only a third of the rows, but the two decoders
// slow each other on the two cores of a VM, the first more than the
// second: measured from 0.42 to 0.7 of the height, halves were fastest
// (BENCHMARKS.md).
const splitAt = 0.5

// readsRunning counts pages being read in this process. A decode is split
// across two cores only when its page is the only one: with every core
// reading a page of its own, splitting would only add the second decoder's
// skipping to the work and take a core from another page.
var readsRunning atomic.Int32

// decodeGraySplit decodes a baseline grey JPEG (what a document scanner
// writes at "200 dpi, grey") of width x height pixels, as its header says
// (checkInput read it), on two cores at once: the top part on this one,
// the bottom part on another. The pixels are exactly those of
// gocv.IMDecode (same libjpeg, same inverse DCT; tested). ok is false when
// the image is of another kind or damaged in any way the decoder notices;
// the caller then decodes it with OpenCV as before, so what such a file
// reads as does not change.
func decodeGraySplit(data []byte, width, height int, alone bool) (m gocv.Mat, ok bool) {
	if len(data) == 0 || width <= 0 || height <= 0 {
		return gocv.Mat{}, false
	}
	src := (*C.uchar)(unsafe.Pointer(&data[0]))
	size := C.ulong(len(data))
	w, h := C.int(width), C.int(height)
	m = gocv.NewMatWithSize(height, width, gocv.MatTypeCV8U)
	pix, err := m.DataPtrUint8()
	if err != nil || !m.IsContinuous() {
		m.Close()
		return gocv.Mat{}, false
	}
	out := (*C.uchar)(unsafe.Pointer(&pix[0]))
	stride := C.int(m.Step())
	// Other pages are being read (they keep the other cores busy), or there
	// is one core: one decoder.
	if !alone || runtime.GOMAXPROCS(0) < 2 {
		if C.sy_jpeg_gray_rows(src, size, w, h, out, stride, 0, h) != 0 {
			m.Close()
			return gocv.Mat{}, false
		}
		return m, true
	}
	// Split on a row of 8-pixel blocks, so neither decoder needs a block
	// row the other makes.
	split := C.int(int(float64(h)*splitAt) &^ 7)
	if split < 8 {
		split = 8
	}
	bottom := make(chan C.int, 1)
	go func() { bottom <- C.sy_jpeg_gray_rows(src, size, w, h, out, stride, split, h) }()
	top := C.sy_jpeg_gray_rows(src, size, w, h, out, stride, 0, split)
	// Wait for the other decoder whatever happened here: it writes into m.
	if b := <-bottom; top != 0 || b != 0 {
		m.Close()
		return gocv.Mat{}, false
	}
	runtime.KeepAlive(data)
	return m, true
}
