package sim

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/dataembassy/embassy/sim/topology"
)

// ActionKind is the kind of one step of an expanded timeline.
type ActionKind string

// Steps of an expanded timeline.
const (
	ActKill      ActionKind = "kill"
	ActRestart   ActionKind = "restart"
	ActPartition ActionKind = "partition"
	ActHeal      ActionKind = "heal"
	ActDegrade   ActionKind = "degrade"
	ActRestore   ActionKind = "restore"
	ActDDoS      ActionKind = "ddos"
	ActDDoSEnd   ActionKind = "ddos-end"
	ActByzantine ActionKind = "byzantine"
	ActHonest    ActionKind = "honest"
)

// Action is one step of a scenario's expanded timeline: one node, one
// link or the whole network changes at one instant.
type Action struct {
	At      time.Duration
	Kind    ActionKind
	Node    string     // kill, restart, ddos, ddos-end, byzantine, honest
	Groups  [][]string // partition: every group, the implicit rest last
	Link    [2]string  // degrade, restore
	Change  LinkChange // degrade
	DDoS    DDoSAttack // ddos
	Corrupt []Corrupt  // byzantine
	Line    int        // the timeline entry it comes from
	Churn   bool       // drawn by a churn entry
	seq     int
}

// String renders the action on one line, the form of event logs and of
// the expected transcripts in testdata.
func (a Action) String() string {
	var b strings.Builder
	b.WriteString(formatTime(a.At))
	b.WriteByte(' ')
	b.WriteString(string(a.Kind))
	switch a.Kind {
	case ActKill, ActRestart, ActDDoSEnd, ActHonest:
		b.WriteString(" " + a.Node)
	case ActPartition:
		gs := make([]string, len(a.Groups))
		for i, g := range a.Groups {
			gs[i] = strings.Join(g, " ")
		}
		b.WriteString(" " + strings.Join(gs, " | "))
	case ActDegrade:
		fmt.Fprintf(&b, " %s-%s", a.Link[0], a.Link[1])
		c := a.Change
		if c.RTT != nil {
			fmt.Fprintf(&b, " rtt=%v", *c.RTT)
		}
		if c.Jitter != nil {
			if c.Jitter.Frac != 0 {
				fmt.Fprintf(&b, " jitter=%g%%", c.Jitter.Frac*100)
			} else {
				fmt.Fprintf(&b, " jitter=%v", c.Jitter.Dur)
			}
		}
		if c.Bandwidth != nil {
			fmt.Fprintf(&b, " bandwidth=%s", formatBandwidth(*c.Bandwidth))
		}
		if c.Loss != nil {
			fmt.Fprintf(&b, " loss=%g%%", *c.Loss*100)
		}
	case ActRestore:
		fmt.Fprintf(&b, " %s-%s", a.Link[0], a.Link[1])
	case ActDDoS:
		b.WriteString(" " + a.Node)
		if a.DDoS.Bandwidth != 0 {
			fmt.Fprintf(&b, " bandwidth=%s", formatBandwidth(a.DDoS.Bandwidth))
		}
		if a.DDoS.Flood != 0 {
			fmt.Fprintf(&b, " flood=%s", a.DDoS.Flood)
		}
	case ActByzantine:
		cs := make([]string, len(a.Corrupt))
		for i, c := range a.Corrupt {
			cs[i] = string(c)
		}
		fmt.Fprintf(&b, " %s corrupt=%s", a.Node, strings.Join(cs, ","))
	}
	if a.Churn {
		fmt.Fprintf(&b, "  # churn, line %d", a.Line)
	} else {
		fmt.Fprintf(&b, "  # line %d", a.Line)
	}
	return b.String()
}

// Expand turns a valid scenario's timeline into the list of actions a run
// performs, in time order: events with for get their undo; a list of nodes
// becomes one action per node; churn is drawn from the scenario's seed.
// The same scenario and seed always give the same list. Times are whole
// milliseconds for churn; explicit events keep the times written.
func (s *Scenario) Expand() ([]Action, error) {
	sites, ps := s.sites()
	if err := ps.err(); err != nil {
		return nil, err
	}
	acts, conflicts := expand(s, sites, nil)
	return acts, conflicts.err()
}

