package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newDemoCmd(cfg *Config) *cobra.Command {
	var noServe bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole pipeline on fixture data and show the results",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, err := openApp(ctx, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			if noServe {
				return nil
			}
			return a.serve(ctx, cfg.HTTPAddr, func(url string) {
				fmt.Fprintf(cmd.OutOrStdout(), "\nOpen %s to look at the results (Ctrl-C to stop).\n", url)
			})
		},
	}
	cmd.Flags().BoolVar(&noServe, "no-serve", false, "print the results and exit instead of serving them")
	return cmd
}
