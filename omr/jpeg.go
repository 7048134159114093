package omr

/*
#cgo pkg-config: libjpeg
#include <stdio.h>
#include <setjmp.h>
#include <jpeglib.h>

struct sy_err {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
	int warnings;
	char first[JMSG_LENGTH_MAX]; // the first warning or the error, for the technician
};

static void sy_error_exit(j_common_ptr c) {
	struct sy_err *e = (struct sy_err *)c->err;
	if (e->first[0] == 0) (*c->err->format_message)(c, e->first);
	longjmp(e->jb, 1);
}

// A warning ("Corrupt JPEG data: 3 extraneous bytes before marker 0xd9",
// "Premature end of JPEG file", ...) means libjpeg met damaged data and
// decoded around it: the pixels are not the scan's. libjpeg's own handler
// prints it to stderr and decodes on; here it is counted, and the first
// one kept, so that the page becomes an exception instead of a reading.
static void sy_emit_message(j_common_ptr c, int level) {
	struct sy_err *e = (struct sy_err *)c->err;
	if (level >= 0) return; // trace messages
	if (e->warnings++ == 0) (*c->err->format_message)(c, e->first);
}

static void sy_output_message(j_common_ptr c) {}

static void sy_init_err(struct jpeg_decompress_struct *cinfo, struct sy_err *err) {
	cinfo->err = jpeg_std_error(&err->pub);
	err->pub.error_exit = sy_error_exit;
	err->pub.emit_message = sy_emit_message;
	err->pub.output_message = sy_output_message;
	err->warnings = 0;
	err->first[0] = 0;
}

// sy_done reports how a decode ended: 0 sound, 2 an error stopped it, 3
// it warned; msg gets the first message, *warnings their count.
static int sy_done(struct sy_err *err, int code, char *msg, int *warnings) {
	*warnings = err->warnings;
	for (int i = 0; i < JMSG_LENGTH_MAX; i++) msg[i] = err->first[i];
	if (code == 0 && err->warnings > 0) return 3;
	return code;
}

// sy_jpeg_gray_rows decodes rows [y0, y1) of a baseline grey JPEG of w x h
// pixels into out. Rows above y0 are skipped: their Huffman data is decoded
// (it must be, to find where row y0 starts) but not transformed into
// pixels, which is most of a decode's work. The decoder that makes the last
// row reads on to the end of the file, so damage after it is seen too.
// 0: done; 1: not such a JPEG, or not of that size; 2: an error stopped
// it; 3: decoded with warnings (damaged data).
static int sy_jpeg_gray_rows(const unsigned char *data, unsigned long len, int w, int h,
                             unsigned char *out, int stride, int y0, int y1, char *msg, int *warnings) {
	struct jpeg_decompress_struct cinfo;
	struct sy_err err;
	sy_init_err(&cinfo, &err);
	jpeg_create_decompress(&cinfo);
	if (setjmp(err.jb)) {
		jpeg_destroy_decompress(&cinfo);
		return sy_done(&err, 2, msg, warnings);
	}
	jpeg_mem_src(&cinfo, data, len);
	jpeg_read_header(&cinfo, TRUE);
	if (cinfo.num_components != 1 || cinfo.jpeg_color_space != JCS_GRAYSCALE ||
	    jpeg_has_multiple_scans(&cinfo) || cinfo.data_precision != 8 ||
	    (int)cinfo.image_width != w || (int)cinfo.image_height != h ||
	    y0 < 0 || y1 > h || y0 >= y1) {
		jpeg_destroy_decompress(&cinfo);
		return sy_done(&err, 1, msg, warnings);
	}
	cinfo.out_color_space = JCS_GRAYSCALE;
	cinfo.dct_method = JDCT_ISLOW; // what OpenCV's decoder uses
	jpeg_start_decompress(&cinfo);
	if (y0 > 0 && jpeg_skip_scanlines(&cinfo, (JDIMENSION)y0) != (JDIMENSION)y0) {
		jpeg_destroy_decompress(&cinfo);
		return sy_done(&err, 2, msg, warnings);
	}
	while ((int)cinfo.output_scanline < y1) {
		JSAMPROW row = out + (size_t)cinfo.output_scanline * stride;
		if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
			jpeg_destroy_decompress(&cinfo);
			return sy_done(&err, 2, msg, warnings);
		}
	}
	if (y1 == h) jpeg_finish_decompress(&cinfo);
	jpeg_destroy_decompress(&cinfo);
	return sy_done(&err, 0, msg, warnings);
}

// sy_jpeg_check runs through a JPEG that OpenCV will decode (colour,
// progressive) to see whether libjpeg warns on it, as cheaply as libjpeg
// allows: every scan's entropy data is decoded, but the image is made at
// 1/8 scale, one DC value a block. Same return codes as sy_jpeg_gray_rows.
static int sy_jpeg_check(const unsigned char *data, unsigned long len, char *msg, int *warnings) {
	struct jpeg_decompress_struct cinfo;
	struct sy_err err;
	JSAMPARRAY row = NULL;
	sy_init_err(&cinfo, &err);
	jpeg_create_decompress(&cinfo);
	if (setjmp(err.jb)) {
		jpeg_destroy_decompress(&cinfo);
		return sy_done(&err, 2, msg, warnings);
	}
	jpeg_mem_src(&cinfo, data, len);
	jpeg_read_header(&cinfo, TRUE);
	cinfo.scale_num = 1;
	cinfo.scale_denom = 8;
	jpeg_start_decompress(&cinfo);
	row = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE,
	                                 cinfo.output_width * cinfo.output_components, 1);
	while (cinfo.output_scanline < cinfo.output_height) {
		if (jpeg_read_scanlines(&cinfo, row, 1) != 1) {
			jpeg_destroy_decompress(&cinfo);
			return sy_done(&err, 2, msg, warnings);
		}
	}
	jpeg_finish_decompress(&cinfo);
	jpeg_destroy_decompress(&cinfo);
	return sy_done(&err, 0, msg, warnings);
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

// jpegRun is what one libjpeg run found: its return code, and the first
// message libjpeg gave with the number of warnings.
type jpegRun struct {
	code     C.int
	msg      [C.JMSG_LENGTH_MAX]C.char
	warnings C.int
}

// err turns a damaged run into the page's exception: an error that
// stopped libjpeg makes the image unreadable, a warning makes it damaged
// (it decoded, but not into the scan's pixels).
func (r *jpegRun) err() error {
	msg := C.GoString(&r.msg[0])
	switch r.code {
	case 2:
		return badInput("JPEG 图像数据损坏，无法解码（libjpeg：%s）", msg)
	case 3:
		return damaged("JPEG 图像数据损坏：libjpeg 报告 %d 处问题，第一处为“%s”；按损坏的数据读出的答案不可信", int(r.warnings), msg)
	}
	return nil
}

// checkJPEG runs libjpeg through a JPEG that OpenCV is about to decode:
// OpenCV decodes around damaged data without a word.
func checkJPEG(data []byte) error {
	if len(data) == 0 {
		return badInput("空文件（0 字节）：扫描文件没有写完整")
	}
	var r jpegRun
	r.code = C.sy_jpeg_check((*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)), &r.msg[0], &r.warnings)
	runtime.KeepAlive(data)
	return r.err()
}

// decodeGraySplit decodes a baseline grey JPEG (what a document scanner
// writes at "200 dpi, grey") of width x height pixels, as its header says
// (checkInput read it), on two cores at once: the top part on this one,
// the bottom part on another. The pixels are exactly those of
// gocv.IMDecode (same libjpeg, same inverse DCT; tested). ok is false when
// the image is of another kind; the caller then decodes it with OpenCV. err
// is set when libjpeg found the data damaged (an error, or a warning
// anywhere up to the end of the file): the page is refused.
func decodeGraySplit(data []byte, width, height int, alone bool) (m gocv.Mat, ok bool, err error) {
	if len(data) == 0 || width <= 0 || height <= 0 {
		return gocv.Mat{}, false, nil
	}
	src := (*C.uchar)(unsafe.Pointer(&data[0]))
	size := C.ulong(len(data))
	w, h := C.int(width), C.int(height)
	m = gocv.NewMatWithSize(height, width, gocv.MatTypeCV8U)
	pix, perr := m.DataPtrUint8()
	if perr != nil || !m.IsContinuous() {
		m.Close()
		return gocv.Mat{}, false, nil
	}
	out := (*C.uchar)(unsafe.Pointer(&pix[0]))
	stride := C.int(m.Step())
	run := func(r *jpegRun, y0, y1 C.int) {
		r.code = C.sy_jpeg_gray_rows(src, size, w, h, out, stride, y0, y1, &r.msg[0], &r.warnings)
	}
	var top, bottom jpegRun
	// Other pages are being read (they keep the other cores busy), or there
	// is one core: one decoder.
	if !alone || runtime.GOMAXPROCS(0) < 2 {
		run(&top, 0, h)
	} else {
		// Split on a row of 8-pixel blocks, so neither decoder needs a
		// block row the other makes.
		split := C.int(int(float64(h)*splitAt) &^ 7)
		if split < 8 {
			split = 8
		}
		done := make(chan struct{})
		go func() { run(&bottom, split, h); close(done) }()
		run(&top, 0, split)
		// Wait for the other decoder whatever happened here: it writes into m.
		<-done
	}
	runtime.KeepAlive(data)
	// The bottom decoder read the whole file (the top's data skipped, not
	// unread); its verdict comes first.
	for _, r := range []*jpegRun{&bottom, &top} {
		if e := r.err(); e != nil {
			m.Close()
			return gocv.Mat{}, false, e
		}
	}
	if top.code != 0 || bottom.code != 0 {
		m.Close()
		return gocv.Mat{}, false, nil
	}
	return m, true, nil
}
