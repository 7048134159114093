package omr

/*
#include <malloc.h>

static void keepFreedMemory(void) {
	// Serve large blocks from the heap and never give freed memory back.
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
}
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
