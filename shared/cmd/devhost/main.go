// Command devhost runs the Function App locally the way the Azure Functions
// host does: it starts the custom handler, serves the HTTP functions on
// 127.0.0.1:7071, polls Azurite for queue triggers, fires timers, offers
// POST /admin/functions/<Name>, and stands in for the Event Grid
// subscription that feeds supplier uploads to the ingest queue. See
// package shared/devhost for the exact behaviour.
//
// Usage (from the repository root, after `go build -o handler ./shared/cmd/handler`):
//
//	go run ./shared/cmd/devhost
//	go run ./shared/cmd/devhost -root dist            # a packaged app
//	curl -X POST localhost:7071/admin/functions/NightlyMaintenance -d '{"input":""}'
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mediaspecs/catalogue/shared/devhost"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := realMain(ctx)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "devhost:", err)
		os.Exit(1)
	}
}

// realMain runs devhost with the process's flags until ctx ends.
func realMain(ctx context.Context) error { return run(ctx, os.Args[1:], os.Stderr) }

// run parses args, builds the host and runs it until ctx ends.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("devhost", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg       devhost.Config
		logFormat = fs.String("log-format", "text", "devhost log format: text or json (to stderr)")
		logLevel  = fs.String("log-level", "info", "devhost log level: debug, info, warn or error")
	)
	fs.StringVar(&cfg.Root, "root", ".", "app root: the folder holding host.json")
	fs.StringVar(&cfg.FunctionsDir, "functions", "", "folder of <Name>/function.json (default <root>/functions, or <root> itself for a packaged dist/)")
	fs.StringVar(&cfg.SettingsFile, "settings", "", "local.settings.json (default <root>/local.settings.json, falling back to local.settings.sample.json)")
	fs.StringVar(&cfg.Handler, "handler", "", "handler executable (default host.json customHandler.description.defaultExecutablePath under <root>)")
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:7071", "listen address")
	fs.StringVar(&cfg.HostVersion, "host-version", devhost.DefaultHostVersion, "host version reported to the handler")
	fs.BoolVar(&cfg.HTTPOnly, "http-only", false, "serve HTTP functions and the admin API only: no queue polling, timers or Event Grid stand-in")
	noEventGrid := fs.Bool("no-eventgrid", false, "disable the Event Grid stand-in")
	fs.StringVar(&cfg.EventGrid.Container, "eventgrid-container", "", "blob container the Event Grid stand-in watches (default app setting SUPPLIER_CONTAINER, else supplier-drop)")
	fs.StringVar(&cfg.EventGrid.Queue, "eventgrid-queue", "", "queue that receives BlobCreated events (default app setting INGEST_QUEUE, else ingest-events)")
	fs.StringVar(&cfg.EventGrid.Connection, "eventgrid-connection", "Storage", "app setting holding the storage connection string for the stand-in")
	fs.StringVar(&cfg.EventGrid.StateFile, "state", "", "Event Grid stand-in state file (default under the system temp dir, mediaspecs-devhost/)")
	fs.DurationVar(&cfg.EventGrid.Interval, "eventgrid-interval", time.Second, "container scan interval")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg.EventGrid.Disabled = *noEventGrid

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch *logFormat {
	case "text":
		cfg.Logger = slog.New(slog.NewTextHandler(stderr, opts))
	case "json":
		cfg.Logger = slog.New(slog.NewJSONHandler(stderr, opts))
	default:
		return fmt.Errorf("-log-format %q: want text or json", *logFormat)
	}

	h, err := devhost.New(cfg)
	if err != nil {
		return fmt.Errorf("devhost.New: %w", err)
	}
	if err := h.Run(ctx); err != nil {
		return fmt.Errorf("devhost.Run: %w", err)
	}
	return nil
}
