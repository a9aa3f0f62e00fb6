// Package resultstest makes synthetic, plausible simulation results for
// tests of the packages that write, read and render them: a run over the
// default six-site embassy network with nodes, clients, a timeline of
// kills, a partition, a degraded link, a DDoS and a Byzantine node, a few
// hundred operations whose outcomes follow from who is reachable, samples
// and traffic. Nothing is simulated: the figures are drawn from the seed
// by a toy model. The same options give the same Run.
package resultstest

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/dataembassy/embassy/sim/results"
)

// Options shape a synthetic run; zero fields take the defaults.
type Options struct {
	Seed      uint64            // default 1
	Nodes     int               // default 7, at least 1
	Threshold int               // default 4
	Ops       int               // default 500
	Duration  time.Duration     // default 1h; the timeline scales with it
	Interval  time.Duration     // sampling interval, default Duration/360
	Scenario  string            // default "synthetic"
	Params    map[string]string // copied into the Run
	Dir       string            // copied into the Run
}

var sites = []results.Site{
	{ID: "tallinn", City: "Tallinn", Country: "EE", Lat: 59.4370, Lon: 24.7536},
	{ID: "luxembourg", City: "Luxembourg", Country: "LU", Lat: 49.6116, Lon: 6.1319},
	{ID: "frankfurt", City: "Frankfurt am Main", Country: "DE", Lat: 50.1109, Lon: 8.6821},
	{ID: "helsinki", City: "Helsinki", Country: "FI", Lat: 60.1699, Lon: 24.9384},
	{ID: "stockholm", City: "Stockholm", Country: "SE", Lat: 59.3293, Lon: 18.0686},
	{ID: "washington", City: "Washington", Country: "US", Lat: 38.9072, Lon: -77.0369},
}

// rtts in microseconds, in the order of the pairs of sites (i < j).
var rtts = []int64{
	53976, 42245, 24460, 16579, 123481,
	39883, 54026, 42930, 116071,
	42677, 32321, 113630,
	16262, 128191,
	116934,
}

func rttBetween(a, b int) time.Duration {
	if a == b {
		return 500 * time.Microsecond
	}
	if a > b {
		a, b = b, a
	}
	k := 0
	for i := range len(sites) {
		for j := i + 1; j < len(sites); j++ {
			if i == a && j == b {
				return time.Duration(rtts[k]) * time.Microsecond
			}
			k++
		}
	}
	panic("unreachable")
}

// window is a span of the timeline during which something holds.
type window struct {
	from, to time.Duration
	node     int      // kill, ddos, byzantine: node index (1-based)
	isolated []string // partition: the sites cut off from the rest
}

