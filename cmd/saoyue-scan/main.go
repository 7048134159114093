// Command saoyue-scan is the school scan station's client: it takes the
// pages of one bag of answer cards from a scanner (a hot folder the
// scanner's software writes into, SANE on Linux, or files to import), keeps
// them in a local spool, and uploads them to the county, over the county
// server's API with the school's technician token, or straight into the
// bucket and database (--direct). It is pure Go with no cgo, so it
// cross-compiles for the Windows PCs schools scan on. docs/SCANNING.md is
// the technician's guide.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCmd(os.Getenv).ExecuteContext(ctx); err != nil {
		if errors.Is(err, context.Canceled) {
			os.Exit(130)
		}
		fmt.Fprintln(os.Stderr, "saoyue-scan:", err)
		os.Exit(1)
	}
}

func newRootCmd(getenv func(string) string) *cobra.Command {
	o := &options{}
	root := &cobra.Command{
		Use:   "saoyue-scan",
		Short: "扫阅 scan station: scan a bag of answer cards and upload it to the county",
		Long: `saoyue-scan scans one bag (答题卡袋) of answer cards and uploads its pages.

  saoyue-scan watch D:\scans --exam 21 --subject math --school 0101 --room 3 --expected 30
  saoyue-scan sane           --exam 21 --subject math --school 0101 --room 3 --expected 30
  saoyue-scan import bag.zip --exam 21 --subject math --school 0101 --room 3 --expected 30
  saoyue-scan resume         --exam 21 --subject math --school 0101 --room 3

The county server and token come from --server and --token or from
SAOYUE_SCAN_SERVER and SAOYUE_SCAN_TOKEN. Pages are kept in a local spool
until the county has them: if the network drops, nothing is lost, and
'resume' (or running the same command again) sends what is left.`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	o.bindFlags(root, getenv)
	root.AddCommand(newWatchCmd(o), newSANECmd(o), newImportCmd(o), newResumeCmd(o))
	return root
}
