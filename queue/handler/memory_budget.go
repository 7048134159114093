package handler

import (
	"context"
	"fmt"

	"golang.org/x/sync/semaphore"

	"github.com/saoyue/saoyue/omr"
)

// MemoryBudget is a worker's memory budget for reading pages. A page's image
// says in its header how large it decodes; a 634 KB PNG can claim 632 MB.
// Bounding only the number of pages read at once let six such uploads take
// a worker to 1.14 GB, so each page reserves its cost (omr.Cost) before it
// is decoded and gives it back after. The semaphore serves reservations in
// order: a large page waits for the memory to free, and smaller pages
// behind it wait too, rather than starving it.
type MemoryBudget struct {
	sem   *semaphore.Weighted
	bytes int64
}

// NewMemoryBudget is a budget of the given number of bytes.
func NewMemoryBudget(bytes int64) *MemoryBudget {
	return &MemoryBudget{sem: semaphore.NewWeighted(bytes), bytes: bytes}
}

// reserve waits until the page's cost fits in the budget and reserves it.
// refused is set (a reason for the technician) when the page can never
// fit; an image whose header the reader refuses reserves nothing (its
// reading stops at the header). A nil budget reserves nothing.
func (m *MemoryBudget) reserve(ctx context.Context, data []byte) (release func(), refused string, err error) {
	if m == nil {
		return func() {}, "", nil
	}
	cost, cerr := omr.Cost(data)
	if cerr != nil {
		return func() {}, "", nil
	}
	if cost > m.bytes {
		return nil, fmt.Sprintf("读取该图像需要 %d MB 内存，超过读卡进程的内存上限 %d MB（SAOYUE_READ_MEMORY）；请以较低分辨率重新扫描，或调高该上限", cost>>20, m.bytes>>20), nil
	}
	if err := m.sem.Acquire(ctx, cost); err != nil {
		return nil, "", err
	}
	return func() { m.sem.Release(cost) }, "", nil
}
