package run_test

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dataembassy/embassy/sim/results"
)

// TestSameSeedSameRun runs one scenario twice with the same seed. What
// the seed fixes must repeat exactly: the timeline as applied, every
// operation's start, kind, client, registry, reachability and outcome
// (with its reason), and the availability samples. Latencies and byte
// counts repeat only to within scheduling noise (docs/sim.md,
// "Determinism"): the test reports how far they drifted.
func TestSameSeedSameRun(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("runs a scenario twice: not under -race or -short (./scripts/test runs it without -race)")
	}
	s := load(t, small)
	var runs [2]results.Run
	for i := range runs {
		runs[i], _ = runScenario(t, s)
	}
	for _, part := range []struct {
		name string
		text func(results.Run) string
	}{
		{"timeline", timelineText},
		{"operations", opsText},
		{"availability", samplesText},
	} {
		a, b := part.text(runs[0]), part.text(runs[1])
		if a != b {
			t.Errorf("%s differs between two runs with seed %d:\n%s", part.name, s.Seed, firstDiff(a, b))
		}
		if strings.Count(a, "\n") < 3 {
			t.Errorf("%s: only %q to compare", part.name, a)
		}
	}
	t.Logf("latency drift: at most %v over %d operations", latencyDrift(runs[0], runs[1]), len(runs[0].Ops))
}

func timelineText(r results.Run) string {
	var b strings.Builder
	for _, e := range r.Events {
		if e.Type != results.EventOp {
			fmt.Fprintf(&b, "%d %s %s %s %s\n", e.T, e.Type, e.Action, e.Target, e.Detail)
		}
	}
	return b.String()
}

func sortedOps(r results.Run) []results.Op {
	ops := slices.Clone(r.Ops)
	slices.SortStableFunc(ops, func(a, b results.Op) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Client, b.Client))
	})
	return ops
}

func opsText(r results.Run) string {
	var b strings.Builder
	for _, op := range sortedOps(r) {
		fmt.Fprintf(&b, "%d %s %s %s reach=%d ok=%v %s\n", op.Start, op.Kind, op.Client, op.Registry, op.Reachable, op.OK, op.Reason)
	}
	return b.String()
}

func samplesText(r results.Run) string {
	var buf bytes.Buffer
	_ = results.WriteSamples(&buf, r.Samples)
	return buf.String()
}

func latencyDrift(a, b results.Run) time.Duration {
	oa, ob := sortedOps(a), sortedOps(b)
	var worst time.Duration
	for i := range min(len(oa), len(ob)) {
		d := oa[i].Latency - ob[i].Latency
		worst = max(worst, d, -d)
	}
	return worst
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("%d lines against %d", len(la), len(lb))
}
