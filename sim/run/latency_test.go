package run_test

import (
	"slices"
	"testing"
	"time"

	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/sim/results"
	"github.com/dataembassy/embassy/sim/run"
)

// TestLookupLatencyFollowsTopology: a Tallinn client reads from nodes in
// Luxembourg, Frankfurt and Helsinki with t = 3, so every look-up needs
// all three. Each must take at least the third-smallest RTT from Tallinn
// (the largest of the three) plus the modelled processing, and, over
// open connections, not much more: the simulated latencies come from the
// topology, not from anywhere else.
func TestLookupLatencyFollowsTopology(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a scenario")
	}
	s := load(t, `
name: latency
seed: 9
duration: 2m
nodes:
  threshold: 3
  placement: {luxembourg: 1, frankfurt: 1, helsinki: 1}
workload:
  clients: [{name: home, site: tallinn, role: custodian}]
  lookups: {rate: 2/s}
`)
	top, err := s.BuildTopology()
	if err != nil {
		t.Fatal(err)
	}
	var rtts []time.Duration
	var jitter time.Duration
	for _, site := range []string{"luxembourg", "frankfurt", "helsinki"} {
		l, err := top.Link("tallinn", site)
		if err != nil {
			t.Fatal(err)
		}
		rtts = append(rtts, l.RTT)
		jitter = max(jitter, l.Jitter)
	}
	slices.Sort(rtts)
	costs := run.DefaultCosts()
	floor := rtts[2] + costs.Node[protocol.GetID].Base + costs.LookupPerRecord
	// Over an open connection: the RTT, jitter both ways, the request's
	// serialisation and the node's modelled work, with 5 ms to spare.
	ceiling := floor + 2*jitter + 5*time.Millisecond

	out, _ := runScenario(t, s)
	var lat []time.Duration
	for _, op := range out.Ops {
		if op.Kind != results.KindLookup {
			continue
		}
		if !op.OK {
			t.Errorf("look-up at %v failed: %s", op.Start, op.Error)
			continue
		}
		if op.Latency < floor {
			t.Errorf("look-up at %v took %v, less than the third-smallest RTT from Tallinn plus processing (%v)", op.Start, op.Latency, floor)
		}
		lat = append(lat, op.Latency)
	}
	if len(lat) < 100 {
		t.Fatalf("only %d look-ups", len(lat))
	}
	slices.Sort(lat)
	if median := lat[len(lat)/2]; median > ceiling {
		t.Errorf("median look-up %v, above %v (RTT %v + jitter + processing)", median, ceiling, rtts[2])
	}
	t.Logf("RTTs from Tallinn %v; look-ups min %v, median %v, max %v", rtts, lat[0], lat[len(lat)/2], lat[len(lat)-1])
}
