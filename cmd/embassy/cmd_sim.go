package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/sim"
	"github.com/dataembassy/embassy/sim/bubble"
	simreport "github.com/dataembassy/embassy/sim/report"
	"github.com/dataembassy/embassy/sim/results"
	simrun "github.com/dataembassy/embassy/sim/run"
	"github.com/dataembassy/embassy/sim/scenarios"
)

func runSim(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return usageErr("sim needs a subcommand: validate FILE, run FILE or list")
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(e.stdout, simUsage)
		return nil
	case "validate":
		return simValidate(e, args[1:])
	case "run":
		return simRun(ctx, e, args[1:])
	case "list":
		for _, name := range scenarios.Names() {
			data, _ := scenarios.Read(name)
			desc := ""
			if s, err := sim.Parse(data); err == nil {
				desc = strings.TrimSpace(s.Description)
				if i := strings.Index(desc, ". "); i > 0 {
					desc = desc[:i+1]
				}
			}
			fmt.Fprintf(e.stdout, "%-18s %s\n", name, desc)
		}
		return nil
	}
	return usageErr("unknown sim subcommand %q: want validate, run or list", args[0])
}

const simUsage = `Usage: embassy sim SUBCOMMAND

Simulations of embassy networks from scenario files (docs/sim.md).

  validate FILE|NAME   check a scenario; report every problem as FILE:LINE: message
  run FILE|NAME        run a scenario: real nodes over a simulated network, in virtual time
  list                 the scenario library (NAME works wherever FILE does)

Run embassy sim validate --help for the flags.
`

// sweepFlags collects repeated --sweep PARAM=V1,V2 flags.
type sweepFlags []sim.Sweep

func (s *sweepFlags) String() string {
	parts := make([]string, len(*s))
	for i, sw := range *s {
		parts[i] = sw.String()
	}
	return strings.Join(parts, " ")
}

func (s *sweepFlags) Set(v string) error {
	sw, err := sim.ParseSweep(v)
	if err != nil {
		return err
	}
	*s = append(*s, sw)
	return nil
}

// simArgs are the flags validate and run share.
type simArgs struct {
	file   string
	seed   *uint64
	sweeps sweepFlags
	expand bool
	out    string
}

func parseSimArgs(e env, name, synopsis, description string, args []string, withOut bool) (simArgs, error) {
	var a simArgs
	fs := newFlags(e, "sim "+name, synopsis, description)
	seed := fs.Uint64("seed", 0, "random seed (overrides the scenario's)")
	fs.Var(&a.sweeps, "sweep", "PARAM=V1,V2,...: run every combination (nodes, threshold, seed); repeatable")
	if withOut {
		fs.StringVar(&a.out, "out", "", "directory for the results")
	} else {
		fs.BoolVar(&a.expand, "expand", false, "print the expanded timeline (one action a line)")
	}
	// The file may come before or after the flags.
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		a.file, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return a, err
	}
	rest := fs.Args()
	if a.file == "" && len(rest) > 0 {
		a.file, rest = rest[0], rest[1:]
	}
	if a.file == "" || len(rest) > 0 {
		fs.Usage()
		return a, usageErr("sim %s needs exactly one scenario: a file or a library name (embassy sim list)", name)
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "seed" {
			a.seed = seed
		}
	})
	return a, nil
}

// readScenario reads a file, or else the library scenario of that name.
// It returns the name to show in messages.
func readScenario(arg string) ([]byte, string, error) {
	f, err := os.Open(arg)
	if err == nil {
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, sim.MaxFileSize+1))
		if err != nil {
			return nil, "", fmt.Errorf("read %s: %w", arg, err)
		}
		return data, arg, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, "", withCode(exitUsage, err)
	}
	if data, ok := scenarios.Read(strings.TrimSuffix(filepath.Base(arg), ".yaml")); ok && !strings.ContainsRune(arg, os.PathSeparator) {
		return data, strings.TrimSuffix(arg, ".yaml") + ".yaml", nil
	}
	return nil, "", usageErr("no file %s, and no library scenario of that name (%s)", arg, strings.Join(scenarios.Names(), ", "))
}

