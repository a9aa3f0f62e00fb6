package sim_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/sim"
	"github.com/dataembassy/embassy/sim/scenarios"
)

var update = flag.Bool("update", false, "rewrite the expected transcripts in testdata")

// opts are the checks the CLI uses: real registry names and the real
// query compiler.
func opts() sim.Options {
	return sim.Options{
		Registries: registry.BuiltinNames(),
		CheckSQL: func(sql string) error {
			_, err := query.Compile(sql, registry.Builtin())
			return err
		},
	}
}

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./sim -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test ./sim -update rewrites it after review)\n--- got:\n%s--- want:\n%s", path, got, want)
	}
}

func transcript(acts []sim.Action) []byte {
	var b bytes.Buffer
	for _, a := range acts {
		fmt.Fprintln(&b, a)
	}
	return b.Bytes()
}

// The six scenarios the issue names are in the library, each with a
// README section, and each validates against the real registries and
// query compiler. Their expanded timelines are checked in under
// testdata/expanded (the expected transcripts).
func TestLibrary(t *testing.T) {
	want := []string{"byzantine-node", "churn", "ddos-two-nodes", "home-cut-off", "luxembourg-lost", "transatlantic-cut"}
	if got := scenarios.Names(); !slices.Equal(got, want) {
		t.Fatalf("library holds %v, want %v", got, want)
	}
	readme, err := os.ReadFile("scenarios/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range want {
		t.Run(name, func(t *testing.T) {
			if !bytes.Contains(readme, []byte("## "+name+"\n")) {
				t.Errorf("scenarios/README.md has no section ## %s", name)
			}
			data, ok := scenarios.Read(name)
			if !ok {
				t.Fatal("not in the library")
			}
			onDisk, err := os.ReadFile(filepath.Join("scenarios", name+".yaml"))
			if err != nil || !bytes.Equal(data, onDisk) {
				t.Fatalf("embedded copy differs from the file: %v", err)
			}
			s, err := sim.Load(data, opts())
			if err != nil {
				var ie *sim.InvalidError
				if errors.As(err, &ie) {
					t.Fatalf("invalid:\n%s", strings.Join(ie.Format(name+".yaml"), "\n"))
				}
				t.Fatal(err)
			}
			if s.Name != name {
				t.Errorf("name %q, want the file's name %q", s.Name, name)
			}
			if s.Description == "" {
				t.Error("no description")
			}
			acts, err := s.Expand()
			if err != nil {
				t.Fatal(err)
			}
			if len(acts) == 0 {
				t.Error("the timeline expands to nothing")
			}
			golden(t, filepath.Join("testdata", "expanded", name+".txt"), transcript(acts))
		})
	}
	if _, ok := scenarios.Read("no-such-scenario"); ok {
		t.Error("Read found a scenario that does not exist")
	}
}

// Same scenario and seed → the same expanded timeline; another seed →
// another one (for a scenario with churn).
func TestExpansionIsDeterministic(t *testing.T) {
	data, _ := scenarios.Read("churn")
	expand := func(o sim.Options) []byte {
		s, err := sim.Load(data, o)
		if err != nil {
			t.Fatal(err)
		}
		acts, err := s.Expand()
		if err != nil {
			t.Fatal(err)
		}
		return transcript(acts)
	}
	first, second := expand(opts()), expand(opts())
	if !bytes.Equal(first, second) {
		t.Fatalf("two expansions differ:\n%s\n---\n%s", first, second)
	}
	o := opts()
	o.Set = []sim.Setting{{Param: "seed", Value: 2025}}
	if other := expand(o); bytes.Equal(first, other) {
		t.Error("seed 2025 gives the same churn as seed 2024")
	}
	o.Set = []sim.Setting{{Param: "seed", Value: 2024}}
	if same := expand(o); !bytes.Equal(first, same) {
		t.Error("setting the file's own seed changed the expansion")
	}
}

// Churn draws failures as a Poisson process: over a long window with no
// cap, the count is near rate × window (deterministic for the seed).
func TestChurnRate(t *testing.T) {
	const doc = `
name: churn-rate
duration: 100h
nodes: {count: 50, threshold: 3}
timeline:
  - at: 0s
    churn: {rate: 60/h, downtime: 1s, max_down: 50}
`
	for seed := uint64(1); seed <= 5; seed++ {
		o := sim.Options{Set: []sim.Setting{{Param: "seed", Value: seed}}}
		s, err := sim.Load([]byte(doc), o)
		if err != nil {
			t.Fatal(err)
		}
		acts, err := s.Expand()
		if err != nil {
			t.Fatal(err)
		}
		kills := 0
		for _, a := range acts {
			if a.Kind == sim.ActKill {
				kills++
			}
		}
		// 6000 expected; 5 standard deviations is ±387.
		if kills < 5600 || kills > 6400 {
			t.Errorf("seed %d: %d failures in 100 h at 60/h", seed, kills)
		}
	}
}

