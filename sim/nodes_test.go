package sim_test

// Real nodes in a bubble: three embassy nodes (node.Start and node.Run,
// their Badger stores, the federation key setup, every protocol handler)
// and a custodian client (client.New over transport.Network) talk over
// simulated QUIC with a fixed latency on every link, inside a
// testing/synctest bubble. This is the node seam (node.Config.NewHost,
// node.Config.Store) that the simulator's run slice builds on.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/dataembassy/embassy/client"
	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/node"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/sim/simhost"
	"github.com/dataembassy/embassy/testnet"
	"github.com/dataembassy/embassy/transport"
	"github.com/marcopolo/simnet"
)

// simAddr is node k's simulated address; the custodian's client is at
// index 0.
func simAddr(k int) string { return fmt.Sprintf("/ip4/10.0.0.%d/udp/4001/quic-v1", k+1) }

// simulatedTestnet lays out an n-node testnet (fast HE parameters) and
// re-signs its roster, as the custodian, with every node at its simulated
// address. It returns the directory.
func simulatedTestnet(t *testing.T, n, threshold int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "net")
	if err := testnet.Init(dir, testnet.Options{Nodes: n, Threshold: threshold, HEParams: "test"}); err != nil {
		t.Fatal(err)
	}
	custodian, err := identity.Load(filepath.Join(dir, testnet.CustodianKey))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, testnet.RosterFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := roster.Open(data, custodian.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	for i := range r.Nodes {
		r.Nodes[i].Addrs = []string{simAddr(r.Nodes[i].Index)}
	}
	signed, err := roster.Sign(r, custodian.SigningKey())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, signed, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// populationRows generates count population rows and the record each key
// must read back as.
func populationRows(t *testing.T, count int, seed uint64) (registry.Schema, []byte, map[string][]byte) {
	t.Helper()
	s, err := registry.Lookup("population")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := registry.Generate(&buf, registry.FormatCSV, s.Name, count, seed); err != nil {
		t.Fatal(err)
	}
	rd, err := registry.NewReader(bytes.NewReader(buf.Bytes()), registry.FormatCSV, s)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if row.Err == nil {
			want[s.Key(row.Record)] = s.EncodeRecord(row.Record)
		}
	}
	if len(want) == 0 {
		t.Fatal("the generator gave no valid rows")
	}
	return s, buf.Bytes(), want
}

// bubbleFigures are what one run in the bubble measured, in virtual time.
type bubbleFigures struct {
	keySetup, ingest, get, total time.Duration
	heapPerNode                  uint64 // bytes, with every node up
}

