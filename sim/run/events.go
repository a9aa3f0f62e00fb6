package run

import (
	"cmp"
	"slices"
	"time"

	"github.com/dataembassy/embassy/sim/results"
)

// Ranks order events that happen at the same virtual instant: the start,
// then timeline actions (in timeline order), then finished operations (in
// the order they were scheduled), then the end. Goroutines that run at
// one instant run in any order; sorting by (time, rank, seq) makes the
// event log independent of it.
const (
	rankStart = iota
	rankAction
	rankOp
	rankEnd
)

type event struct {
	at   time.Duration
	rank int
	seq  int
	ev   results.Event
}

type eventLog []event

// opDone is what the sampler needs of a finished operation.
type opDone struct {
	end    time.Duration
	client string
	ok     bool
}

func (r *runner) record(e event) {
	e.ev.T = e.at
	r.mu.Lock()
	r.log = append(r.log, e)
	r.mu.Unlock()
}

// samples computes one availability sample per client every
// SampleEvery, from the timeline and the operations that finished.
func (r *runner) samples() []results.Sample {
	var out []results.Sample
	for at := r.opts.SampleEvery; at <= r.s.Duration; at += r.opts.SampleEvery {
		up := r.upAt(at)
		for _, pc := range r.lay.clients {
			reach := r.reachableAt(pc.Site, at)
			out = append(out, results.Sample{T: at, Client: pc.Name, Site: pc.Site, NodesUp: up,
				Reachable: reach, Threshold: r.s.Nodes.Threshold, Margin: reach - r.s.Nodes.Threshold})
		}
	}
	return out
}

// countOutcomes fills each sample's OK and Failed from the operations
// that finished in its interval.
func (r *runner) countOutcomes(samples []results.Sample) {
	for i := range samples {
		s := &samples[i]
		from := s.T - r.opts.SampleEvery
		for _, d := range r.done {
			if d.client == s.Client && d.end > from && d.end <= s.T {
				if d.ok {
					s.OK++
				} else {
					s.Failed++
				}
			}
		}
	}
}

// results assembles the run's outputs in their deterministic order.
func (r *runner) results() results.Run {
	r.mu.Lock()
	defer r.mu.Unlock()
	slices.SortStableFunc(r.log, func(a, b event) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.rank, b.rank), cmp.Compare(a.seq, b.seq))
	})
	samples := r.samples()
	r.countOutcomes(samples)
	out := results.Run{Scenario: r.s.Name, Description: r.s.Description, Seed: r.s.Seed, Duration: r.s.Duration,
		Threshold: r.s.Nodes.Threshold, Samples: samples}
	for _, s := range r.sites {
		out.Sites = append(out.Sites, results.Site{ID: s.ID, City: s.City, Country: s.Country, Lat: s.Lat, Lon: s.Lon})
	}
	for i, a := range r.sites {
		for _, b := range r.sites[i+1:] {
			l, err := r.top.Link(a.ID, b.ID)
			if err != nil {
				continue
			}
			out.Links = append(out.Links, results.Link{A: a.ID, B: b.ID, RTT: l.RTT, Bandwidth: l.Bandwidth, Loss: l.Loss})
		}
	}
	for _, n := range r.lay.nodes {
		out.Nodes = append(out.Nodes, results.Node{Name: n.Name, Index: n.Index, Site: n.Node.Site})
	}
	for _, c := range r.lay.clients {
		out.Clients = append(out.Clients, results.Client{Name: c.Name, Site: c.Site, Role: string(c.Role)})
	}
	for _, e := range r.log {
		out.Events = append(out.Events, e.ev)
		if e.ev.Op != nil {
			out.Ops = append(out.Ops, *e.ev.Op)
		}
	}
	out.Traffic = r.traffic()
	return out
}