// expand builds the actions of the events not in skip and reports the
// events that contradict the state the earlier ones leave (a node killed
// twice, a heal with no partition, overlapping attacks on one target).
func expand(s *Scenario, sites []topology.Site, skip map[int]bool) ([]Action, *problems) {
	ps := &problems{}
	order := make([]int, 0, len(s.Timeline))
	for i := range s.Timeline {
		if !skip[i] {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(s.Timeline[a].At, s.Timeline[b].At) })

	var acts []Action
	add := func(a Action) {
		a.seq = len(acts)
		acts = append(acts, a)
	}
	explicitlyKilled := map[string]bool{}
	var churns []int
	for _, i := range order {
		e := s.Timeline[i]
		base := Action{At: e.At, Line: e.Pos.Line}
		undoAt := e.At + e.For
		switch e.Kind {
		case KindKill, KindRestart:
			kind := ActKill
			if e.Kind == KindRestart {
				kind = ActRestart
			}
			for _, n := range e.Nodes {
				explicitlyKilled[n] = true
				a := base
				a.Kind, a.Node = kind, n
				add(a)
			}
			if e.Kind == KindKill && e.For > 0 {
				for _, n := range e.Nodes {
					add(Action{At: undoAt, Kind: ActRestart, Node: n, Line: base.Line})
				}
			}
		case KindPartition:
			a := base
			a.Kind, a.Groups = ActPartition, fullGroups(e.Groups, sites)
			add(a)
			if e.For > 0 {
				add(Action{At: undoAt, Kind: ActHeal, Line: base.Line})
			}
		case KindHeal:
			a := base
			a.Kind = ActHeal
			add(a)
		case KindDegrade:
			a := base
			a.Kind, a.Link, a.Change = ActDegrade, e.Link, e.Change
			add(a)
			if e.For > 0 {
				add(Action{At: undoAt, Kind: ActRestore, Link: e.Link, Line: base.Line})
			}
		case KindDDoS:
			for _, n := range e.Nodes {
				a := base
				a.Kind, a.Node, a.DDoS = ActDDoS, n, e.DDoS
				add(a)
			}
			if e.For > 0 {
				for _, n := range e.Nodes {
					add(Action{At: undoAt, Kind: ActDDoSEnd, Node: n, Line: base.Line})
				}
			}
		case KindByzantine:
			for _, n := range e.Nodes {
				a := base
				a.Kind, a.Node, a.Corrupt = ActByzantine, n, slices.Clone(e.Corrupt)
				add(a)
			}
			if e.For > 0 {
				for _, n := range e.Nodes {
					add(Action{At: undoAt, Kind: ActHonest, Node: n, Line: base.Line})
				}
			}
		case KindChurn:
			churns = append(churns, i)
		}
	}
	sortActions(acts)
	checkStates(acts, ps)

	// Churn: each entry draws from its own stream of the scenario's seed,
	// in time order, avoiding nodes that other events kill and the
	// downtimes earlier entries drew.
	var allNodes []string
	for _, n := range s.NodeList() {
		allNodes = append(allNodes, n.Name)
	}
	busy := map[string][][2]time.Duration{}
	for _, i := range churns {
		e := s.Timeline[i]
		c := e.Churn
		cands := c.Nodes
		if len(cands) == 0 {
			for _, n := range allNodes {
				if !explicitlyKilled[n] {
					cands = append(cands, n)
				}
			}
			if len(cands) == 0 {
				ps.add(e.Pos, "churn has no node to fail: other events kill or restart every node (list churn.nodes)")
				continue
			}
		} else {
			bad := false
			for _, n := range cands {
				if explicitlyKilled[n] {
					ps.add(e.Pos, "churn.nodes: %s is also killed or restarted by another event; churn fails only nodes nothing else kills", n)
					bad = true
				}
			}
			if bad {
				continue
			}
		}
		if c.Rate <= 0 || c.Downtime <= 0 {
			continue
		}
		maxDown := max(c.MaxDown, 1)
		end := s.Duration
		if e.For > 0 {
			end = e.At + e.For
		}
		rng := rand.New(rand.NewPCG(s.Seed, 0x636875726e<<16|uint64(i)))
		t := e.At
		var mine [][2]time.Duration // this entry's downtimes
		for {
			// Exponential gaps: a Poisson process at c.Rate, in whole ms.
			gap := -math.Log(1-rng.Float64()) / float64(c.Rate)
			ms := math.Ceil(gap * 1000)
			if ms > float64(end-t)/float64(time.Millisecond) {
				break
			}
			t += time.Duration(max(ms, 1)) * time.Millisecond
			if t >= end {
				break
			}
			up := t + c.Downtime
			// This entry's nodes still down at t (t only grows).
			mine = slices.DeleteFunc(mine, func(iv [2]time.Duration) bool { return iv[1] <= t })
			if len(mine) >= maxDown {
				continue
			}
			var free []string
			for _, n := range cands {
				if !overlaps(busy[n], t, up) {
					free = append(free, n)
				}
			}
			if len(free) == 0 {
				continue
			}
			n := free[rng.IntN(len(free))]
			busy[n] = insertInterval(busy[n], t, up)
			mine = append(mine, [2]time.Duration{t, up})
			add(Action{At: t, Kind: ActKill, Node: n, Line: e.Pos.Line, Churn: true})
			if up < s.Duration {
				add(Action{At: up, Kind: ActRestart, Node: n, Line: e.Pos.Line, Churn: true})
			}
		}
	}
	sortActions(acts)
	return acts, ps
}

