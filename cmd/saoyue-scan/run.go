package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
	printSummary(cmd.OutOrStdout(), o, sp, bad)
	switch {
	case sendErr != nil && !errors.Is(sendErr, context.Canceled):
		return sendErr
	case scanErr != nil && !errors.Is(scanErr, context.Canceled):
		return scanErr
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return nil
}

func printSummary(w io.Writer, o *options, sp *scanner.Spool, bad []string) {
	pages, sent, failed := sp.Counts()
	meta := sp.Meta()
	b := meta.Batch
	fmt.Fprintf(w, "\n%s (batch %d)\n", b, meta.BatchID)
	if b.Expected > 0 {
		want := b.Expected * o.pagesPerCard
		fmt.Fprintf(w, "  expected  %d cards = %d pages (应到 %d 份, %d pages per card)\n", b.Expected, want, b.Expected, o.pagesPerCard)
		fmt.Fprintf(w, "  scanned   %d pages = %.1f cards\n", pages, float64(pages)/float64(o.pagesPerCard))
		switch {
		case pages < want:
			fmt.Fprintf(w, "  MISSING   %d pages: check the feeder, the scanner's output folder and the bag; absent candidates' cards are scanned too\n", want-pages)
		case pages > want:
			fmt.Fprintf(w, "  EXTRA     %d pages: a card fed twice, or a card from another bag\n", pages-want)
		}
	} else {
		fmt.Fprintf(w, "  scanned   %d pages (no --expected card count to check against)\n", pages)
	}
	fmt.Fprintf(w, "  uploaded  %d pages\n", sent)
	if failed > 0 {
		fmt.Fprintf(w, "  REFUSED   %d pages by the server:\n", failed)
		for _, p := range sp.Pages() {
			if p.State == scanner.PageFailed {
				fmt.Fprintf(w, "            %s: %s\n", p.Name, p.Reason)
			}
		}
	}
	if left := pages - sent - failed; left > 0 {
		fmt.Fprintf(w, "  WAITING   %d pages are kept in %s: run `saoyue-scan resume` with the same bag flags when the county server can be reached\n", left, sp.Dir())
	}
	if len(bad) > 0 {
		fmt.Fprintf(w, "  UNREADABLE %d files:\n", len(bad))
		for _, s := range bad {
			fmt.Fprintf(w, "            %s\n", s)
		}
	}
}
