package netsim

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"time"
)

// levelPacket is the log level of per-packet records (below Debug).
const levelPacket = slog.LevelDebug - 4

// stage is where a packet is on its way.
type stage uint8

const (
	stageLink    stage = iota // leaves the sender's access link, enters the site link
	stageArrive               // reaches the receiver's access link
	stageDeliver              // leaves the receiver's access link, into the reader's buffer
)

// packet is one datagram on its way, and the event of its next stage.
type packet struct {
	when  time.Time // of the next stage
	seq   uint64    // order among events of the same instant
	stage stage

	src, dst         netip.AddrPort
	from             *net.UDPAddr // what the reader sees
	srcSite, dstSite int
	link             Link // figures when sent
	fl               *flow
	count            uint64 // number in its flow
	data             []byte
}

// wire is the packet's size on the wire, in bytes.
func (p *packet) wire() int { return len(p.data) + Overhead }

// serialise is how long bits take at bitsPerSecond (> 0), rounded up to
// the nanosecond.
func serialise(wire int, bitsPerSecond int64) time.Duration {
	bits := int64(wire) * 8
	return time.Duration((bits*int64(time.Second) + bitsPerSecond - 1) / bitsPerSecond)
}

// send starts a datagram from c to dst on its way, at time now.
func (n *Network) send(c *conn, data []byte, dst netip.AddrPort) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return net.ErrClosed
	}
	now := time.Now()
	wire := len(data) + Overhead
	src := n.endpointOf(c.addr.Addr())
	src.traffic.Sent.add(wire)
	dstSite, ok := n.SiteOf(dst.Addr())
	if !ok {
		n.unroutable.add(wire)
		src.traffic.Lost.add(wire)
		return nil
	}
	key := flowKey{c.addr, dst}
	fl := n.flows[key]
	if fl == nil {
		fl = &flow{}
		n.flows[key] = fl
	}
	fl.count++
	p := &packet{src: c.addr, dst: dst, from: c.udp, srcSite: c.site, dstSite: dstSite,
		link: n.links[c.site][dstSite], fl: fl, count: fl.count}
	n.pair(p.srcSite, p.dstSite).Sent.add(wire)
	if n.group[p.srcSite] != n.group[p.dstSite] {
		n.drop(p, wire, DropPartition)
		return nil
	}
	if p.link.Loss > 0 && unit(draw(n.seed, p.src, p.dst, p.count, drawLoss)) < p.link.Loss {
		n.drop(p, wire, DropLoss)
		return nil
	}
	p.data = make([]byte, len(data))
	copy(p.data, data)

	// The sender's access link: a FIFO of its capacity, or none if it
	// is unlimited and empty.
	if src.capacity == 0 && src.upPending == 0 {
		n.enterLink(p, now)
		return nil
	}
	start := now
	if src.upFree.After(start) {
		start = src.upFree
	}
	if start.Sub(now) > n.queueDelay {
		n.drop(p, wire, DropQueue)
		return nil
	}
	done := start
	if src.capacity > 0 {
		done = start.Add(serialise(wire, src.capacity))
	}
	src.upFree = done
	src.upPending++
	p.stage, p.when = stageLink, done
	n.push(p)
	return nil
}

// enterLink puts p on the site link at time at, and schedules its
// arrival. n.mu is held.
func (n *Network) enterLink(p *packet, at time.Time) {
	start := at
	if free := n.linkFree[p.srcSite][p.dstSite]; free.After(start) {
		start = free
	}
	done := start
	if bw := p.link.Bandwidth; bw > 0 {
		if start.Sub(at) > n.queueDelay {
			n.drop(p, p.wire(), DropQueue)
			return
		}
		done = start.Add(serialise(p.wire(), bw))
	}
	n.linkFree[p.srcSite][p.dstSite] = done
	arrival := done.Add(p.link.RTT / 2)
	if p.link.Jitter > 0 {
		arrival = arrival.Add(below(draw(n.seed, p.src, p.dst, p.count, drawJitter), p.link.Jitter))
	}
	if arrival.Before(p.fl.lastArrival) {
		arrival = p.fl.lastArrival // a flow is delivered in order
	}
	p.fl.lastArrival = arrival
	p.stage, p.when = stageArrive, arrival
	n.push(p)
}