// Churn respects max_down and never fails a node that is already down.
func TestChurnBounds(t *testing.T) {
	const doc = `
name: churn-bounds
duration: 10h
nodes: {count: 4, threshold: 2}
timeline:
  - at: 1h
    kill: node1
  - at: 2h
    restart: node1
  - at: 0s
    churn: {rate: 30/h, downtime: 20m, max_down: 2}
    for: 9h
`
	s, err := sim.Load([]byte(doc), sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	acts, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	down := map[string]bool{}
	churned := 0
	for _, a := range acts {
		switch a.Kind {
		case sim.ActKill:
			if down[a.Node] {
				t.Fatalf("%v: already down", a)
			}
			down[a.Node] = true
			if a.Churn {
				churned++
				if a.Node == "node1" {
					t.Fatalf("%v: churn failed a node another event kills", a)
				}
				if a.At >= 9*60*60*1e9 {
					t.Fatalf("%v: after the churn window", a)
				}
			}
		case sim.ActRestart:
			delete(down, a.Node)
		}
		n := 0
		for node := range down {
			if node != "node1" {
				n++
			}
		}
		if n > 2 {
			t.Fatalf("%v: %d churned nodes down at once, max_down is 2", a, n)
		}
	}
	if churned < 20 {
		t.Errorf("only %d churn failures in 9 h at 30/h", churned)
	}
}

// Every file in testdata/invalid fails, with exactly the problems listed
// in its .errors file (the FILE:LINE: message lines embassy sim validate
// prints).
func TestInvalidScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no invalid scenarios: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = sim.Load(data, opts())
			var ie *sim.InvalidError
			if !errors.As(err, &ie) || !errors.Is(err, sim.ErrInvalid) {
				t.Fatalf("loaded without an *InvalidError: %v", err)
			}
			for _, p := range ie.Problems {
				if p.Pos.Line == 0 {
					t.Errorf("problem without a line: %s", p.Msg)
				}
			}
			golden(t, strings.TrimSuffix(f, ".yaml")+".errors", []byte(strings.Join(ie.Format(name), "\n")+"\n"))
		})
	}
}

func TestAllyChangesAreNotSupported(t *testing.T) {
	const doc = `
name: ally
duration: 1h
nodes: {count: 5, threshold: 3}
timeline:
  - {at: 10m, ally_leaves: luxembourg}
`
	_, err := sim.Load([]byte(doc), sim.Options{})
	if !errors.Is(err, sim.ErrNotSupported) || !strings.Contains(err.Error(), "resharing") {
		t.Errorf("ally_leaves: %v, want ErrNotSupported naming resharing", err)
	}
	_, err = sim.Load([]byte(strings.Replace(doc, "ally_leaves", "kill: node1, x", 1)), sim.Options{})
	if errors.Is(err, sim.ErrNotSupported) {
		t.Errorf("an ordinary mistake matched ErrNotSupported: %v", err)
	}
}

func TestParseSweep(t *testing.T) {
	for _, c := range []struct {
		arg  string
		want string // String() of the sweep, or "" for an error
	}{
		{"nodes=5,7,9", "nodes=5,7,9"},
		{"threshold= 3, 4", "threshold=3,4"},
		{"seed=1", "seed=1"},
		{"nodes", ""},
		{"nodes=", ""},
		{"color=1,2", ""},
		{"nodes=5,x", ""},
		{"nodes=5,5", ""},
		{"nodes=-1", ""},
	} {
		sw, err := sim.ParseSweep(c.arg)
		switch {
		case c.want == "" && !errors.Is(err, sim.ErrBadSweep):
			t.Errorf("%q: %v, %v; want ErrBadSweep", c.arg, sw, err)
		case c.want != "" && (err != nil || sw.String() != c.want):
			t.Errorf("%q: %v, %v; want %s", c.arg, sw, err, c.want)
		}
	}
}

