// Command saoyue is the county server: it migrates the database, sets up
// exams from rosters, runs the HTTP server and the queue workers, renders
// cards and runs the demo. main only wires; the work lives in packages.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "saoyue:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	cfg := &Config{}
	root := &cobra.Command{
		Use:           "saoyue",
		Short:         "saoyue (扫阅): answer-card scanning and marking for a county",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, args []string) {
			level := slog.LevelInfo
			if cfg.Debug {
				level = slog.LevelDebug
			}
			slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
		},
	}
	cfg.BindFlags(root.PersistentFlags(), os.Getenv)
	root.AddCommand(
		newMigrateCmd(cfg),
		newExamCmd(cfg),
		newServeCmd(cfg),
		newWorkerCmd(cfg),
		newDemoCmd(cfg),
		newFixturesCmd(cfg),
		newCardCmd(cfg),
		newOMRCmd(cfg),
		newTemplateCmd(cfg),
		newKeyCmd(cfg),
		newExceptionsCmd(cfg),
		newMarkingCmd(cfg),
		newTokenCmd(cfg),
		newReportCmd(cfg),
		newReviewCmd(cfg),
		newUsersCmd(cfg),
		newAuditCmd(cfg),
		newBackupCmd(cfg),
		newRestoreCmd(cfg),
	)
	return root
}
