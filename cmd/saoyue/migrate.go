package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue/store"
)

func newMigrateCmd(cfg *Config) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Bring the database schema up to date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := store.Migrate(cfg.DatabaseURL)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "数据库结构已是第 %d 版\n", v)
			return nil
		},
	}
}