func sortActions(acts []Action) {
	slices.SortStableFunc(acts, func(a, b Action) int { return cmp.Or(cmp.Compare(a.At, b.At), cmp.Compare(a.seq, b.seq)) })
}

// overlaps reports whether [from, to) meets one of ivs: disjoint
// intervals sorted by start.
func overlaps(ivs [][2]time.Duration, from, to time.Duration) bool {
	// The first interval starting at or after to cannot overlap, nor can
	// any after it; of those before, only the last can reach past from.
	i, _ := slices.BinarySearchFunc(ivs, to, func(iv [2]time.Duration, t time.Duration) int { return cmp.Compare(iv[0], t) })
	return i > 0 && ivs[i-1][1] > from
}

// insertInterval adds [from, to) to ivs, keeping them sorted by start.
func insertInterval(ivs [][2]time.Duration, from, to time.Duration) [][2]time.Duration {
	i, _ := slices.BinarySearchFunc(ivs, from, func(iv [2]time.Duration, t time.Duration) int { return cmp.Compare(iv[0], t) })
	return slices.Insert(ivs, i, [2]time.Duration{from, to})
}

// fullGroups appends the sites in no group as one more group, in the
// topology's order.
func fullGroups(groups [][]string, sites []topology.Site) [][]string {
	out := make([][]string, 0, len(groups)+1)
	in := map[string]bool{}
	for _, g := range groups {
		out = append(out, slices.Clone(g))
		for _, s := range g {
			in[s] = true
		}
	}
	var rest []string
	for _, s := range sites {
		if !in[s.ID] {
			rest = append(rest, s.ID)
		}
	}
	if len(rest) > 0 {
		out = append(out, rest)
	}
	return out
}

// checkStates walks the explicit actions in order and reports those that
// contradict the state the earlier ones leave.
func checkStates(acts []Action, ps *problems) {
	down := map[string]Action{}
	ddos := map[string]Action{}
	byz := map[string]Action{}
	degraded := map[[2]string]Action{}
	var partition *Action
	at := func(a Action) Pos { return Pos{Line: a.Line} }
	linkKey := func(l [2]string) [2]string { return [2]string{min(l[0], l[1]), max(l[0], l[1])} }
	for _, a := range acts {
		switch a.Kind {
		case ActKill:
			if prev, ok := down[a.Node]; ok {
				ps.add(at(a), "kill %s at %v: it is already down (killed at %v, line %d)", a.Node, a.At, prev.At, prev.Line)
				continue
			}
			down[a.Node] = a
		case ActRestart:
			if _, ok := down[a.Node]; !ok {
				ps.add(at(a), "restart %s at %v: it is not down then (restart brings back a killed node)", a.Node, a.At)
				continue
			}
			delete(down, a.Node)
		case ActPartition:
			if partition != nil {
				ps.add(at(a), "partition at %v: the partition from line %d is still in force; heal it first (heal: all, or give it a for)", a.At, partition.Line)
				continue
			}
			p := a
			partition = &p
		case ActHeal:
			if partition == nil {
				ps.add(at(a), "heal at %v: no partition is in force then", a.At)
				continue
			}
			partition = nil
		case ActDegrade:
			k := linkKey(a.Link)
			if prev, ok := degraded[k]; ok {
				ps.add(at(a), "degrade %s-%s at %v: the link is still degraded by line %d; give that one a for", a.Link[0], a.Link[1], a.At, prev.Line)
				continue
			}
			degraded[k] = a
		case ActRestore:
			delete(degraded, linkKey(a.Link))
		case ActDDoS:
			if prev, ok := ddos[a.Node]; ok {
				ps.add(at(a), "ddos %s at %v: the attack from line %d is still on; give that one a for", a.Node, a.At, prev.Line)
				continue
			}
			ddos[a.Node] = a
		case ActDDoSEnd:
			delete(ddos, a.Node)
		case ActByzantine:
			if prev, ok := byz[a.Node]; ok {
				ps.add(at(a), "byzantine %s at %v: it is already Byzantine (line %d)", a.Node, a.At, prev.Line)
				continue
			}
			byz[a.Node] = a
		case ActHonest:
			delete(byz, a.Node)
		}
	}
}