func simOptions(seed *uint64) sim.Options {
	o := sim.Options{
		Registries: registry.BuiltinNames(),
		CheckSQL: func(sql string) error {
			_, err := query.Compile(sql, registry.Builtin())
			return err
		},
	}
	if seed != nil {
		o.Set = []sim.Setting{{Param: "seed", Value: *seed}}
	}
	return o
}

// checkScenario validates the scenario (every run of its sweep), prints
// each problem as FILE:LINE: message on stderr, and returns the runs that
// can go ahead; it fails with exit code 2 when none can.
func checkScenario(e env, a simArgs) ([]sim.Run, string, error) {
	data, shown, err := readScenario(a.file)
	if err != nil {
		return nil, "", err
	}
	runs, err := sim.Grid(data, simOptions(a.seed), a.sweeps)
	if err != nil {
		return nil, "", withCode(exitUsage, err)
	}
	var ok []sim.Run
	problems := 0
	for _, r := range runs {
		if r.Err == nil {
			ok = append(ok, r)
			continue
		}
		var ie *sim.InvalidError
		if !errors.As(r.Err, &ie) {
			return nil, "", r.Err
		}
		for _, line := range ie.Format(shown) {
			if len(a.sweeps) > 0 {
				// FILE:LINE: nodes=3 threshold=4: message
				if i := strings.Index(line, ": "); i >= 0 {
					line = line[:i] + ": " + r.Label() + line[i:]
				}
			}
			fmt.Fprintln(e.stderr, line)
			problems++
		}
	}
	if len(ok) == 0 {
		what := "problem"
		if problems != 1 {
			what = "problems"
		}
		return nil, shown, withCode(exitUsage, fmt.Errorf("%s: %d %s; nothing was run", shown, problems, what))
	}
	if skipped := len(runs) - len(ok); skipped > 0 {
		fmt.Fprintf(e.stderr, "%s: %d of %d runs of the sweep cannot run (above) and are skipped\n", shown, skipped, len(runs))
	}
	return ok, shown, nil
}

func summary(r sim.Run) string {
	s := r.Scenario
	top, err := s.BuildTopology()
	sites := 0
	if err == nil {
		sites = len(top.Sites())
	}
	acts, _ := s.Expand()
	return fmt.Sprintf("%s: %s, %s (threshold %d), %v, seed %d, %s → %s",
		s.Name, plural(sites, "site"), plural(s.Nodes.Count, "node"), s.Nodes.Threshold, s.Duration, s.Seed,
		plural(len(s.Timeline), "event"), plural(len(acts), "action"))
}

func simValidate(e env, args []string) error {
	a, err := parseSimArgs(e, "validate", "sim validate FILE|NAME [--seed N] [--sweep PARAM=V1,V2,...]... [--expand]", `
Check a scenario file (or a library scenario by name, see embassy sim list)
and report every problem as FILE:LINE: message. With --sweep, check every
combination of the grid; combinations that cannot run (a threshold above
the node count, an event naming a node the smaller network lacks) are
reported and would be skipped. Exit 0 when at least one run can go ahead,
2 when none can.`, args, false)
	if err != nil {
		return err
	}
	runs, shown, err := checkScenario(e, a)
	if err != nil {
		return err
	}
	if len(a.sweeps) == 0 {
		fmt.Fprintf(e.stdout, "%s: ok: %s\n", shown, summary(runs[0]))
	} else {
		fmt.Fprintf(e.stdout, "%s: ok: %s (%s): %s\n", shown, plural(len(runs), "run"), a.sweeps.String(), summary(runs[0]))
	}
	if a.expand {
		for _, r := range runs {
			acts, err := r.Scenario.Expand()
			if err != nil {
				return err
			}
			if len(a.sweeps) > 0 {
				fmt.Fprintf(e.stdout, "# %s\n", r.Label())
			}
			for _, act := range acts {
				fmt.Fprintln(e.stdout, act)
			}
		}
	}
	return nil
}

