// Command transport is a runnable KubeStellar-style transport controller built on wecforge: it
// renders workload objects for every target WEC of an OCM hub and delivers them as
// ManifestWorks, re-rendering only what an inventory change can affect. See README.md; the
// command itself is package app.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/wecforge/wecforge/examples/transport/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}
