package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue/store"
)

// newAuditCmd checks the audit log's hash chain (migration 0011).
func newAuditCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "The audit log: verify its hash chain"}
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Recompute every row's hash in seq order; fail naming the first broken row",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := store.SealAudit(cmd.Context(), db); err != nil {
				return err
			}
			n, brk, err := store.VerifyAudit(cmd.Context(), db.Pool)
			if err != nil {
				return err
			}
			if brk != nil {
				return brk
			}
			fmt.Fprintf(cmd.OutOrStdout(), "审计日志完整：%d 条\n", n)
			return nil
		},
	}
	cmd.AddCommand(verify)
	return cmd
}
