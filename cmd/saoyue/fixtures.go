package main

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/fixtures"
)

func newFixturesCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fixtures",
		Short: "Make test data: synthetic scans of filled answer cards",
	}
	cmd.AddCommand(newFixturesGenCmd())
	return cmd
}

func newFixturesGenCmd() *cobra.Command {
	var (
		templatePath string
		others       []string
		n            int
		seed         uint64
		level        string
		marks        string
		out          string
		workers      int
	)
	cmd := &cobra.Command{
		Use:   "gen --template T.yaml --n N --seed S --level typical --out DIR",
		Short: "Render N filled cards as a scanner returns them, with a ground-truth JSON per image",
		Long: `Renders N candidates' cards of a template as scanned JPEG pages, one
<name>.jpg and <name>.json (the ground truth) per page, into DIR.

Levels: clean (crisp, straight, fully filled marks), typical (a school's
document scanner: small skew, 150-300 dpi, noise, realistic pencil, rare
doubtful marks), hard (skew to 7°, upside-down pages, camera photos, folded
corners, faint marks, erasures, ticks, damaged stickers, blank pages and,
with --other, pages of other templates), photo (phone photos of typical
cards: perspective to 15°, turned to 10°, shadows, vignetting, the desk
around, colour JPEG 80-90). Some typical and hard grey scans are saved as
RGB (R = G = B), as PNG or JPEG. The same seed gives the same files.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if templatePath == "" || out == "" {
				return fmt.Errorf("fixtures gen needs --template and --out")
			}
			if n < 1 {
				return fmt.Errorf("--n must be at least 1, not %d", n)
			}
			t, err := card.Load(templatePath)
			if err != nil {
				return err
			}
			var otherTemplates []*card.Template
			for _, p := range others {
				o, err := card.Load(p)
				if err != nil {
					return err
				}
				otherTemplates = append(otherTemplates, o)
			}
			g, err := fixtures.NewGenerator(t, fixtures.Options{Level: level, Seed: seed, Others: otherTemplates, Marks: marks})
			if err != nil {
				return err
			}
			if workers <= 0 {
				workers = runtime.NumCPU()
			}
			w := cmd.ErrOrStderr()
			start := time.Now()
			var mu sync.Mutex
			last := time.Time{}
			progress := func(done int) {
				mu.Lock()
				defer mu.Unlock()
				if now := time.Now(); done == n || now.Sub(last) > 500*time.Millisecond {
					last = now
					fmt.Fprintf(w, "\r%s %s: %d/%d cards  %.0fs", t.ID, level, done, n, now.Sub(start).Seconds())
				}
			}
			sum, err := fixtures.WriteDir(cmd.Context(), g, n, out, workers, progress)
			fmt.Fprintln(w)
			if err != nil {
				return err
			}
			secs := time.Since(start).Seconds()
			fmt.Fprintf(cmd.OutOrStdout(),
				"%s %s seed %d: %d cards, %d images (%.1f MB) in %s in %.1fs, %.1f images/s; %d pages with doubtful marks, %d blank, %d of other templates\n",
				t.ID, level, seed, sum.Cards, sum.Images, float64(sum.Bytes)/1e6, out, secs, float64(sum.Images)/secs,
				sum.Doubtful, sum.Blank, sum.Other)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&templatePath, "template", "", "card template (YAML)")
	f.StringSliceVar(&others, "other", nil, "templates whose pages turn up as wrong cards at the hard level (repeatable)")
	f.IntVar(&n, "n", 100, "number of cards (candidates); a card of two sides gives two images")
	f.Uint64Var(&seed, "seed", 1, "random seed; the same seed gives the same images")
	f.StringVar(&level, "level", "typical", "degradation level: clean, typical, hard or photo")
	f.StringVar(&marks, "marks", "fills", "mark model: fills, or strokes (candidates' hands, ticks and slashes, damaged stickers)")
	f.StringVar(&out, "out", "", "output directory")
	f.IntVar(&workers, "workers", 0, "parallel workers (default: number of CPUs)")
	return cmd
}
