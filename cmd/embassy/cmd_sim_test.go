package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dataembassy/embassy/sim/results"
)

func TestSim(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: bad\nduration: 1h\nnodes: {count: 3, threshold: 4}\ntimeline:\n  - at: 2h\n    kill: node1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "results")
	for _, c := range []struct {
		name             string
		args             []string
		code             int
		inStdout, stderr []string
	}{
		{"validate library file", []string{"sim", "validate", "../../sim/scenarios/home-cut-off.yaml"}, exitOK,
			[]string{"home-cut-off.yaml: ok: home-cut-off: 6 sites, 6 nodes (threshold 4), 2h0m0s, seed 42, 3 events → 6 actions"}, nil},
		{"validate by name, seed", []string{"sim", "validate", "churn", "--seed", "9"}, exitOK, []string{"churn.yaml: ok:", "seed 9"}, nil},
		{"flags first", []string{"sim", "validate", "--seed", "9", "churn"}, exitOK, []string{"seed 9"}, nil},
		{"expand", []string{"sim", "validate", "--expand", "transatlantic-cut"}, exitOK,
			[]string{"0:20:00.000 partition washington | tallinn luxembourg frankfurt helsinki stockholm  # line 35"}, nil},
		{"every problem with its line", []string{"sim", "validate", bad}, exitUsage, nil,
			[]string{bad + ":3: nodes.threshold: threshold 4 is more than the 3 nodes", bad + ":5: timeline[1]: at 2h0m0s is not before the end", "2 problems; nothing was run"}},
		{"sweep", []string{"sim", "validate", "ddos-two-nodes", "--sweep", "nodes=5,7,9", "--sweep", "threshold=3,4,5"}, exitOK,
			[]string{"ok: 9 runs (nodes=5,7,9 threshold=3,4,5)"}, nil},
		{"sweep with invalid combinations", []string{"sim", "validate", "ddos-two-nodes", "--sweep", "nodes=2,5", "--sweep", "threshold=3"}, exitOK,
			[]string{"ok: 1 run"}, []string{"ddos-two-nodes.yaml:15: nodes=2 threshold=3: nodes.threshold: threshold 3 is more than the 2 nodes", "1 of 2 runs"}},
		{"sweep with no valid run", []string{"sim", "validate", "ddos-two-nodes", "--sweep", "threshold=8,9"}, exitUsage, nil,
			[]string{"threshold 8 is more than the 7 nodes", "nothing was run"}},
		{"bad sweep", []string{"sim", "validate", "churn", "--sweep", "colour=1"}, exitUsage, nil, []string{`unknown parameter "colour"`}},
		{"run validates first", []string{"sim", "run", bad, "--out", out}, exitUsage, nil, []string{"nothing was run"}},
		{"list", []string{"sim", "list"}, exitOK, []string{"home-cut-off ", "churn ", "ddos-two-nodes ", "luxembourg-lost ", "byzantine-node ", "transatlantic-cut "}, nil},
		{"help", []string{"sim", "--help"}, exitOK, []string{"validate FILE|NAME"}, nil},
		{"no subcommand", []string{"sim"}, exitUsage, nil, []string{"validate FILE, run FILE or list"}},
		{"no file", []string{"sim", "validate"}, exitUsage, nil, []string{"exactly one scenario"}},
		{"missing file", []string{"sim", "validate", filepath.Join(dir, "nope.yaml")}, exitUsage, nil, []string{"no library scenario"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, stdout, stderr)
			}
			for _, want := range c.inStdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			for _, want := range c.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("sim run of a bad scenario created %s: %v", out, err)
	}
}

const tinyScenario = `name: tiny
seed: 3
duration: 1m
nodes: {count: 3, threshold: 2}
workload:
  clients: [{name: home, site: tallinn, role: custodian}]
  lookups: {rate: 1/s}
timeline:
  - {at: 20s, kill: [node2, node3], for: 20s}
`

// TestSimRun runs a tiny scenario and a two-run sweep through the CLI
// and checks the results directories.
func TestSimRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs simulations")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(file, []byte(tinyScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	stdout, stderr, code := runCLI(t, "sim", "run", file, "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, filepath.Join(out, "report.html")) || !strings.Contains(stderr, "1m0s of virtual time") {
		t.Errorf("stdout %q, stderr %q", stdout, stderr)
	}
	r, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, op := range r.Ops {
		if !op.OK {
			failed++
			if op.Reason != results.ReasonThreshold {
				t.Errorf("look-up failed with %s: %s", op.Reason, op.Error)
			}
		}
	}
	if len(r.Ops) < 40 || failed == 0 || failed == len(r.Ops) {
		t.Errorf("%d look-ups, %d failed: want some to fail while two of three nodes are down", len(r.Ops), failed)
	}
	if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
		t.Error(err)
	}

	sweep := filepath.Join(dir, "sweep")
	stdout, stderr, code = runCLI(t, "sim", "run", file, "--sweep", "threshold=1,2", "--out", sweep)
	if code != exitOK {
		t.Fatalf("sweep: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	for _, f := range []string{"sweep.csv", "report.html", "threshold=1/report.html", "threshold=2/run.json"} {
		if _, err := os.Stat(filepath.Join(sweep, f)); err != nil {
			t.Errorf("sweep: %v", err)
		}
	}
}
