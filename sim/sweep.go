package sim

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ErrBadSweep is returned for a --sweep that cannot be used.
var ErrBadSweep = errors.New("bad sweep")

// Sweep lists the values one parameter takes across runs.
type Sweep struct {
	Param  string
	Values []uint64
}

func (s Sweep) String() string {
	vs := make([]string, len(s.Values))
	for i, v := range s.Values {
		vs[i] = strconv.FormatUint(v, 10)
	}
	return s.Param + "=" + strings.Join(vs, ",")
}

// ParseSweep reads PARAM=V1,V2,...: PARAM is nodes, threshold or seed;
// the values are whole numbers, none repeated.
func ParseSweep(arg string) (Sweep, error) {
	param, list, ok := strings.Cut(arg, "=")
	param = strings.TrimSpace(param)
	if !ok || list == "" {
		return Sweep{}, fmt.Errorf("%w: %q: want PARAM=V1,V2,... like nodes=5,7,9", ErrBadSweep, arg)
	}
	if !slices.Contains(params, param) {
		return Sweep{}, fmt.Errorf("%w: %q: unknown parameter %q (known: %s)", ErrBadSweep, arg, param, strings.Join(params, ", "))
	}
	sw := Sweep{Param: param}
	for _, f := range strings.Split(list, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
		if err != nil {
			return Sweep{}, fmt.Errorf("%w: %q: %q is not a whole number", ErrBadSweep, arg, f)
		}
		if slices.Contains(sw.Values, v) {
			return Sweep{}, fmt.Errorf("%w: %q: %d is listed twice", ErrBadSweep, arg, v)
		}
		sw.Values = append(sw.Values, v)
	}
	return sw, nil
}

// Run is one point of a sweep's grid: its settings and either the
// scenario with them applied or why that combination cannot run.
type Run struct {
	Settings []Setting
	Scenario *Scenario
	Err      error // an *InvalidError
}

// Label names the run by its settings, e.g. "nodes=5 threshold=3"; a run
// without settings is "base".
func (r Run) Label() string {
	if len(r.Settings) == 0 {
		return "base"
	}
	parts := make([]string, len(r.Settings))
	for i, s := range r.Settings {
		parts[i] = s.String()
	}
	return strings.Join(parts, " ")
}

// Grid loads the scenario once for every combination of the sweeps' values
// (the first sweep varies slowest), each with opts.Set and the
// combination's settings applied. Combinations that do not validate (a
// threshold above the node count, an event naming a node the smaller
// network lacks) come back with Err set; Grid itself fails only for
// sweeps that cannot form a grid: a parameter swept twice or also set by
// opts.Set, or more than MaxRuns runs. Without sweeps the grid is the one
// base run.
func Grid(data []byte, opts Options, sweeps []Sweep) ([]Run, error) {
	seen := map[string]bool{}
	for _, s := range opts.Set {
		seen[s.Param] = true
	}
	total := 1
	for _, sw := range sweeps {
		if seen[sw.Param] {
			return nil, fmt.Errorf("%w: %s is swept twice, or swept and set", ErrBadSweep, sw.Param)
		}
		seen[sw.Param] = true
		if len(sw.Values) == 0 {
			return nil, fmt.Errorf("%w: %s has no values", ErrBadSweep, sw.Param)
		}
		total *= len(sw.Values)
		if total > MaxRuns {
			return nil, fmt.Errorf("%w: the grid has more than %d runs", ErrBadSweep, MaxRuns)
		}
	}
	runs := make([]Run, 0, total)
	combo := make([]int, len(sweeps))
	for {
		settings := make([]Setting, len(sweeps))
		for i, sw := range sweeps {
			settings[i] = Setting{Param: sw.Param, Value: sw.Values[combo[i]]}
		}
		o := opts
		o.Set = append(slices.Clone(opts.Set), settings...)
		s, err := Load(data, o)
		runs = append(runs, Run{Settings: settings, Scenario: s, Err: err})
		// Advance the last sweep fastest.
		i := len(sweeps) - 1
		for ; i >= 0; i-- {
			combo[i]++
			if combo[i] < len(sweeps[i].Values) {
				break
			}
			combo[i] = 0
		}
		if i < 0 {
			return runs, nil
		}
	}
}