// runNodesInBubble starts the testnet in dir over simulated QUIC with
// oneWay latency per direction, waits for the federation key setup,
// ingests input as the custodian, reads every key of want back and checks
// it, lets idle virtual time pass, and stops everything.
func runNodesInBubble(t *testing.T, dir string, oneWay, idle time.Duration, s registry.Schema,
	input []byte, want map[string][]byte) (f bubbleFigures) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 11)
		quiet := slog.New(slog.DiscardHandler)
		start := time.Now()

		netw := &simnet.Simnet{LatencyFunc: simnet.StaticLatency(oneWay), Logger: quiet}
		link := simnet.NodeBiDiLinkSettings{
			Downlink: simnet.LinkSettings{BitsPerSecond: 1000 * simnet.Mibps},
			Uplink:   simnet.LinkSettings{BitsPerSecond: 1000 * simnet.Mibps},
		}
		packets := func(a *net.UDPAddr) (net.PacketConn, error) { return netw.NewEndpoint(a, link), nil }
		netw.Start()
		defer netw.Close()

		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)

		count, err := testnet.NodeCount(dir)
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(t.Context())
		var running sync.WaitGroup
		defer running.Wait()
		defer stop()
		nodes := make([]*node.Node, count)
		for k := 1; k <= count; k++ {
			cfg, err := node.LoadConfig(filepath.Join(testnet.NodeDir(dir, k), testnet.NodeConfig))
			if err != nil {
				t.Fatal(err)
			}
			cfg.Listen = []string{simAddr(k)}
			cfg.StatusAddr = "" // a real socket would never let the bubble block
			cfg.NewHost = simhost.Factory(packets)
			cfg.Store.Small = true
			n, err := node.Start(cfg, quiet)
			if err != nil {
				t.Fatalf("node%d: %v", k, err)
			}
			nodes[k-1] = n
			running.Go(func() {
				if err := n.Run(ctx); err != nil {
					t.Errorf("node%d: %v", k, err)
				}
			})
		}

		// The custodian's client, at its own simulated address.
		custodian, err := identity.Load(filepath.Join(dir, testnet.CustodianKey))
		if err != nil {
			t.Fatal(err)
		}
		secret, err := client.LoadSecret(filepath.Join(dir, testnet.NetworkSecret))
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, testnet.RosterFile))
		if err != nil {
			t.Fatal(err)
		}
		r, digest, err := roster.Open(data, custodian.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		g, err := transport.NewGater(r)
		if err != nil {
			t.Fatal(err)
		}
		h, err := simhost.New(transport.HostConfig{Key: custodian.SigningKey(), Gater: g,
			Listen: []string{simAddr(0)}}, packets)
		if err != nil {
			t.Fatal(err)
		}
		nw, err := transport.NewNetwork(h, g, r)
		if err != nil {
			h.Close()
			t.Fatal(err)
		}
		c := client.New(custodian, r, digest, nw, nw.Close, secret, time.Now)
		defer c.Close()

		// The federation key setup (test HE parameters) runs in virtual
		// time: its CPU work is free, its messages take the link latency.
		for setup := time.Now(); ; time.Sleep(10 * time.Millisecond) {
			done := 0
			for _, n := range nodes {
				if _, ok := n.FederationKeysDigest(); ok {
					done++
				}
			}
			if done == count {
				f.keySetup = time.Since(setup)
				break
			}
			if time.Since(setup) > time.Hour {
				t.Fatalf("federation key setup: %d of %d nodes done after an hour of virtual time", done, count)
			}
		}

		begin := time.Now()
		rd, err := registry.NewReader(bytes.NewReader(input), registry.FormatCSV, s)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := c.Ingest(ctx, s, rd, client.IngestOptions{BatchSize: 8})
		f.ingest = time.Since(begin)
		if err != nil || prog.Failed != 0 || prog.Pending != 0 || prog.Stored != len(want) {
			t.Fatalf("ingest: %+v, %v; want %d stored", prog, err, len(want))
		}

		keys := make([]string, 0, len(want))
		for k := range want {
			keys = append(keys, k)
		}
		begin = time.Now()
		got, err := c.Get(ctx, s.Name, keys)
		f.get = time.Since(begin)
		if err != nil {
			t.Fatal(err)
		}
		for _, res := range got {
			if res.Err != nil || !bytes.Equal(res.Record, want[res.Key]) {
				t.Errorf("get %q = %q (%v), want %q", res.Key, res.Record, res.Err, want[res.Key])
			}
		}

		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		f.heapPerNode = (after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc)) / uint64(count)

		time.Sleep(idle) // the nodes tick (hand-off, pruning) in virtual time
		stop()
		running.Wait()
		f.total = time.Since(start)
	})
	return f
}

func TestNodesInBubble(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three nodes and their key setup")
	}
	const (
		oneWay = 20 * time.Millisecond // each direction: RTT 40 ms
		idle   = time.Hour
	)
	dir := simulatedTestnet(t, 3, 2)
	s, input, want := populationRows(t, 20, 5)
	wallStart := time.Now() // outside the bubble: the real clock
	f := runNodesInBubble(t, dir, oneWay, idle, s, input, want)
	wall := time.Since(wallStart)
	t.Logf("virtual: key setup %v, ingest of %d records %v, get %v, whole run %v; wall %v; heap %.1f MiB per node",
		f.keySetup, len(want), f.ingest, f.get, f.total, wall, float64(f.heapPerNode)/(1<<20))

	// A Get asks every node over connections the ingest opened: it
	// cannot take less than one round trip.
	if rtt := 2 * oneWay; f.get < rtt {
		t.Errorf("get took %v of virtual time, less than one round trip (%v)", f.get, rtt)
	}
	if f.total < idle {
		t.Errorf("virtual time %v, want at least %v", f.total, idle)
	}
	if wall >= f.total {
		t.Errorf("wall time %v is not below virtual time %v", wall, f.total)
	}
}
