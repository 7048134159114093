package main

import (
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue/store"
)

func newTokenCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Issue, list and revoke the technician tokens of school scan stations",
		Long: `A technician token lets a school's scan station (saoyue-scan) open that
school's batches and upload their pages, and nothing else.

  saoyue token create --school 0101 --label "一中扫描站"
  saoyue token list
  saoyue token revoke 3

The token is printed once, when it is created: only its SHA-256 is kept.`,
	}
	cmd.AddCommand(newTokenCreateCmd(cfg), newTokenListCmd(cfg), newTokenRevokeCmd(cfg))
	return cmd
}

func newTokenCreateCmd(cfg *Config) *cobra.Command {
	var school, label string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Issue a token for a school's scan station and print it once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if school == "" {
				return fmt.Errorf("say which school the token is for: --school CODE")
			}
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			token, t, err := store.CreateScanToken(cmd.Context(), db.Pool, school, label)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "学校 %s %s 的扫描令牌 %d（%s）：\n\n  %s\n\n", t.SchoolCode, t.SchoolName, t.ID, t.Label, token)
			fmt.Fprintln(out, "请交给该校技术员（saoyue-scan --token 或环境变量 SAOYUE_SCAN_TOKEN）。令牌不再显示。")
			return nil
		},
	}
	cmd.Flags().StringVar(&school, "school", "", "school code the token acts for")
	cmd.Flags().StringVar(&label, "label", "", "what the token is for, e.g. the scan station's name")
	return cmd
}

func newTokenListCmd(cfg *Config) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List issued tokens (never the tokens themselves)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			tokens, err := store.ScanTokens(cmd.Context(), db.Pool)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tSCHOOL\tLABEL\tCREATED\tLAST USED\tREVOKED")
			when := func(t *time.Time) string {
				if t == nil {
					return "-"
				}
				return t.Local().Format("2006-01-02 15:04")
			}
			for _, t := range tokens {
				fmt.Fprintf(w, "%d\t%s %s\t%s\t%s\t%s\t%s\n", t.ID, t.SchoolCode, t.SchoolName, t.Label,
					when(&t.CreatedAt), when(t.LastUsedAt), when(t.RevokedAt))
			}
			return w.Flush()
		},
	}
}

func newTokenRevokeCmd(cfg *Config) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Stop a token from working (a lost or replaced scan station)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("token id %q is not a number: see saoyue token list", args[0])
			}
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := store.RevokeScanToken(cmd.Context(), db.Pool, id); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token %d revoked\n", id)
			return nil
		},
	}
}
