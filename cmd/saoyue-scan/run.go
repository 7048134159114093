package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue/scanner"
)

// driver reads pages and hands each to add (which keeps it in sp); bad reports a file that is not
// a usable scan. It returns when the bag is read (or ctx ends).
type driver func(ctx context.Context, sp *scanner.Spool, add func(context.Context, scanner.Image) error, bad func(name string, err error)) error

// runBag scans a bag with the driver into the spool while a Sender uploads
// from the spool, then prints the summary.
func runBag(cmd *cobra.Command, o *options, drive driver) error {
	if err := o.check(); err != nil {
		return err
	}
	ctx := cmd.Context()
	sp, err := o.openSpool()
	if err != nil {
		return err
	}
	defer sp.Close()
	up, closeUp, err := o.uploader(ctx)
	if err != nil {
		return err
	}
	defer closeUp()

	prog := newProgress(cmd.ErrOrStderr(), o, sp)
	defer prog.finish()
	logger := slog.New(slog.NewTextHandler(prog, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sender := &scanner.Sender{Spool: sp, Uploader: up, Logger: logger, OnProgress: prog.update}

	// The sender stops on its own only for a refused token; then scanning
	// stops too: nothing read could be sent.
	sendCtx, cancelSend := context.WithCancel(ctx)
	defer cancelSend()
	scanCtx, cancelScan := context.WithCancel(ctx)
	defer cancelScan()
	done := make(chan struct{})
	var sendErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sendErr = sender.Run(sendCtx, done)
		if sendErr != nil {
			cancelScan()
		}
	}()

	var badMu sync.Mutex
	var bad []string
	scanErr := drive(scanCtx, sp, func(ctx context.Context, im scanner.Image) error {
		_, _, err := sp.Add(im)
		prog.read()
		return err
	}, func(name string, err error) {
		badMu.Lock()
		bad = append(bad, fmt.Sprintf("%s: %v", name, err))
		badMu.Unlock()
		logger.Warn("not a usable scan", "file", name, "err", err)
	})
	close(done)
	if scanErr != nil && !errors.Is(scanErr, context.Canceled) {
		cancelSend() // pages stay in the spool; the summary says so
	}
	wg.Wait()
	prog.finish()
	unfinished := printSummary(cmd.OutOrStdout(), o, sp, bad)
	switch {
	case sendErr != nil && !errors.Is(sendErr, context.Canceled):
		return sendErr
	case scanErr != nil && !errors.Is(scanErr, context.Canceled):
		return scanErr
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return unfinished
}

// printSummary tells the technician, in Chinese, what became of the bag,
// and returns what still needs them: files that were not scans, pages the
// server refused, pages not yet uploaded.
func printSummary(w io.Writer, o *options, sp *scanner.Spool, bad []string) error {
	pages, sent, failed := sp.Counts()
	meta := sp.Meta()
	b := meta.Batch
	fmt.Fprintf(w, "\n%s（批次 %d）\n", b, meta.BatchID)
	if b.Expected > 0 {
		want := b.Expected * o.pagesPerCard
		fmt.Fprintf(w, "  应到    %d 份 = %d 页（每份 %d 页）\n", b.Expected, want, o.pagesPerCard)
		fmt.Fprintf(w, "  已扫描  %d 页 = %.1f 份\n", pages, float64(pages)/float64(o.pagesPerCard))
		switch {
		case pages < want:
			fmt.Fprintf(w, "  缺少    %d 页：请检查进纸器、扫描软件的输出文件夹和卡袋；缺考考生的答题卡也要扫描\n", want-pages)
		case pages > want:
			fmt.Fprintf(w, "  多出    %d 页：可能有答题卡扫了两次，或混入了其他卡袋的答题卡\n", pages-want)
		}
	} else {
		fmt.Fprintf(w, "  已扫描  %d 页（未给出 --expected 应到份数，无法核对）\n", pages)
	}
	fmt.Fprintf(w, "  已上传  %d 页\n", sent)
	var problems []string
	if failed > 0 {
		fmt.Fprintf(w, "  被拒收  %d 页：\n", failed)
		for _, p := range sp.Pages() {
			if p.State == scanner.PageFailed {
				fmt.Fprintf(w, "          %s：%s\n", p.Name, p.Reason)
			}
		}
		problems = append(problems, fmt.Sprintf("%d 页被服务器拒收", failed))
	}
	if left := pages - sent - failed; left > 0 {
		fmt.Fprintf(w, "  待上传  %d 页保存在 %s：能连上县里的服务器后，用相同的卡袋参数运行 saoyue-scan resume\n", left, sp.Dir())
		problems = append(problems, fmt.Sprintf("%d 页尚未上传", left))
	}
	if len(bad) > 0 {
		fmt.Fprintf(w, "  无法读取 %d 个文件：\n", len(bad))
		for _, s := range bad {
			fmt.Fprintf(w, "          %s\n", s)
		}
		problems = append(problems, fmt.Sprintf("%d 个文件无法读取", len(bad)))
	}
	if len(problems) > 0 {
		return fmt.Errorf("卡袋未全部完成：%s", strings.Join(problems, "，"))
	}
	return nil
}
