package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/dataembassy/embassy/node"
)

func runNode(ctx context.Context, e env, args []string) error {
	if len(args) > 0 && args[0] == "releases" {
		return nodeReleases(e, args[1:])
	}
	fs := newFlags(e, "node", "node --config FILE | node releases --data-dir DIR [--json]", `
Run one embassy node in the foreground until SIGINT or SIGTERM. The node
loads its key and the custodian-signed roster, opens its Badger store,
listens on TCP (Noise) and QUIC, admits only the roster's peers, and hands
off parcels it holds for nodes that were down. With status_addr set it
serves /healthz, /status and /metrics over HTTP. Logs go to standard error.
"node releases" lists a stopped node's key-switch share releases.`)
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

// releaseJSON is one line of "node releases --json".
type releaseJSON struct {
	Digest string `json:"digest"` // hex of thhe.CiphertextDigest
	Label  string `json:"label"`
	Time   string `json:"time"` // RFC 3339, UTC, nanoseconds
}

func nodeReleases(e env, args []string) error {
	fs := newFlags(e, "node releases", "node releases --data-dir DIR [--json]", `
List the key-switch shares a stopped node has released, from its durable
once-per-ciphertext record in DIR (the node's data_dir), oldest first: the
ciphertext's digest (hex), when the release was recorded, and its label
("query <id> attempt <n> result <i>"). Nothing in DIR is changed. A node
releases at most one share per ciphertext, so no digest repeats. Fails
while the node runs (its store is locked). With --json: one object
{"digest", "label", "time"} per line.`)
	dataDir := fs.String("data-dir", "", "the node's data directory (data_dir of its config)")
	asJSON := fs.Bool("json", false, "print one JSON object per release")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dataDir == "" {
		return usageErr("--data-dir is required")
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	if _, err := os.Stat(*dataDir); err != nil {
		return withCode(exitUsage, err)
	}
	rs, err := node.ReadReleases(*dataDir)
	if err != nil {
		hint := "is the node still running?"
		// Badger does not wrap its error (ErrTruncateNeeded) with %w.
		if strings.Contains(err.Error(), "truncate required") {
			hint = "the node did not stop cleanly (killed?): start it and stop it once so that it recovers its store, then list again"
		}
		return fmt.Errorf("%s: %w (%s)", *dataDir, err, hint)
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		for _, r := range rs {
			if err := enc.Encode(releaseJSON{Digest: hex.EncodeToString(r.Digest[:]), Label: r.Label,
				Time: r.Time.UTC().Format(time.RFC3339Nano)}); err != nil {
				return err
			}
		}
		return nil
	}
	for _, r := range rs {
		fmt.Fprintf(e.stdout, "%x  %s  %s\n", r.Digest, r.Time.UTC().Format(time.RFC3339Nano), r.Label)
	}
	if len(rs) == 1 {
		fmt.Fprintln(e.stderr, "1 release")
	} else {
		fmt.Fprintf(e.stderr, "%d releases\n", len(rs))
	}
	return nil
}
