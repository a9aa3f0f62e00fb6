package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/dataembassy/embassy/node"
)

func runNode(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "node", "node --config FILE", `
Run one embassy node in the foreground until SIGINT or SIGTERM. The node
loads its key and the custodian-signed roster, opens its Badger store,
listens on TCP (Noise) and QUIC, admits only the roster's peers, and hands
off parcels it holds for nodes that were down. With status_addr set it
serves /healthz, /status and /metrics over HTTP. Logs go to standard error.`)
	config := fs.String("config", "", "node configuration file (TOML)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *config == "" {
		return usageErr("--config is required")
	}
	cfg, err := node.LoadConfig(*config)
	if err != nil {
		return withCode(exitUsage, err)
	}
	level, _ := node.ParseLevel(cfg.LogLevel)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.Level(level)}))
	n, err := node.Start(cfg, log)
	if err != nil {
		return err
	}
	return n.Run(ctx)
}