func simRun(ctx context.Context, e env, args []string) error {
	a, err := parseSimArgs(e, "run", "sim run FILE|NAME [--seed N] [--sweep PARAM=V1,V2,...]... [--out DIR]", `
Run a scenario: the real node, client and coordinator code for every node
of the scenario in this one process, over a simulated network, in virtual
time. The scenario is checked first as by embassy sim validate: a bad
scenario never starts a run. Results go to --out (default
results/NAME): events.jsonl, ops.csv, availability.csv, traffic.csv,
run.json and report.html, which opens in any browser without a network.
With --sweep, every valid run of the grid goes into its own subdirectory
of --out, and --out gets sweep.csv and a report.html comparing the runs.`, args, true)
	if err != nil {
		return err
	}
	runs, shown, err := checkScenario(e, a)
	if err != nil {
		return err
	}
	out := a.out
	if out == "" {
		out = filepath.Join("results", runs[0].Scenario.Name)
	}
	if len(a.sweeps) == 0 {
		res, err := simulate(ctx, e, shown, runs[0])
		if err != nil {
			return err
		}
		if err := simreport.Save(out, res); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s\n", filepath.Join(out, results.FileReport))
		return nil
	}
	var all []results.Run
	for _, r := range runs {
		res, err := simulate(ctx, e, shown, r)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Label(), err)
		}
		res.Params = map[string]string{}
		for _, set := range r.Settings {
			res.Params[set.Param] = strconv.FormatUint(set.Value, 10)
		}
		res.Dir = runDirName(r)
		if err := simreport.Save(filepath.Join(out, res.Dir), res); err != nil {
			return err
		}
		all = append(all, res)
	}
	if err := simreport.SaveSweep(out, all); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s\n", filepath.Join(out, results.FileReport))
	return nil
}

// runDirName names a sweep run's directory by its settings:
// nodes=5,threshold=3.
func runDirName(r sim.Run) string {
	parts := make([]string, len(r.Settings))
	for i, s := range r.Settings {
		parts[i] = s.String()
	}
	if len(parts) == 0 {
		return "base"
	}
	return strings.Join(parts, ",")
}

// simulate runs one scenario in a bubble, with its nodes' stores in a
// scratch directory that is removed afterwards.
func simulate(ctx context.Context, e env, shown string, r sim.Run) (results.Run, error) {
	scratch, err := os.MkdirTemp("", "embassy-sim-*")
	if err != nil {
		return results.Run{}, err
	}
	defer os.RemoveAll(scratch)
	progress := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s := r.Scenario
	fmt.Fprintf(e.stderr, "%s: simulating %s\n", shown, summary(r))
	wall := time.Now()
	var res results.Run
	// Inside the bubble time.Now is virtual: the wall clock comes from a
	// goroutine outside it.
	var wallNanos atomic.Int64
	wallDone := make(chan struct{})
	defer close(wallDone)
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-wallDone:
				return
			case <-tick.C:
				wallNanos.Store(int64(time.Since(wall)))
			}
		}
	}()
	// Ctrl-C: the bubble cannot wait on a channel from outside it (its
	// clock would stop), so it looks at this flag once a virtual second.
	var interrupted atomic.Bool
	defer context.AfterFunc(ctx, func() { interrupted.Store(true) })()
	err = bubble.Run(func(t *testing.T) error {
		runCtx, cancel := context.WithCancel(t.Context())
		var watch sync.WaitGroup
		defer watch.Wait()
		defer cancel()
		watch.Go(func() {
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				select {
				case <-runCtx.Done():
					return
				case <-tick.C:
					if interrupted.Load() {
						cancel()
						return
					}
				}
			}
		})
		var err error
		res, err = simrun.InBubble(runCtx, t, s, simrun.Options{Dir: scratch, Progress: progress,
			Wall: func() time.Duration { return time.Duration(wallNanos.Load()) }})
		if interrupted.Load() {
			return fmt.Errorf("interrupted: %w", context.Canceled)
		}
		return err
	})
	if err != nil {
		if errors.Is(err, bubble.ErrUnsupportedGo) {
			return results.Run{}, fmt.Errorf("%w\n(embassy sim run needs the Go release it was built with checked: build embassy with Go 1.26)", err)
		}
		return results.Run{}, err
	}
	ok, failed := 0, 0
	for _, op := range res.Ops {
		if op.OK {
			ok++
		} else {
			failed++
		}
	}
	fmt.Fprintf(e.stderr, "%s: %v of virtual time in %v of wall time; %d operations, %d failed\n",
		s.Name, s.Duration, time.Since(wall).Round(time.Millisecond), ok+failed, failed)
	return res, nil
}
