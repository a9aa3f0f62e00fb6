package report

import (
	"slices"
	"strings"
	"time"

	"github.com/dataembassy/embassy/sim/results"
)

// span is a stretch of the run during which something held.
type span struct {
	from, to time.Duration
	what     string // node name, or the partition's target
}

// action is one timeline step with its number in the report (1-based).
type action struct {
	N      int
	T      time.Duration
	Kind   string
	Target string
	Detail string
}

// story is what the report draws from the event log.
type story struct {
	actions    []action
	kills      []span // node down, from kill to restart (or the end)
	partitions []span // from partition to heal (or the next partition, or the end)
	cutLinks   map[[2]string]bool
	degraded   map[[2]string]bool
	killed     map[string]bool
	attacked   map[string]bool // ddos targets
	byzantine  map[string]bool
	end        time.Duration
}

func pairOf(a, b string) [2]string {
	if a > b {
		a, b = b, a
	}
	return [2]string{a, b}
}

// partitionGroups parses "a b | c d" into site groups.
func partitionGroups(target string) [][]string {
	var gs [][]string
	for _, g := range strings.Split(target, "|") {
		if f := strings.Fields(g); len(f) > 0 {
			gs = append(gs, f)
		}
	}
	return gs
}

func readStory(r results.Run) story {
	st := story{
		cutLinks: map[[2]string]bool{}, degraded: map[[2]string]bool{},
		killed: map[string]bool{}, attacked: map[string]bool{}, byzantine: map[string]bool{},
		end: r.Duration,
	}
	for _, e := range r.Events {
		st.end = max(st.end, e.T)
	}
	siteIDs := make([]string, 0, len(r.Sites))
	for _, s := range r.Sites {
		siteIDs = append(siteIDs, s.ID)
	}
	down := map[string]time.Duration{}
	var downOrder []string
	partOpen := false
	var part span
	closePart := func(t time.Duration) {
		if partOpen {
			part.to = t
			st.partitions = append(st.partitions, part)
			partOpen = false
		}
	}
	for _, e := range r.Events {
		if e.Type != results.EventAction {
			continue
		}
		st.actions = append(st.actions, action{N: len(st.actions) + 1, T: e.T, Kind: e.Action, Target: e.Target, Detail: e.Detail})
		switch e.Action {
		case results.ActionKill:
			if _, ok := down[e.Target]; !ok {
				down[e.Target] = e.T
				downOrder = append(downOrder, e.Target)
			}
			st.killed[e.Target] = true
		case results.ActionRestart:
			if from, ok := down[e.Target]; ok {
				st.kills = append(st.kills, span{from, e.T, e.Target})
				delete(down, e.Target)
				downOrder = slices.DeleteFunc(downOrder, func(n string) bool { return n == e.Target })
			}
		case results.ActionPartition:
			closePart(e.T)
			part, partOpen = span{from: e.T, what: e.Target}, true
			groups := partitionGroups(e.Target)
			group := map[string]int{}
			for i, g := range groups {
				for _, s := range g {
					group[s] = i
				}
			}
			// Sites not named form one more group (the implicit rest).
			for i, a := range siteIDs {
				for _, b := range siteIDs[i+1:] {
					ga, oka := group[a]
					gb, okb := group[b]
					if !oka {
						ga = -1
					}
					if !okb {
						gb = -1
					}
					if ga != gb {
						st.cutLinks[pairOf(a, b)] = true
					}
				}
			}
		case results.ActionHeal:
			closePart(e.T)
		case results.ActionDegrade:
			for _, l := range r.Links {
				if e.Target == l.A+"-"+l.B || e.Target == l.B+"-"+l.A {
					st.degraded[pairOf(l.A, l.B)] = true
				}
			}
		case results.ActionDDoS:
			st.attacked[e.Target] = true
		case results.ActionByzantine:
			st.byzantine[e.Target] = true
		}
	}
	closePart(st.end)
	for _, n := range downOrder {
		st.kills = append(st.kills, span{down[n], st.end, n})
	}
	return st
}
