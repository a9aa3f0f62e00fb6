package netsim

import (
	"net/netip"
	"time"
)

// Count is a number of packets and their bytes on the wire (payload +
// Overhead).
type Count struct {
	Packets int64
	Bytes   int64
}

// Add returns c + d.
func (c Count) Add(d Count) Count {
	return Count{Packets: c.Packets + d.Packets, Bytes: c.Bytes + d.Bytes}
}

// Sub returns c - d.
func (c Count) Sub(d Count) Count {
	return Count{Packets: c.Packets - d.Packets, Bytes: c.Bytes - d.Bytes}
}

// add counts one packet of wire bytes.
func (c *Count) add(wire int) {
	c.Packets++
	c.Bytes += int64(wire)
}

// DropReason says why a packet was not delivered.
type DropReason int

const (
	DropLoss        DropReason = iota // the link's loss draw
	DropPartition                     // the sites are on different sides of a partition (at sending or arrival)
	DropQueue                         // a full queue: an access link, a site link, a flood, or the reader's buffer
	DropUnreachable                   // nobody listens at the destination when the packet arrives
	NumDropReasons
)

func (r DropReason) String() string {
	switch r {
	case DropLoss:
		return "loss"
	case DropPartition:
		return "partition"
	case DropQueue:
		return "queue"
	case DropUnreachable:
		return "unreachable"
	}
	return "unknown"
}

// Pair is a directed pair of sites.
type Pair struct{ From, To int }

// PairTraffic counts the packets sent from one site to another.
type PairTraffic struct {
	Sent      Count
	Delivered Count
	Dropped   [NumDropReasons]Count
}

// DroppedAll is the sum of Dropped over the reasons.
func (p PairTraffic) DroppedAll() Count {
	var c Count
	for _, d := range p.Dropped {
		c = c.Add(d)
	}
	return c
}

// InFlight is Sent - Delivered - DroppedAll: the packets still on the way
// (exact when the counters started with nothing on the way).
func (p PairTraffic) InFlight() Count { return p.Sent.Sub(p.Delivered).Sub(p.DroppedAll()) }

// EndpointTraffic counts the packets of one IP address.
type EndpointTraffic struct {
	Sent     Count // packets it sent
	Received Count // packets delivered to it
	Lost     Count // packets it sent that were dropped, for any reason
	Missed   Count // packets addressed to it that were dropped, for any reason

	// Junk aimed at it by Flood (a fluid: the counts are the integral of
	// the rate, rounded down), and the part of it that its access link
	// could not carry.
	Junk        Count
	JunkDropped Count
}

// Traffic is a snapshot of the network's counters.
type Traffic struct {
	At         time.Time
	Pairs      map[Pair]PairTraffic // pairs that carried at least one packet
	Endpoints  map[netip.Addr]EndpointTraffic
	Unroutable Count // sent to addresses outside the network (counted in the sender's Lost too)
}

// Traffic returns a copy of the counters since New or the last
// ResetTraffic.
func (n *Network) Traffic() Traffic {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := time.Now()
	t := Traffic{At: now, Pairs: make(map[Pair]PairTraffic, len(n.pairs)),
		Endpoints: make(map[netip.Addr]EndpointTraffic, len(n.endpoints)), Unroutable: n.unroutable}
	for k, p := range n.pairs {
		t.Pairs[k] = *p
	}
	for ip, e := range n.endpoints {
		n.accrueJunk(e, now)
		t.Endpoints[ip] = e.traffic
	}
	return t
}

// ResetTraffic sets every counter to zero. Packets on the way count where
// they land, so right after a reset a pair can show more delivered and
// dropped than sent.
func (n *Network) ResetTraffic() {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := time.Now()
	clear(n.pairs)
	n.unroutable = Count{}
	for _, e := range n.endpoints {
		n.accrueJunk(e, now)
		e.traffic = EndpointTraffic{}
		e.junkPkts, e.junkBytes, e.junkDropP, e.junkDropB = 0, 0, 0, 0
	}
}

// pair returns the counters of from→to. n.mu is held.
func (n *Network) pair(from, to int) *PairTraffic {
	k := Pair{from, to}
	p := n.pairs[k]
	if p == nil {
		p = &PairTraffic{}
		n.pairs[k] = p
	}
	return p
}
