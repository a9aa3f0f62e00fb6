package run_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/dataembassy/embassy/sim"
	"github.com/dataembassy/embassy/sim/bubble"
	"github.com/dataembassy/embassy/sim/run"
)

// BenchmarkScenario runs a 10-minute scenario (look-ups, ingest, one
// query a minute, a kill) at several network sizes and reports virtual
// seconds simulated per wall second.
func BenchmarkScenario(b *testing.B) {
	for _, nodes := range []int{5, 15} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			s, err := sim.Load([]byte(fmt.Sprintf(`
name: bench
seed: 1
duration: 10m
nodes: {count: %d, threshold: %d}
workload:
  clients:
    - {name: home, site: tallinn, role: custodian}
    - {name: stats, site: frankfurt, role: service}
  ingest: {rate: 2/s, batch: 100}
  lookups: {rate: 2/s}
  queries: {rate: 1/min, mix: [{sql: "SELECT county, COUNT(*) FROM population GROUP BY county"}]}
timeline:
  - {at: 5m, kill: node2, for: 2m}
`, nodes, nodes/2+1)), sim.Options{})
			if err != nil {
				b.Fatal(err)
			}
			var virtual time.Duration
			start := time.Now()
			for b.Loop() {
				dir := b.TempDir()
				err := bubble.Run(func(t *testing.T) error {
					_, err := run.InBubble(t.Context(), t, s, run.Options{Dir: dir})
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				virtual += s.Duration
			}
			b.ReportMetric(virtual.Seconds()/time.Since(start).Seconds(), "virtual-s/wall-s")
		})
	}
}
