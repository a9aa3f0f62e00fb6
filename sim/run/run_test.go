package run_test

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dataembassy/embassy/sim"
	"github.com/dataembassy/embassy/sim/results"
	"github.com/dataembassy/embassy/sim/run"
)

const small = `
name: small
seed: 5
duration: 3m
nodes: {count: 3, threshold: 2}
workload:
  clients:
    - {name: home, site: tallinn, role: custodian}
    - {name: stats, site: luxembourg, role: service}
  ingest: {rate: 5/s, from: home, batch: 20}
  lookups: {rate: 2/s}
  queries:
    rate: 2/min
    mix:
      - {sql: "SELECT county, COUNT(*) FROM population GROUP BY county"}
timeline:
  - {at: 60s, kill: node3, for: 30s}
  - {at: 70s, kill: node2, for: 20s}
`

func load(t *testing.T, text string) *sim.Scenario {
	t.Helper()
	s, err := sim.Load([]byte(text), sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func runScenario(t *testing.T, s *sim.Scenario) (out results.Run, wall time.Duration) {
	t.Helper()
	dir := t.TempDir()
	start := time.Now()
	synctest.Test(t, func(t *testing.T) {
		var err error
		out, err = run.InBubble(t.Context(), t, s, run.Options{Dir: dir, Preload: 50})
		if err != nil {
			t.Fatal(err)
		}
	})
	return out, time.Since(start)
}

// TestSmallScenario runs three nodes with a workload and two kills and
// checks the run's shape: every kind of operation ran, the timeline was
// applied in order, look-ups failed exactly while a single node was up
// (allowing the clients time to notice), and the outputs validate.
func TestSmallScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a scenario")
	}
	s := load(t, small)
	out, wall := runScenario(t, s)
	t.Logf("3m of virtual time in %v of wall time, %d operations", wall, len(out.Ops))
	if err := out.Validate(); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range out.Events {
		if e.Type == results.EventAction {
			actions = append(actions, fmt.Sprintf("%v %s %s", e.T, e.Action, e.Target))
		}
	}
	// Same-instant actions keep the order of the expanded timeline.
	want := []string{"1m0s kill node3", "1m10s kill node2", "1m30s restart node3", "1m30s restart node2"}
	if strings.Join(actions, "; ") != strings.Join(want, "; ") {
		t.Errorf("actions %q, want %q", actions, want)
	}
	count := map[string]int{}
	for _, op := range out.Ops {
		count[op.Kind]++
		both := op.Start >= 70*time.Second && op.Start+op.Latency < 90*time.Second
		calm := op.Start < 60*time.Second || op.Start >= 100*time.Second
		switch {
		case op.Kind != results.KindLookup:
		case both && (op.OK || op.Reason != results.ReasonThreshold):
			t.Errorf("look-up at %v with one node up: ok=%v %s", op.Start, op.OK, op.Error)
		case calm && !op.OK:
			t.Errorf("look-up at %v with every node up failed: %s", op.Start, op.Error)
		}
	}
	for _, k := range []string{results.KindIngest, results.KindLookup, results.KindQuery} {
		if count[k] == 0 {
			t.Errorf("no %s ran", k)
		}
	}
}
