package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/dataembassy/embassy/coordinator"
	"github.com/dataembassy/embassy/node"
)

func runCoordinator(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "coordinator", "coordinator --config FILE", `
Run a query coordinator in the foreground until SIGINT or SIGTERM. It
relays services' signed queries to the nodes over libp2p and combines the
nodes' key-switch shares into answers only the service can decrypt; it
holds no secret key and sees no plaintext. HTTP API on http_addr:
POST /v1/queries (a signed query as JSON) and GET /v1/queries/{id}; see
coordinator/openapi.yaml.`)
	config := fs.String("config", "", "coordinator configuration file (TOML)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *config == "" {
		return usageErr("--config is required")
	}
	cfg, err := coordinator.LoadConfig(*config)
	if err != nil {
		return withCode(exitUsage, err)
	}
	level, _ := node.ParseLevel(cfg.LogLevel)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.Level(level)}))
	return coordinator.Serve(ctx, cfg, log, nil)
}
