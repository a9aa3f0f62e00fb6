package run

import (
	"context"
	"fmt"
	"strings"

	"github.com/dataembassy/embassy/sim"
	"github.com/dataembassy/embassy/sim/netsim"
	"github.com/dataembassy/embassy/sim/results"
)

// floodPacketSize is the size of a DDoS flood's junk packets (a QUIC
// Initial is padded to at least 1,200 bytes).
const floodPacketSize = 1200

// applyActions performs the expanded timeline, each action at its time.
func (r *runner) applyActions(ctx context.Context) {
	for i, a := range r.actions {
		if !r.sleepUntil(ctx, a.At) {
			return
		}
		isolate()
		err := r.apply(a)
		ev := results.Event{Type: results.EventAction, Action: string(a.Kind), Target: target(a), Detail: a.String()}
		if err != nil {
			ev.Detail += " (failed: " + err.Error() + ")"
			r.progress.Warn("action failed", "action", a.String(), "err", err)
		}
		r.record(event{rank: rankAction, seq: i, at: a.At, ev: ev})
	}
}

func target(a sim.Action) string {
	switch a.Kind {
	case sim.ActPartition:
		gs := make([]string, len(a.Groups))
		for i, g := range a.Groups {
			gs[i] = strings.Join(g, " ")
		}
		return strings.Join(gs, " | ")
	case sim.ActHeal:
		return "all"
	case sim.ActDegrade, sim.ActRestore:
		return a.Link[0] + "-" + a.Link[1]
	}
	return a.Node
}

func (r *runner) nodeNamed(name string) (*nodeProc, error) {
	for _, n := range r.nodes {
		if n.Name == name {
			return n, nil
		}
	}
	return nil, fmt.Errorf("no node %q", name)
}

func (r *runner) apply(a sim.Action) error {
	switch a.Kind {
	case sim.ActKill, sim.ActRestart, sim.ActDDoS, sim.ActDDoSEnd, sim.ActByzantine, sim.ActHonest:
		n, err := r.nodeNamed(a.Node)
		if err != nil {
			return err
		}
		return r.applyToNode(n, a)
	case sim.ActPartition:
		groups := make([][]int, len(a.Groups))
		for i, g := range a.Groups {
			for _, id := range g {
				groups[i] = append(groups[i], r.siteIndex(id))
			}
		}
		r.net.Partition(groups)
	case sim.ActHeal:
		r.net.Heal()
	case sim.ActDegrade:
		a0, b0 := r.siteIndex(a.Link[0]), r.siteIndex(a.Link[1])
		l, err := r.top.Link(a.Link[0], a.Link[1])
		if err != nil {
			return err
		}
		l = sim.ApplyChange(l, a.Change)
		r.net.SetLink(a0, b0, netsim.Link{RTT: l.RTT, Jitter: l.Jitter, Bandwidth: l.Bandwidth, Loss: l.Loss})
	case sim.ActRestore:
		a0, b0 := r.siteIndex(a.Link[0]), r.siteIndex(a.Link[1])
		r.net.SetLink(a0, b0, r.link(a0, b0))
	default:
		return fmt.Errorf("unknown action %q", a.Kind)
	}
	return nil
}

func (r *runner) applyToNode(n *nodeProc, a sim.Action) error {
	switch a.Kind {
	case sim.ActKill:
		n.stop()
	case sim.ActRestart:
		if err := n.start(r.nodeLog(n.placedNode)); err != nil {
			return err
		}
	case sim.ActDDoS:
		if a.DDoS.Bandwidth > 0 {
			r.net.Squeeze(n.addr, a.DDoS.Bandwidth)
		} else if a.DDoS.Flood > 0 {
			// A flood fills the node's access link: without a squeeze,
			// that is the site's default link capacity.
			r.net.Squeeze(n.addr, r.accessCapacity(n))
		}
		if a.DDoS.Flood > 0 {
			r.net.Flood(n.addr, float64(a.DDoS.Flood), floodPacketSize)
		}
	case sim.ActDDoSEnd:
		r.net.Squeeze(n.addr, 0)
		r.net.Flood(n.addr, 0, floodPacketSize)
	case sim.ActByzantine, sim.ActHonest:
		return r.setByzantine(n, a)
	}
	return nil
}

// accessCapacity is a node's access link when no attack squeezes it: the
// capacity of its site's links by default.
func (r *runner) accessCapacity(n *nodeProc) int64 {
	return r.link(n.site, n.site).Bandwidth
}
