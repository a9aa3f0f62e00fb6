package run

import (
	"github.com/dataembassy/embassy/sim/netsim"
	"github.com/dataembassy/embassy/sim/results"
)

// traffic turns the network's counters into rows: one per node and
// client (by name, in roster then workload order) and one per directed
// site pair that carried anything (in site order). Bytes are on the wire
// (with IP and UDP headers); Dropped counts packets.
func (r *runner) traffic() []results.Traffic {
	t := r.net.Traffic()
	var out []results.Traffic
	endpoint := func(name string, e netsim.EndpointTraffic) {
		out = append(out, results.Traffic{Scope: results.ScopeEndpoint, Name: name,
			BytesOut: e.Sent.Bytes, PacketsOut: e.Sent.Packets, BytesIn: e.Received.Bytes,
			PacketsIn: e.Received.Packets, Dropped: e.Lost.Packets + e.Missed.Packets})
	}
	for _, n := range r.lay.nodes {
		endpoint(n.Name, t.Endpoints[n.addr])
	}
	for _, c := range r.lay.clients {
		endpoint(c.Name, t.Endpoints[c.addr])
	}
	for a := range r.sites {
		for b := range r.sites {
			p, ok := t.Pairs[netsim.Pair{From: a, To: b}]
			if !ok {
				continue
			}
			out = append(out, results.Traffic{Scope: results.ScopeLink, Name: r.sites[a].ID + ">" + r.sites[b].ID,
				BytesOut: p.Sent.Bytes, PacketsOut: p.Sent.Packets, BytesIn: p.Delivered.Bytes,
				PacketsIn: p.Delivered.Packets, Dropped: p.DroppedAll().Packets})
		}
	}
	return out
}
