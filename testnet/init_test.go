package testnet

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dataembassy/embassy/client"
	"github.com/dataembassy/embassy/node"
	"github.com/dataembassy/embassy/roster"
)

func TestInitLaysOutAWorkingNetwork(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	if err := Init(dir, Options{Nodes: 4, Threshold: 2}); err != nil {
		t.Fatal(err)
	}
	ccfg, err := client.LoadConfig(filepath.Join(dir, ClientFile))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := NodeCount(dir); err != nil || n != 4 {
		t.Fatalf("NodeCount = %d, %v", n, err)
	}
	data, err := os.ReadFile(ccfg.RosterFile)
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{} // ports of the roster's addresses and of the status servers
	for k := 1; k <= 4; k++ {
		cfg, err := node.LoadConfig(filepath.Join(NodeDir(dir, k), NodeConfig))
		if err != nil {
			t.Fatalf("node%d config: %v", k, err)
		}
		r, _, err := roster.Open(data, cfg.CustodianPublicKey())
		if err != nil {
			t.Fatalf("node%d cannot verify the roster: %v", k, err)
		}
		if r.N() != 4 || r.Threshold != 2 || len(r.Services) != 1 {
			t.Fatalf("roster: n=%d t=%d services=%d", r.N(), r.Threshold, len(r.Services))
		}
		if len(cfg.Listen) != 2 || cfg.Listen[0] != r.Nodes[k-1].Addrs[0] {
			t.Fatalf("node%d listens on %v, roster says %v", k, cfg.Listen, r.Nodes[k-1].Addrs)
		}
		for _, n := range r.Nodes {
			for _, a := range n.Addrs {
				used[strings.Split(a, "/")[4]] = true
			}
		}
		_, port, err := net.SplitHostPort(cfg.StatusAddr)
		if err != nil || used[port] {
			t.Fatalf("node%d status_addr %q: want a port of its own (%v)", k, cfg.StatusAddr, err)
		}
		used[port] = true
	}
	for _, secret := range []string{CustodianKey, ServiceKey, NetworkSecret, filepath.Join("node1", NodeKey)} {
		st, err := os.Stat(filepath.Join(dir, secret))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", secret, st.Mode().Perm(), err)
		}
	}
}

func TestInitRefusesAndLeavesNothing(t *testing.T) {
	parent := t.TempDir()
	busy := filepath.Join(parent, "busy")
	if err := os.MkdirAll(busy, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(busy, "keep"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		dir  string
		o    Options
		want error
	}{
		{"non-empty directory", busy, Options{Nodes: 3, Threshold: 2}, ErrExists},
		{"threshold above n", filepath.Join(parent, "a"), Options{Nodes: 3, Threshold: 4}, nil},
		{"no nodes", filepath.Join(parent, "b"), Options{Nodes: 0, Threshold: 1}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Init(c.dir, c.o)
			if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
				t.Fatalf("Init = %v, want %v", err, c.want)
			}
		})
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Fatalf("refused Init calls left %d entries in %s", len(entries), parent)
	}
	if entries, _ := os.ReadDir(busy); len(entries) != 1 {
		t.Fatalf("Init changed a non-empty directory")
	}
}