func TestGrid(t *testing.T) {
	ddos, _ := scenarios.Read("ddos-two-nodes")
	sweep := func(args ...string) []sim.Sweep {
		var out []sim.Sweep
		for _, a := range args {
			sw, err := sim.ParseSweep(a)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, sw)
		}
		return out
	}
	runs, err := sim.Grid(ddos, opts(), sweep("nodes=5,7,9", "threshold=3,4,5"))
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, r := range runs {
		labels = append(labels, r.Label())
		if r.Err != nil {
			t.Errorf("%s: %v", r.Label(), r.Err)
			continue
		}
		if got := fmt.Sprintf("nodes=%d threshold=%d", r.Scenario.Nodes.Count, r.Scenario.Nodes.Threshold); got != r.Label() {
			t.Errorf("run %s has %s", r.Label(), got)
		}
		if n := len(r.Scenario.NodeList()); n != r.Scenario.Nodes.Count {
			t.Errorf("%s: %d nodes placed", r.Label(), n)
		}
	}
	if want := "nodes=5 threshold=3,nodes=5 threshold=4,nodes=5 threshold=5,nodes=7 threshold=3,nodes=7 threshold=4,nodes=7 threshold=5,nodes=9 threshold=3,nodes=9 threshold=4,nodes=9 threshold=5"; strings.Join(labels, ",") != want {
		t.Errorf("grid order %v", labels)
	}

	// Invalid combinations come back with their reason.
	runs, err = sim.Grid(ddos, opts(), sweep("nodes=2,5", "threshold=3"))
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].Err == nil || runs[1].Err != nil || runs[0].Label() != "nodes=2 threshold=3" {
		t.Fatalf("nodes=2,5 threshold=3: %+v", runs)
	}
	for _, want := range []string{"threshold 3 is more than the 2 nodes", `no node "node3": the nodes are node1 to node2`} {
		if !strings.Contains(runs[0].Err.Error(), want) {
			t.Errorf("nodes=2: %v\nwant it to say %q", runs[0].Err, want)
		}
	}

	// A scenario that places nodes site by site cannot sweep the count.
	lux, _ := scenarios.Read("luxembourg-lost")
	runs, err = sim.Grid(lux, opts(), sweep("nodes=7"))
	if err != nil || len(runs) != 1 || runs[0].Err == nil || !strings.Contains(runs[0].Err.Error(), "placement: spread") {
		t.Errorf("sweeping nodes of a placed scenario: %v %+v", err, runs)
	}

	// Grids that cannot be formed.
	o := opts()
	o.Set = []sim.Setting{{Param: "seed", Value: 1}}
	for name, c := range map[string]struct {
		o  sim.Options
		sw []sim.Sweep
	}{
		"twice":   {opts(), sweep("nodes=5", "nodes=7")},
		"and set": {o, sweep("seed=1,2")},
		"empty":   {opts(), []sim.Sweep{{Param: "nodes"}}},
		"huge":    {opts(), sweep("seed="+seq(101), "nodes="+seq(101))},
	} {
		if _, err := sim.Grid(ddos, c.o, c.sw); !errors.Is(err, sim.ErrBadSweep) {
			t.Errorf("%s: %v, want ErrBadSweep", name, err)
		}
	}

	// No sweep: the one base run.
	runs, err = sim.Grid(ddos, opts(), nil)
	if err != nil || len(runs) != 1 || runs[0].Err != nil || runs[0].Label() != "base" {
		t.Errorf("no sweep: %v %+v", err, runs)
	}
}

func seq(n int) string {
	vs := make([]string, n)
	for i := range vs {
		vs[i] = fmt.Sprint(i + 1)
	}
	return strings.Join(vs, ",")
}

// The scenario's topology: defaults, overrides and inline sites.
func TestBuildTopology(t *testing.T) {
	const doc = `
name: topo
duration: 1h
topology:
  sites:
    - paris
    - {id: tokyo, country: JP, city: Tokyo, lat: 35.6762, lon: 139.6503}
  defaults: {bandwidth: 100Mbit/s, loss: 0.1%, jitter: 5%}
  links:
    - between: [tallinn, washington]
      rtt: 150ms
      jitter: 3ms
      loss: 0.5%
nodes: {count: 8, threshold: 5}
`
	s, err := sim.Load([]byte(doc), sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	top, err := s.BuildTopology()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(top.Sites()); n != 8 {
		t.Fatalf("%d sites, want the 6 defaults + paris + tokyo", n)
	}
	l, _ := top.Link("washington", "tallinn")
	if l.RTT.Milliseconds() != 150 || l.Jitter.Milliseconds() != 3 || l.Loss != 0.005 || l.Bandwidth != 100_000_000 {
		t.Errorf("tallinn-washington: %+v", l)
	}
	l, _ = top.Link("helsinki", "tokyo")
	if l.Source != "floor" || l.Loss != 0.001 || l.Jitter != l.RTT/20 {
		t.Errorf("helsinki-tokyo: %+v", l)
	}
	var sites []string
	for _, n := range s.NodeList() {
		sites = append(sites, n.Site)
	}
	if got := strings.Join(sites, " "); got != "tallinn luxembourg frankfurt helsinki stockholm washington paris tokyo" {
		t.Errorf("spread placement: %s", got)
	}
	if s.Home != "tallinn" || s.Seed != sim.DefaultSeed || len(s.Workload.Clients) != 1 {
		t.Errorf("defaults: home %q seed %d clients %+v", s.Home, s.Seed, s.Workload.Clients)
	}
}

func FuzzLoad(f *testing.F) {
	for _, name := range scenarios.Names() {
		data, _ := scenarios.Read(name)
		f.Add(data)
	}
	files, _ := filepath.Glob("testdata/invalid/*.yaml")
	for _, p := range files {
		data, _ := os.ReadFile(p)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := sim.Load(data, sim.Options{Registries: []string{"population"}})
		if err != nil {
			var ie *sim.InvalidError
			if !errors.As(err, &ie) || len(ie.Problems) == 0 {
				t.Fatalf("error is not an *InvalidError with problems: %v", err)
			}
			_ = ie.Format("f.yaml")
			return
		}
		acts, err := s.Expand()
		if err != nil {
			t.Fatalf("valid scenario does not expand: %v", err)
		}
		for _, a := range acts {
			if a.At < 0 || a.At > s.Duration {
				t.Fatalf("action %v outside the run", a)
			}
		}
		if _, err := s.BuildTopology(); err != nil {
			t.Fatalf("valid scenario has no topology: %v", err)
		}
	})
}