// Run makes a synthetic run.
func Run(o Options) results.Run {
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Nodes <= 0 {
		o.Nodes = 7
	}
	if o.Threshold <= 0 {
		o.Threshold = min(4, o.Nodes)
	}
	if o.Ops <= 0 {
		o.Ops = 500
	}
	if o.Duration <= 0 {
		o.Duration = time.Hour
	}
	if o.Interval <= 0 {
		o.Interval = (o.Duration / 360).Truncate(time.Millisecond)
	}
	if o.Scenario == "" {
		o.Scenario = "synthetic"
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	at := func(minutes float64) time.Duration { // a time of the 1-hour timeline, scaled
		return (time.Duration(minutes * float64(time.Minute) * float64(o.Duration) / float64(time.Hour))).Truncate(time.Millisecond)
	}
	r := results.Run{
		Scenario:       o.Scenario,
		Description:    "Synthetic results: the home site is cut off for a while, nodes fail and come back, a link degrades, two attacks.",
		Seed:           o.Seed,
		Duration:       o.Duration,
		Threshold:      o.Threshold,
		SampleInterval: o.Interval,
		Dir:            o.Dir,
		Sites:          slices.Clone(sites),
	}
	if len(o.Params) > 0 {
		r.Params = map[string]string{}
		for k, v := range o.Params {
			r.Params[k] = v
		}
	}
	for i := range sites {
		for j := i; j < len(sites); j++ {
			r.Links = append(r.Links, results.Link{A: sites[i].ID, B: sites[j].ID, RTT: rttBetween(i, j), Bandwidth: 1_000_000_000})
		}
	}
	for i, l := range r.Links {
		if l.A == "frankfurt" && l.B == "washington" {
			r.Links[i].Loss = 0.001
		}
	}
	nodeSite := make([]int, o.Nodes+1)
	for i := 1; i <= o.Nodes; i++ {
		nodeSite[i] = (i - 1) % len(sites)
		r.Nodes = append(r.Nodes, results.Node{Name: nodeName(i), Index: i, Site: sites[nodeSite[i]].ID})
	}
	type client struct {
		results.Client
		site int
	}
	clients := []client{
		{results.Client{Name: "home", Site: "tallinn", Role: "custodian"}, 0},
		{results.Client{Name: "statistics-lu", Site: "luxembourg", Role: "service"}, 1},
		{results.Client{Name: "auditor-us", Site: "washington", Role: "service"}, 5},
	}
	for _, c := range clients {
		r.Clients = append(r.Clients, c.Client)
	}

	// The timeline.
	nd := func(i int) int { return min(i, o.Nodes) }
	var events []results.Event
	action := func(t time.Duration, kind, target string) {
		events = append(events, results.Event{T: t, Type: results.EventAction, Action: kind, Target: target,
			Detail: results.FormatTime(t) + " " + kind + " " + target})
	}
	var kills, ddos, byz, parts []window
	kill := func(n int, from, to time.Duration) {
		kills = append(kills, window{from: from, to: to, node: n})
		action(from, results.ActionKill, nodeName(n))
		action(to, results.ActionRestart, nodeName(n))
	}
	action(at(5), results.ActionDegrade, "frankfurt-washington")
	action(at(15), results.ActionRestore, "frankfurt-washington")
	kill(nd(3), at(10), at(20))
	ddos = append(ddos, window{from: at(20), to: at(30), node: nd(2)})
	action(at(20), results.ActionDDoS, nodeName(nd(2)))
	action(at(30), results.ActionDDoSEnd, nodeName(nd(2)))
	parts = append(parts, window{from: at(25), to: at(40), isolated: []string{"tallinn"}})
	action(at(25), results.ActionPartition, "tallinn | luxembourg frankfurt helsinki stockholm washington")
	action(at(40), results.ActionHeal, "all")
	if o.Nodes >= 6 {
		kill(5, at(30), at(45))
		kill(6, at(30), at(50))
	}
	byz = append(byz, window{from: at(35), to: at(45), node: nd(4)})
	action(at(35), results.ActionByzantine, nodeName(nd(4)))
	action(at(45), results.ActionHonest, nodeName(nd(4)))
	in := func(ws []window, t time.Duration, node int) bool {
		for _, w := range ws {
			if w.node == node && t >= w.from && t < w.to {
				return true
			}
		}
		return false
	}
	cut := func(t time.Duration, a, b string) bool {
		for _, w := range parts {
			if t >= w.from && t < w.to && slices.Contains(w.isolated, a) != slices.Contains(w.isolated, b) {
				return true
			}
		}
		return false
	}
	up := func(t time.Duration) int {
		n := 0
		for i := 1; i <= o.Nodes; i++ {
			if !in(kills, t, i) {
				n++
			}
		}
		return n
	}
	// reachable returns the RTTs to the nodes a client reaches, smallest first.
	reachable := func(t time.Duration, site int) []time.Duration {
		var d []time.Duration
		for i := 1; i <= o.Nodes; i++ {
			if !in(kills, t, i) && !cut(t, sites[site].ID, sites[nodeSite[i]].ID) {
				rtt := rttBetween(site, nodeSite[i])
				if in(ddos, t, i) {
					rtt += 400 * time.Millisecond
				}
				d = append(d, rtt)
			}
		}
		slices.Sort(d)
		return d
	}

	// The workload.
	starts := make([]time.Duration, o.Ops)
	span := max(o.Duration-o.Duration/30, time.Millisecond)
	for i := range starts {
		starts[i] = time.Duration(rng.Int64N(int64(span))).Truncate(time.Microsecond)
	}
	slices.Sort(starts)
	type traffic struct{ out, in, pout, pin, drop int64 }
	endpoints := map[string]*traffic{}
	links := map[[2]int]*traffic{}
	send := func(from, to string, fs, ts int, bytes int64, dropped bool) {
		for _, e := range []string{from, to} {
			if endpoints[e] == nil {
				endpoints[e] = &traffic{}
			}
		}
		l := links[[2]int{fs, ts}]
		if l == nil {
			l = &traffic{}
			links[[2]int{fs, ts}] = l
		}
		p := bytes/1200 + 1
		endpoints[from].out += bytes
		endpoints[from].pout += p
		l.out += bytes
		l.pout += p
		if dropped {
			l.drop += p
			return
		}
		endpoints[to].in += bytes
		endpoints[to].pin += p
		l.in += bytes
		l.pin += p
	}
	for _, start := range starts {
		var c client
		var kind, registry string
		switch x := rng.IntN(20); {
		case x < 12:
			c = clients[rng.IntN(len(clients))]
			kind = results.KindLookup
		case x < 17:
			c = clients[0]
			kind = results.KindIngest
		default:
			c = clients[1+rng.IntN(2)]
			kind = results.KindQuery
		}
		registry = []string{"population", "population", "land", "business"}[rng.IntN(4)]
		rts := reachable(start, c.site)
		op := results.Op{Start: start, Kind: kind, Client: c.Name, Site: c.Client.Site, Registry: registry, Reachable: len(rts), OK: true}
		work := map[string]time.Duration{results.KindLookup: 4 * time.Millisecond, results.KindIngest: 60 * time.Millisecond, results.KindQuery: 900 * time.Millisecond}[kind]
		size := map[string]int64{results.KindLookup: 3_000, results.KindIngest: 250_000, results.KindQuery: 1_500_000}[kind]
		switch {
		case len(rts) < o.Threshold:
			op.OK, op.Reason = false, results.ReasonThreshold
			op.Error = fmt.Sprintf("only %d of the %d nodes needed answered", len(rts), o.Threshold)
			op.Latency = 2 * time.Second
		case rng.IntN(100) == 0:
			op.OK, op.Reason, op.Error = false, results.ReasonTimeout, "context deadline exceeded"
			op.Latency = 10 * time.Second
		case kind == results.KindLookup && in(byz, start, nd(4)) && rng.IntN(4) == 0:
			op.OK, op.Reason, op.Error = false, results.ReasonCorrupt, "share from "+nodeName(nd(4))+" does not match its commitment"
			op.Latency = rts[o.Threshold-1] + work
		default:
			noise := math.Exp(rng.NormFloat64() * 0.25)
			op.Latency = rts[o.Threshold-1] + time.Duration(float64(work)*noise)
		}
		op.Latency = op.Latency.Truncate(time.Microsecond)
		r.Ops = append(r.Ops, op)
		for i := 1; i <= o.Nodes; i++ {
			if in(kills, start, i) {
				continue
			}
			dropped := cut(start, c.Client.Site, sites[nodeSite[i]].ID)
			send(c.Name, nodeName(i), c.site, nodeSite[i], size/int64(o.Nodes)+600, dropped)
			if !dropped {
				send(nodeName(i), c.Name, nodeSite[i], c.site, 2*size/int64(o.Nodes)+900, false)
			}
		}
	}
	for i := range r.Ops {
		op := r.Ops[i]
		events = append(events, results.Event{T: op.Start + op.Latency, Type: results.EventOp, Op: &op})
	}
	slices.SortStableFunc(events, func(a, b results.Event) int { return cmp.Compare(a.T, b.T) })
	r.Events = append([]results.Event{{T: 0, Type: results.EventStart, Detail: "synthetic run, seed " + fmt.Sprint(o.Seed)}}, events...)
	end := max(o.Duration, r.Events[len(r.Events)-1].T)
	r.Events = append(r.Events, results.Event{T: end, Type: results.EventEnd})

	// Samples: operations counted in the interval (T-Interval, T] they
	// finished in.
	type counts struct{ ok, failed int }
	finished := map[[2]int64]*counts{} // (interval number, client index)
	for _, op := range r.Ops {
		end := op.Start + op.Latency
		k := int64((end + o.Interval - 1) / o.Interval)
		ci := slices.IndexFunc(clients, func(c client) bool { return c.Name == op.Client })
		key := [2]int64{k, int64(ci)}
		if finished[key] == nil {
			finished[key] = &counts{}
		}
		if op.OK {
			finished[key].ok++
		} else {
			finished[key].failed++
		}
	}
	for k, t := int64(1), o.Interval; t <= o.Duration; k, t = k+1, t+o.Interval {
		nodesUp := up(t)
		for ci, c := range clients {
			reach := len(reachable(t, c.site))
			s := results.Sample{T: t, Client: c.Name, Site: c.Client.Site, NodesUp: nodesUp, Reachable: reach,
				Threshold: o.Threshold, Margin: reach - o.Threshold}
			if n := finished[[2]int64{k, int64(ci)}]; n != nil {
				s.OK, s.Failed = n.ok, n.failed
			}
			r.Samples = append(r.Samples, s)
		}
	}

	// Traffic, in a fixed order.
	var names []string
	for i := 1; i <= o.Nodes; i++ {
		names = append(names, nodeName(i))
	}
	for _, c := range clients {
		names = append(names, c.Name)
	}
	for _, n := range names {
		t := endpoints[n]
		if t == nil {
			t = &traffic{}
		}
		r.Traffic = append(r.Traffic, results.Traffic{Scope: results.ScopeEndpoint, Name: n,
			BytesOut: t.out, BytesIn: t.in, PacketsOut: t.pout, PacketsIn: t.pin})
	}
	for a := range sites {
		for b := range sites {
			if t := links[[2]int{a, b}]; t != nil {
				r.Traffic = append(r.Traffic, results.Traffic{Scope: results.ScopeLink, Name: sites[a].ID + ">" + sites[b].ID,
					BytesOut: t.out, BytesIn: t.in, PacketsOut: t.pout, PacketsIn: t.pin, Dropped: t.drop})
			}
		}
	}
	return r
}

func nodeName(i int) string { return "node" + fmt.Sprint(i) }

// Sweep makes one synthetic run per combination of node counts and
// thresholds (thresholds above the node count skipped), with Params and
// Dir set as a sweep's runs have them.
func Sweep(seed uint64, nodes, thresholds []int) []results.Run {
	var runs []results.Run
	for _, n := range nodes {
		for _, t := range thresholds {
			if t > n {
				continue
			}
			p := map[string]string{"nodes": fmt.Sprint(n), "threshold": fmt.Sprint(t)}
			dir := fmt.Sprintf("run-%03d-nodes=%d-threshold=%d", len(runs)+1, n, t)
			runs = append(runs, Run(Options{Seed: seed, Nodes: n, Threshold: t, Params: p, Dir: dir}))
		}
	}
	return runs
}
