package run_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dataembassy/embassy/sim/results"
)

// lossy is small with loss and jitter on two of its links: a packet lost
// in one run and not in the other would change every later retransmission
// and timeout, so it shows any difference at once.
const lossy = small + `
topology:
  links:
    - {between: [tallinn, luxembourg], loss: 1%, jitter: 3ms}
    - {between: [tallinn, frankfurt], loss: 1%}
`

// resultFiles are the files results.Write writes, compared byte for byte.
var resultFiles = []string{"events.jsonl", "ops.csv", "availability.csv", "traffic.csv", "run.json"}

// TestSameSeedSameRun runs a scenario twice with the same seed and
// writes both runs' results: every file must be byte-identical,
// latencies and byte counts included (docs/sim.md, "Determinism").
func TestSameSeedSameRun(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("runs scenarios twice: not under -race or -short (./scripts/test runs it without -race)")
	}
	for _, tc := range []struct{ name, text string }{{"small", small}, {"lossy", lossy}} {
		t.Run(tc.name, func(t *testing.T) {
			s := load(t, tc.text)
			var dirs [2]string
			var runs [2]results.Run
			for i := range dirs {
				runs[i], _ = runScenario(t, s)
				dirs[i] = filepath.Join(t.TempDir(), "results")
				if err := results.Write(dirs[i], runs[i]); err != nil {
					t.Fatal(err)
				}
			}
			if len(runs[0].Ops) < 100 || len(runs[0].Traffic) == 0 {
				t.Fatalf("%d operations, %d traffic rows: too little to compare", len(runs[0].Ops), len(runs[0].Traffic))
			}
			for _, f := range resultFiles {
				a, err := os.ReadFile(filepath.Join(dirs[0], f))
				if err != nil {
					t.Fatal(err)
				}
				b, err := os.ReadFile(filepath.Join(dirs[1], f))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(a, b) {
					t.Errorf("%s differs between two runs with seed %d:\n%s", f, s.Seed, firstDiff(string(a), string(b)))
				}
			}
		})
	}
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
