package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/saoyue/saoyue/scanner"
)

// progress shows one line: pages read, uploaded, failed, the rate, and
// whether the server is unreachable. The bar's total is the expected pages
// of the bag when the card count is known.
type progress struct {
	mu       sync.Mutex
	bar      *progressbar.ProgressBar
	w        io.Writer
	sp       *scanner.Spool
	last     scanner.Progress
	finished bool
}

func newProgress(w io.Writer, o *options, sp *scanner.Spool) *progress {
	p := &progress{w: w, sp: sp}
	if o.quiet {
		return p
	}
	total := -1
	if o.batch.Expected > 0 {
		total = o.batch.Expected * o.pagesPerCard
	}
	p.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetWidth(24),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionSetDescription("上传 uploading"),
	)
	pages, sent, failed := sp.Counts()
	p.last = scanner.Progress{Read: pages, Uploaded: sent, Failed: failed}
	p.render()
	return p
}

// read counts a page the driver has put into the spool.
func (p *progress) read() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last.Read, _, _ = p.sp.Counts()
	p.render()
}

func (p *progress) update(pr scanner.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last = pr
	p.render()
}

func (p *progress) render() {
	if p.bar == nil || p.finished {
		return
	}
	pr := p.last
	desc := fmt.Sprintf("读 read %d  传 sent %d  败 failed %d  %.1f 页/分 pages/min", pr.Read, pr.Uploaded, pr.Failed, pr.Rate)
	if pr.Offline != "" {
		desc += "  [离线 offline: retrying, pages kept]"
	}
	p.bar.Describe(desc)
	_ = p.bar.Set(pr.Uploaded)
}

// Write lets log lines pass the bar without tearing it.
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil && !p.finished {
		_ = p.bar.Clear()
	}
	n, err := p.w.Write(b)
	p.render()
	return n, err
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil && !p.finished {
		p.render()
		_ = p.bar.Exit()
		fmt.Fprintln(p.w)
	}
	p.finished = true
}
