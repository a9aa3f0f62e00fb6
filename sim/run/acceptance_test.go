package run_test

// Acceptance scenarios, in etcd raft's datadriven style: each file under
// sim/testdata/acceptance/*.txt runs short versions of the library
// scenarios (the .yaml beside it) and compares a transcript of what
// happened with the one checked in. The transcript holds what repeats
// from a seed — the timeline, and per phase between timeline actions the
// outcomes of the operations that started in it once clients had time
// to notice the change — and the
// key facts of each scenario, asserted here in Go as well. Rewrite the
// expected transcripts after a deliberate change with
//
//	go test ./sim/run -run TestAcceptance -rewrite

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/dataembassy/embassy/sim"
	"github.com/dataembassy/embassy/sim/results"
)

// settle is how long after a timeline action an operation's outcome may
// still depend on how fast clients notice the change (a client skips a
// node for 3 s after a failure; a QUIC dial to a dead node takes 3 s).
const settle = 10 * time.Second

func TestAcceptance(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("runs the library's short scenarios: not under -race or -short (./scripts/test runs it without -race)")
	}
	datadriven.Walk(t, filepath.Join("..", "testdata", "acceptance"), func(t *testing.T, path string) {
		if !strings.HasSuffix(path, ".txt") {
			t.Skip("not a transcript")
		}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			if d.Cmd != "run" {
				t.Fatalf("unknown command %q", d.Cmd)
			}
			var file string
			d.ScanArgs(t, "scenario", &file)
			data, err := os.ReadFile(filepath.Join("..", "testdata", "acceptance", file))
			if err != nil {
				t.Fatal(err)
			}
			s, err := sim.Load(data, sim.Options{})
			if err != nil {
				t.Fatal(err)
			}
			out, wall := runScenario(t, s)
			t.Logf("%s: %v virtual in %v wall", s.Name, s.Duration, wall)
			var facts []string
			for _, arg := range d.CmdArgs {
				if arg.Key == "fact" {
					for _, v := range arg.Vals {
						facts = append(facts, checkFact(t, v, s, out))
					}
				}
			}
			return transcript(s, out) + strings.Join(facts, "")
		})
	})
}

// phase is the span between two timeline instants.
type phase struct {
	from, to time.Duration
	actions  []string
}

func phases(out results.Run) []phase {
	ps := []phase{{}}
	for _, e := range out.Events {
		switch e.Type {
		case results.EventAction:
			if e.T != ps[len(ps)-1].from {
				ps[len(ps)-1].to = e.T
				ps = append(ps, phase{from: e.T})
			}
			ps[len(ps)-1].actions = append(ps[len(ps)-1].actions, e.Action+" "+e.Target)
		}
	}
	ps[len(ps)-1].to = out.Duration
	return ps
}

// inPhase says whether an operation started in the phase, at least
// settle after it began (the first phase has nothing to settle from).
// The transcript counts these: their start times repeat exactly.
func inPhase(op results.Op, p phase) bool {
	return op.Start >= p.from && op.Start < p.to && (p.from == 0 || op.Start >= p.from+settle)
}

// settled says whether an operation started in the phase and also
// finished inside it: the facts are asserted on these. (Whether an
// operation finishes before the next action depends on its latency,
// which repeats exactly only in a test binary, and not under a DDoS
// squeeze: docs/sim.md, section 8.)
func settled(op results.Op, p phase) bool {
	return inPhase(op, p) && op.Start+op.Latency < p.to
}

func transcript(s *sim.Scenario, out results.Run) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d nodes, t=%d, %v\n", s.Name, len(out.Nodes), out.Threshold, out.Duration)
	for _, p := range phases(out) {
		what := "start"
		if len(p.actions) > 0 {
			what = strings.Join(p.actions, ", ")
		}
		fmt.Fprintf(&b, "%s %s\n", results.FormatTime(p.from), what)
		counts := map[string]int{}
		for _, op := range out.Ops {
			if !inPhase(op, p) {
				continue
			}
			outcome := "ok"
			if !op.OK {
				outcome = op.Reason
			}
			counts[fmt.Sprintf("%s %s reach=%d %s", op.Kind, op.Client, op.Reachable, outcome)]++
		}
		keys := make([]string, 0, len(counts))
		for k := range counts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "  %s ×%d\n", k, counts[k])
		}
	}
	return b.String()
}

// checkFact asserts one named fact about a run and returns its line for
// the transcript.
func checkFact(t *testing.T, name string, s *sim.Scenario, out results.Run) string {
	t.Helper()
	var bad []string
	n := 0
	for _, p := range phases(out) {
		for _, op := range out.Ops {
			if !settled(op, p) {
				continue
			}
			switch name {
			case "lookups-iff-threshold":
				// A settled look-up succeeds exactly when its client reaches
				// at least t nodes, and fails with the threshold error
				// otherwise.
				if op.Kind != results.KindLookup {
					continue
				}
				n++
				want := op.Reachable >= out.Threshold
				if op.OK != want || (!op.OK && op.Reason != results.ReasonThreshold) {
					bad = append(bad, describe(op))
				}
			case "queries-exact":
				// Every settled query whose client reaches t nodes returns
				// the plaintext oracle's answer.
				if op.Kind != results.KindQuery || op.Reachable < out.Threshold {
					continue
				}
				n++
				if !op.OK {
					bad = append(bad, describe(op))
				}
			case "ingest-iff-threshold":
				if op.Kind != results.KindIngest {
					continue
				}
				n++
				if op.OK != (op.Reachable >= out.Threshold) {
					bad = append(bad, describe(op))
				}
			default:
				t.Fatalf("unknown fact %q", name)
			}
		}
	}
	if len(bad) > 0 {
		t.Errorf("%s: fact %s does not hold for %d of %d operations:\n  %s", s.Name, name, len(bad), n,
			strings.Join(bad[:min(len(bad), 10)], "\n  "))
		return fmt.Sprintf("fact %s: FAILS for %d of %d\n", name, len(bad), n)
	}
	if n == 0 {
		t.Errorf("%s: fact %s: no operation to check", s.Name, name)
	}
	return fmt.Sprintf("fact %s: holds\n", name)
}

func describe(op results.Op) string {
	return fmt.Sprintf("%s %s at %s took %v, reach=%d ok=%v %s %s", op.Kind, op.Client, results.FormatTime(op.Start),
		op.Latency, op.Reachable, op.OK, op.Reason, op.Error)
}
