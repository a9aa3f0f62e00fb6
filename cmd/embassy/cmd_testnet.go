package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dataembassy/embassy/testnet"
)

func runTestnet(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return usageErr("testnet needs a subcommand: init, up, down or status")
	}
	switch args[0] {
	case "init":
		return testnetInit(e, args[1:])
	case "up":
		return testnetUp(e, args[1:])
	case "down":
		return testnetDown(e, args[1:])
	case "status":
		return testnetStatus(e, args[1:])
	}
	return usageErr("unknown testnet subcommand %q: want init, up, down or status", args[0])
}

func testnetInit(e env, args []string) error {
	fs := newFlags(e, "testnet init", "testnet init --dir DIR [--nodes N] [--threshold T]", `
Create a local network in DIR: a key per node, the custodian's and one
service's keys (its policy allows every registry and field, k = 10), a
query coordinator (DIR/coordinator), the network secret for pseudonyms, a
custodian-signed roster (roster.json), nodeK/config.toml for every node and
client.toml for ingest, get, delete (as the custodian) and query (as the
service, through the coordinator). Ports on 127.0.0.1 are chosen free. DIR must be
empty or absent; nothing is written if anything fails.`)
	dir := fs.String("dir", "", "directory to create")
	nodes := fs.Int("nodes", 5, "number of nodes n")
	threshold := fs.Int("threshold", 3, "nodes t needed to read a record")
	heParams := fs.String("he-params", "production", "threshold-HE parameters: production, or test (fast, NOT SECURE)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return usageErr("--dir is required")
	}
	if err := testnet.Init(*dir, testnet.Options{Nodes: *nodes, Threshold: *threshold, HEParams: *heParams}); err != nil {
		return withCode(exitUsage, err)
	}
	fmt.Fprintf(e.stdout, "testnet of %d nodes (threshold %d) in %s\nnext: embassy testnet up --dir %s\n",
		*nodes, *threshold, *dir, *dir)
	return nil
}

// nodeList is a --node flag: repeatable, or comma-separated.
type nodeList []int

func (l *nodeList) String() string { return fmt.Sprint([]int(*l)) }
func (l *nodeList) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		k, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil {
			return fmt.Errorf("node number %q: %w", part, err)
		}
		*l = append(*l, k)
	}
	return nil
}

func testnetUp(e env, args []string) error {
	fs := newFlags(e, "testnet up", "testnet up --dir DIR [--node K]...", `
Start the testnet's nodes (or only those named by --node) as background
processes: pid in DIR/nodeK/node.pid, log appended to DIR/nodeK/node.log.
Without --node the query coordinator starts too (DIR/coordinator). Nodes
already running are left alone. Waits until every node listens.`)
	dir := fs.String("dir", "", "testnet directory")
	var only nodeList
	fs.Var(&only, "node", "node number to start (repeatable or comma-separated; default all)")
	wait := fs.Duration("wait", 20*time.Second, "how long to wait for each node to listen")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return usageErr("--dir is required")
	}
	if _, err := testnet.Select(*dir, only); err != nil {
		return withCode(exitUsage, err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	st, err := testnet.Up(*dir, self, only, *wait)
	for _, s := range st {
		fmt.Fprintf(e.stdout, "node%d running (pid %d), log %s\n", s.Node, s.Pid,
			filepath.Join(testnet.NodeDir(*dir, s.Node), testnet.NodeLog))
	}
	if err != nil || len(only) > 0 || !testnet.HasCoordinator(*dir) {
		return err
	}
	cs, err := testnet.UpCoordinator(*dir, self, *wait)
	if err != nil {
		return err
	}
	api, _ := testnet.CoordinatorAPI(*dir)
	fmt.Fprintf(e.stdout, "coordinator running (pid %d), API http://%s, log %s\n", cs.Pid, api,
		filepath.Join(*dir, testnet.CoordinatorDir, testnet.CoordinatorLog))
	return nil
}

func testnetDown(e env, args []string) error {
	fs := newFlags(e, "testnet down", "testnet down --dir DIR [--node K]...", `
Stop the testnet's nodes (or only those named by --node; without --node
the coordinator too) with SIGTERM, and SIGKILL after the grace period. Data
stays in DIR/nodeK/data.`)
	dir := fs.String("dir", "", "testnet directory")
	var only nodeList
	fs.Var(&only, "node", "node number to stop (repeatable or comma-separated; default all)")
	grace := fs.Duration("grace", 10*time.Second, "time to wait after SIGTERM before SIGKILL")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return usageErr("--dir is required")
	}
	if len(only) == 0 && testnet.HasCoordinator(*dir) {
		if cs := testnet.DownCoordinator(*dir, *grace); cs.Running {
			fmt.Fprintf(e.stdout, "coordinator stopped (pid %d)\n", cs.Pid)
		}
	}
	st, err := testnet.Down(*dir, only, *grace)
	for _, s := range st {
		if s.Running {
			fmt.Fprintf(e.stdout, "node%d stopped (pid %d)\n", s.Node, s.Pid)
		} else {
			fmt.Fprintf(e.stdout, "node%d was not running\n", s.Node)
		}
	}
	return withCode(exitUsage, err)
}

func testnetStatus(e env, args []string) error {
	fs := newFlags(e, "testnet status", "testnet status --dir DIR", "Show which nodes of the testnet, and whether its coordinator, run.")
	dir := fs.String("dir", "", "testnet directory")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return usageErr("--dir is required")
	}
	ks, err := testnet.Select(*dir, nil)
	if err != nil {
		return withCode(exitUsage, err)
	}
	for _, k := range ks {
		s := testnet.NodeStatus(*dir, k)
		state := "stopped"
		if s.Running {
			state = fmt.Sprintf("running (pid %d)", s.Pid)
		}
		fmt.Fprintf(e.stdout, "node%d %s\n", k, state)
	}
	if testnet.HasCoordinator(*dir) {
		state := "stopped"
		if s := testnet.CoordinatorStatus(*dir); s.Running {
			api, _ := testnet.CoordinatorAPI(*dir)
			state = fmt.Sprintf("running (pid %d), API http://%s", s.Pid, api)
		}
		fmt.Fprintf(e.stdout, "coordinator %s\n", state)
	}
	return nil
}
