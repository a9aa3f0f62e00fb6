package run

import (
	"time"

	"github.com/dataembassy/embassy/sim"
)

// netState is what the timeline has done to the network at one instant:
// which nodes are down and how the sites are partitioned.
type netState struct {
	down  map[string]bool
	group map[string]int // site -> partition group; nil when healed
}

// stateAt replays the expanded timeline up to and including at: the
// reachability figures come from the scenario itself, not from racing
// the goroutine that applies it, so they repeat exactly.
func (r *runner) stateAt(at time.Duration) netState {
	st := netState{down: map[string]bool{}}
	for _, a := range r.actions {
		if a.At > at {
			break
		}
		switch a.Kind {
		case sim.ActKill:
			st.down[a.Node] = true
		case sim.ActRestart:
			delete(st.down, a.Node)
		case sim.ActPartition:
			st.group = map[string]int{}
			for i, g := range a.Groups {
				for _, site := range g {
					st.group[site] = i
				}
			}
		case sim.ActHeal:
			st.group = nil
		}
	}
	return st
}

func (st netState) connected(a, b string) bool {
	return st.group == nil || st.group[a] == st.group[b]
}

// reachableAt counts the nodes up at at and on the same side of any
// partition as site.
func (r *runner) reachableAt(site string, at time.Duration) int {
	st := r.stateAt(at)
	count := 0
	for _, n := range r.lay.nodes {
		if !st.down[n.Name] && st.connected(site, n.Node.Site) {
			count++
		}
	}
	return count
}

// upAt counts the nodes up at at.
func (r *runner) upAt(at time.Duration) int {
	st := r.stateAt(at)
	return len(r.lay.nodes) - len(st.down)
}
