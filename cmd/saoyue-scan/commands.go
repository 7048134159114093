package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue/scanner"
)

func newWatchCmd(o *options) *cobra.Command {
	var settle, quiet time.Duration
	var stopAtExpected bool
	cmd := &cobra.Command{
		Use:   "watch DIR",
		Short: "Take the scans a scanner's software writes into DIR (the hot folder) and upload them",
		Long: `watch takes each file the scanner's software writes into DIR once it is
complete, in name order (p2 before p10), keeps it in the spool, uploads it,
and moves it into DIR\done (unreadable files into DIR\failed). Stop it
with Ctrl-C when the bag is scanned, or give --stop-at-expected.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBag(cmd, o, func(ctx context.Context, sp *scanner.Spool, add func(context.Context, scanner.Image) error, bad func(string, error)) error {
				want := o.batch.Expected * o.pagesPerCard
				ctx, stop := context.WithCancel(ctx)
				defer stop()
				hf := &scanner.HotFolder{Dir: args[0], Settle: settle, Quiet: quiet, Logger: slog.New(slog.DiscardHandler)}
				err := hf.Run(ctx, func(ctx context.Context, f scanner.File) error {
					images, err := scanner.Decode(f.Name, f.Data)
					if err != nil {
						bad(f.Name, err)
						return fmt.Errorf("%w: %w", scanner.ErrBadFile, err)
					}
					for _, im := range images {
						if err := add(ctx, im); err != nil {
							return err
						}
					}
					if stopAtExpected && want > 0 && len(images) > 0 {
						if pages, _, _ := sp.Counts(); pages >= want {
							stop()
						}
					}
					return nil
				})
				if err == context.Canceled && cmd.Context().Err() == nil {
					return nil // stopped at the expected count
				}
				return err
			})
		},
	}
	cmd.Flags().DurationVar(&settle, "settle", time.Second, "a complete JPEG/PNG/PDF is taken once unchanged this long (on Linux a JPEG/PNG as soon as its writer closes it)")
	cmd.Flags().DurationVar(&quiet, "quiet-time", 10*time.Second, "other files (TIFF, BMP) are taken once unchanged this long")
	cmd.Flags().BoolVar(&stopAtExpected, "stop-at-expected", false, "stop once --expected × --pages-per-card pages are read")
	return cmd
}

func newSANECmd(o *options) *cobra.Command {
	s := &scanner.SANE{}
	cmd := &cobra.Command{
		Use:   "sane",
		Short: "Scan the bag on Linux with SANE (scanimage --batch) and upload it",
		Long: `sane runs scanimage from sane-utils in batch mode: the cards in the feeder
are scanned at 200 dpi grey, both sides, until the feeder is empty, and
each page is uploaded as soon as it is scanned. "scanimage -L" lists the
scanners; "scanimage -d DEVICE -A" lists a scanner's options (its name
for the duplex feeder may differ: --source "ADF Duplex" is common).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBag(cmd, o, func(ctx context.Context, sp *scanner.Spool, add func(context.Context, scanner.Image) error, bad func(string, error)) error {
				s.Logger = slog.New(slog.DiscardHandler)
				_, err := s.Scan(ctx, add)
				return err
			})
		},
	}
	f := cmd.Flags()
	f.StringVarP(&s.Device, "device", "d", "", `SANE device ("scanimage -L"); "test" is SANE's virtual scanner`)
	f.StringVar(&s.Source, "source", "ADF Duplex", "scan source (the scanner's name for its duplex feeder)")
	f.StringVar(&s.Mode, "mode", "Gray", "scan mode")
	f.IntVar(&s.Resolution, "resolution", 200, "dpi")
	f.IntVar(&s.Count, "count", 0, "pages to scan; 0 = until the feeder is empty")
	f.StringArrayVar(&s.Extra, "scanimage-arg", nil, `more scanimage options, one per flag: --scanimage-arg=-x --scanimage-arg=210`)
	return cmd
}

func newImportCmd(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "import PATH",
		Short: "Upload a bag saved by a scanner's software: a folder, a ZIP, or a multi-page TIFF or PDF",
		Long: `import reads PATH in scan order and uploads it:
  a folder   its image files, subfolders too, in name order (p2 before p10)
  a ZIP      its image files in name order
  a TIFF     every page (multi-page TIFFs from the scanner software)
  a PDF      the page images scanner software stores as JPEG; other PDFs
             are rendered with pdftoppm (poppler-utils), on Linux only
  an image   JPEG, PNG, PNM or BMP
Importing the same files again uploads nothing twice.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBag(cmd, o, func(ctx context.Context, sp *scanner.Spool, add func(context.Context, scanner.Image) error, bad func(string, error)) error {
				return scanner.Import(ctx, args[0], add, bad)
			})
		},
	}
}

func newResumeCmd(o *options) *cobra.Command {
	var retryFailed bool
	cmd := &cobra.Command{
		Use:   "resume",
		Short: "Upload what the bag's spool still holds (after the network or server was down)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if retryFailed {
				if err := o.check(); err != nil {
					return err
				}
				sp, err := o.openSpool()
				if err != nil {
					return err
				}
				n, err := sp.RetryFailed()
				sp.Close()
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "%d refused pages will be sent again\n", n)
			}
			return runBag(cmd, o, func(ctx context.Context, sp *scanner.Spool, add func(context.Context, scanner.Image) error, bad func(string, error)) error {
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&retryFailed, "retry-failed", false, "also send again the pages the server refused")
	return cmd
}