// arrive passes p through the receiver's access link at time p.when.
// n.mu is held.
func (n *Network) arrive(p *packet) {
	at := p.when
	if n.group[p.srcSite] != n.group[p.dstSite] {
		n.drop(p, p.wire(), DropPartition) // cut while on the way
		return
	}
	e := n.endpoints[p.dst.Addr()]
	if e == nil {
		n.deliver(p) // nobody ever listened there: unreachable
		return
	}
	start := at
	if e.downFree.After(start) {
		start = e.downFree
	}
	var done time.Time
	switch c, j := float64(e.capacity), e.junkBits(); {
	case e.capacity == 0:
		done = start
	case j >= c:
		// Saturated by junk: the queue is always full. A packet gets
		// in with probability capacity/junk, and then waits for the
		// whole buffer.
		if unit(draw(n.seed, p.src, p.dst, p.count, drawFlood)) >= c/j {
			n.drop(p, p.wire(), DropQueue)
			return
		}
		done = at.Add(n.queueDelay + serialise(p.wire(), e.capacity))
		if done.Before(e.downFree) {
			done = e.downFree
		}
	default:
		// Junk takes its share first; legitimate packets queue for
		// what is left.
		if start.Sub(at) > n.queueDelay {
			n.drop(p, p.wire(), DropQueue)
			return
		}
		done = start.Add(serialise(p.wire(), int64(c-j)))
	}
	e.downFree = done
	if done.Equal(at) {
		n.deliver(p)
		return
	}
	p.stage, p.when = stageDeliver, done
	n.push(p)
}

// deliver hands p to whoever listens at its destination. n.mu is held.
func (n *Network) deliver(p *packet) {
	c := n.conns[p.dst]
	if c == nil {
		n.drop(p, p.wire(), DropUnreachable)
		return
	}
	if !c.push(p.data, p.from) {
		n.drop(p, p.wire(), DropQueue)
		return
	}
	n.pair(p.srcSite, p.dstSite).Delivered.add(p.wire())
	n.endpointOf(p.dst.Addr()).traffic.Received.add(p.wire())
}

// drop counts p as dropped for reason. n.mu is held.
func (n *Network) drop(p *packet, wire int, reason DropReason) {
	n.pair(p.srcSite, p.dstSite).Dropped[reason].add(wire)
	n.endpointOf(p.src.Addr()).traffic.Lost.add(wire)
	n.endpointOf(p.dst.Addr()).traffic.Missed.add(wire)
	if n.log.Enabled(context.Background(), levelPacket) {
		n.log.Log(context.Background(), levelPacket, "netsim: drop", "from", p.src, "to", p.dst, "bytes", wire, "reason", reason.String())
	}
}

// push schedules p's next stage at p.when, arming the timer if p is the
// earliest event. n.mu is held.
func (n *Network) push(p *packet) {
	p.seq = n.seq
	n.seq++
	n.events.push(p)
	if !n.armed.IsZero() && !p.when.Before(n.armed) {
		return
	}
	n.armed = p.when
	d := time.Until(p.when)
	if n.timer == nil {
		n.timer = time.AfterFunc(d, n.fire)
	} else {
		n.timer.Reset(d)
	}
}

// fire runs every event that is due, in time order (same instant: in the
// order they were scheduled), then arms the timer for the next one.
func (n *Network) fire() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	n.armed = time.Time{}
	now := time.Now()
	for len(n.events) > 0 && !n.events[0].when.After(now) {
		p := n.events.pop()
		switch p.stage {
		case stageLink:
			n.endpointOf(p.src.Addr()).upPending--
			n.enterLink(p, p.when)
		case stageArrive:
			n.arrive(p)
		case stageDeliver:
			n.deliver(p)
		}
	}
	// Events scheduled above may have armed the timer for a later
	// instant than the earliest one left.
	n.armed = time.Time{}
	if len(n.events) > 0 {
		n.armed = n.events[0].when
		n.timer.Reset(time.Until(n.armed))
	}
}

// eventHeap is a binary min-heap of packets by (when, seq).
type eventHeap []*packet

func (h eventHeap) less(i, j int) bool {
	if !h[i].when.Equal(h[j].when) {
		return h[i].when.Before(h[j].when)
	}
	return h[i].seq < h[j].seq
}

func (h *eventHeap) push(p *packet) {
	*h = append(*h, p)
	s := *h
	for i := len(s) - 1; i > 0; {
		parent := (i - 1) / 2
		if !s.less(i, parent) {
			break
		}
		s[i], s[parent] = s[parent], s[i]
		i = parent
	}
}

func (h *eventHeap) pop() *packet {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s[last] = nil
	s = s[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(s) && s.less(l, m) {
			m = l
		}
		if r < len(s) && s.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
