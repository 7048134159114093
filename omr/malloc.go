package omr

/*
#include <malloc.h>

static void keepFreedMemory(void) {
	// Serve large blocks from the heap and never give freed memory back.
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

static void releaseFreedMemory(void) { malloc_trim(0); }
*/
import "C"

// OpenCV allocates and frees a few megabytes of image buffers for every
// page. By default glibc returns freed memory to the kernel (large blocks
// are unmapped, the tops of its per-thread heaps trimmed), so the next
// page's buffers fault in again page by page; on a virtual machine a page
// fault is expensive (a box filter that takes 0.5 ms in reused memory took
// 5 ms in fresh memory here). Kept, the memory is reused: the process's
// resident size settles at its high-water mark and stays flat
// (BenchmarkMemoryFlat).
func init() { C.keepFreedMemory() }

// trimAbove is the cost (decodeCost) of a page after whose reading freed
// memory is given back to the kernel after all. Kept, the buffers of a
// large page stay resident in the arena of the thread that read it, and
// the next large page, read on another thread, allocates its own: a
// worker's resident memory would grow past its read memory with pages
// read one at a time. An ordinary page (12 MB at 200 dpi grey) keeps its
// memory, for speed.
const trimAbove = 64 << 20

func releaseFreedMemory() { C.releaseFreedMemory() }
