// Command saoyue-scan is the school scan station's client: it watches the
// folder the scanner software writes into (or imports a folder, ZIP or
// multi-page file) and uploads each page to the county. It is pure Go with
// no cgo so it cross-compiles for the Windows PCs schools scan on.
package main

import (
	"flag"
	"fmt"
	"os"
)

var version = "dev"

func main() {
	fs := flag.NewFlagSet("saoyue-scan", flag.ExitOnError)
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: saoyue-scan [-version]\n\nThe scan station client. Scanner drivers (hot folder, SANE, import) and upload arrive with the pipeline.")
		fs.PrintDefaults()
	}
	_ = fs.Parse(os.Args[1:])
	if *showVersion {
		fmt.Println("saoyue-scan", version)
		return
	}
	fs.Usage()
	os.Exit(2)
}
