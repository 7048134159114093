package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue/card"
)

// newCardCmd prints answer cards and dumps their pixel layout. Neither
// needs the database: a template file is all it takes.
func newCardCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "card",
		Short: "Print answer cards from a template and show their pixel layout",
		Long: `Answer-card templates (docs/TEMPLATES.md) drive both the printed card and the reader.

  saoyue card render --template fixtures/templates/math-a4.yaml --out math.pdf
  saoyue card render --template math.yaml --form B --out math-B.pdf
  saoyue card layout --template fixtures/templates/math-a4.yaml --dpi 200 > layout.json
  saoyue card check  --template math.yaml`,
	}
	cmd.AddCommand(newCardRenderCmd(cfg), newCardLayoutCmd(), newCardCheckCmd())
	return cmd
}

func newCardRenderCmd(cfg *Config) *cobra.Command {
	var tplPath, out, form string
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Write the print-ready PDF of a card, one page per side",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := card.Load(tplPath)
			if err != nil {
				return err
			}
			if form == "" {
				form = t.PrintedForm
			}
			var buf bytes.Buffer
			if err := card.RenderPDFWithOptions(t, &buf, card.RenderOptions{Form: form, Fonts: cfg.Fonts}); err != nil {
				return err
			}
			// Write only a complete PDF: a half-written card must not reach the printer.
			if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
				return fmt.Errorf("write card PDF: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %s %s, %d page(s)\n", out, t.Title, t.Subject, len(t.Pages))
			return nil
		},
	}
	cmd.Flags().StringVar(&tplPath, "template", "", "card template YAML file")
	cmd.Flags().StringVar(&out, "out", "card.pdf", "PDF file to write")
	cmd.Flags().StringVar(&form, "form", "", "booklet form A or B printed in the page codes (default: the template's printed_form)")
	_ = cmd.MarkFlagRequired("template")
	return cmd
}

func newCardLayoutCmd() *cobra.Command {
	var tplPath string
	var dpi float64
	cmd := &cobra.Command{
		Use:   "layout",
		Short: "Print the pixel layout of a card at a scan resolution, as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := card.Load(tplPath)
			if err != nil {
				return err
			}
			doc, err := card.Layout(t, dpi)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(doc)
		},
	}
	cmd.Flags().StringVar(&tplPath, "template", "", "card template YAML file")
	cmd.Flags().Float64Var(&dpi, "dpi", 200, "scan resolution in dots per inch")
	_ = cmd.MarkFlagRequired("template")
	return cmd
}

func newCardCheckCmd() *cobra.Command {
	var tplPath string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Validate a card template and summarise it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := card.Load(tplPath)
			if err != nil {
				return err
			}
			doc, err := card.Layout(t, 25.4)
			if err != nil {
				return err
			}
			groups := map[string]bool{}
			for _, p := range doc.Pages {
				for _, r := range p.Subjective() {
					groups[r.Group] = true
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s：%s %s，%s %s，%d 页，%d 道客观题，%d 个题组：检查通过\n",
				t.ID, t.Title, t.Subject, t.Paper, t.Orientation, len(doc.Pages), len(doc.Items), len(groups))
			return nil
		},
	}
	cmd.Flags().StringVar(&tplPath, "template", "", "card template YAML file")
	_ = cmd.MarkFlagRequired("template")
	return cmd
}
