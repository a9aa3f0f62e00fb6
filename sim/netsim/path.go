package netsim

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing/synctest"
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
	sent             time.Time // the instant it was sent at
	index            uint64    // its number among its flow's packets sent at that instant
	rank             uint64    // its flow's place among the flows of that instant
	spaced           bool      // delivery was moved to the next free nanosecond
	subflow          []byte    // its subflow's name (Config.Subflow)
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

// send starts a datagram from c to dst on its way, at time now. Inside a
// bubble it only queues the datagram: the network's worker launches
// every datagram of the instant once the bubble has settled (see work).
func (n *Network) send(c *conn, data []byte, dst netip.AddrPort) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return net.ErrClosed
	}
	p := &packet{src: c.addr, dst: dst, from: c.udp, srcSite: c.site, sent: time.Now(),
		data: append([]byte(nil), data...)}
	if n.unordered {
		n.launch(p)
		n.rearm()
		return nil
	}
	n.pending = append(n.pending, p)
	if !n.working {
		n.working = true
		go n.work()
	}
	return nil
}

// fire runs when the earliest event is due: inside a bubble it becomes
// the worker (unless one runs: it will see the event), outside one it
// runs the due events at once.
func (n *Network) fire() {
	n.mu.Lock()
	n.armed = time.Time{}
	if n.closed || n.working {
		n.mu.Unlock()
		return
	}
	if n.unordered {
		n.runDue(time.Now())
		n.rearm()
		n.mu.Unlock()
		return
	}
	n.working = true
	n.mu.Unlock()
	n.work()
}

// work waits until every other goroutine of the bubble is durably
// blocked — every goroutine that runs at this virtual instant, timers
// that fire at it included, has done what it does — then launches the
// datagrams written at this instant and runs the events due (arrivals,
// deliveries). The datagrams of an instant are launched in an order that
// does not depend on the order goroutines ran in: flows by a seeded rank
// (a hash of the seed, the flow and the instant), each flow's datagrams
// in the order they were written. Deliveries come after everything else
// of their instant, and one at a time (see deliver). Goroutines that the
// deliveries wake, and that write, start the next worker.
//
// synctest.Wait panics outside a bubble, and when another goroutine of
// the bubble is in Wait already; the network then goes on unordered for
// this instant (outside a bubble: for good, launching every datagram as
// it is written and running events when due).
func (n *Network) work() {
	ordered, inBubble := settle()
	n.mu.Lock()
	defer n.mu.Unlock()
	n.working = false
	switch {
	case !inBubble:
		n.unordered = true
		n.log.Debug("netsim: outside a synctest bubble: datagrams go out as they are written")
	case !ordered && !n.warned:
		n.warned = true
		n.log.Warn("netsim: another goroutine of the bubble called synctest.Wait: " +
			"the datagrams of this instant go out in the order they were written")
	}
	if n.closed {
		n.pending = nil
		return
	}
	now := time.Now()
	if ordered && n.settled != nil {
		if !now.Equal(n.lastRound) {
			n.lastRound, n.rounds = now, 0
		}
		n.settled(now, n.rounds)
		n.rounds++
	}
	batch := n.pending
	n.pending = nil
	if ordered {
		for _, p := range batch {
			p.rank = orderDraw(n.seed, p.src, p.dst, p.sent)
			if n.subflow != nil {
				p.subflow = n.subflow(p.data)
			}
		}
		slices.SortStableFunc(batch, func(a, b *packet) int {
			return cmp.Or(cmp.Compare(a.rank, b.rank), a.src.Compare(b.src), a.dst.Compare(b.dst),
				bytes.Compare(a.subflow, b.subflow))
		})
	}
	for _, p := range batch {
		n.launch(p)
	}
	n.runDue(now)
	n.rearm()
}

// settle calls synctest.Wait: ordered is whether it returned, inBubble
// false if it panicked because the goroutine is not in a bubble.
func settle() (ordered, inBubble bool) {
	defer func() {
		if r := recover(); r != nil {
			ordered = false
			inBubble = !strings.Contains(fmt.Sprint(r), "not in a bubble")
		}
	}()
	synctest.Wait()
	return true, true
}

// launch puts p on its way at p.sent: the partition and loss checks, the
// sender's access link, then the site link. n.mu is held.
func (n *Network) launch(p *packet) {
	now := p.sent
	wire := p.wire()
	src := n.endpointOf(p.src.Addr())
	src.traffic.Sent.add(wire)
	dstSite, ok := n.SiteOf(p.dst.Addr())
	if !ok {
		n.unroutable.add(wire)
		src.traffic.Lost.add(wire)
		return
	}
	key := flowKey{p.src, p.dst}
	fl := n.flows[key]
	if fl == nil {
		fl = &flow{}
		n.flows[key] = fl
	}
	if !fl.instant.Equal(now) {
		fl.instant, fl.count = now, 0
	}
	p.index = fl.count
	fl.count++
	p.dstSite, p.fl, p.link = dstSite, fl, n.links[p.srcSite][dstSite]
	if n.log.Enabled(context.Background(), levelPacket) {
		n.log.Log(context.Background(), levelPacket, "netsim: send", "from", p.src, "to", p.dst, "bytes", wire)
	}
	n.pair(p.srcSite, p.dstSite).Sent.add(wire)
	if n.group[p.srcSite] != n.group[p.dstSite] {
		n.drop(p, wire, DropPartition)
		return
	}
	if p.link.Loss > 0 && unit(packetDraw(n.seed, p.src, p.dst, p.sent, p.index, drawLoss)) < p.link.Loss {
		n.drop(p, wire, DropLoss)
		return
	}

	// The sender's access link: a FIFO of its capacity, or none if it
	// is unlimited and empty.
	if src.capacity == 0 && src.upPending == 0 {
		n.enterLink(p, now)
		return
	}
	start := now
	if src.upFree.After(start) {
		start = src.upFree
	}
	if start.Sub(now) > n.queueDelay {
		n.drop(p, wire, DropQueue)
		return
	}
	done := start
	if src.capacity > 0 {
		done = start.Add(serialise(wire, src.capacity))
	}
	src.upFree = done
	src.upPending++
	p.stage, p.when = stageLink, done
	n.push(p)
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
		arrival = arrival.Add(below(jitterDraw(n.seed, p.srcSite, p.dstSite, p.sent), p.link.Jitter))
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
		if unit(packetDraw(n.seed, p.src, p.dst, p.sent, p.index, drawFlood)) >= c/j {
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

// deliver hands p to whoever listens at its destination. The network
// hands over one datagram per instant: a datagram due at the instant of
// the previous one (or before a later one already reserved) waits for
// the next free nanosecond, so that the receiver deals with each
// datagram apart, whatever order goroutines run in. n.mu is held.
func (n *Network) deliver(p *packet) {
	if !p.spaced {
		if !p.when.After(n.lastIn) {
			p.spaced = true
			p.stage, p.when = stageDeliver, n.lastIn.Add(time.Nanosecond)
			n.lastIn = p.when
			n.push(p)
			return
		}
		n.lastIn = p.when
	}
	c := n.conns[p.dst]
	if c == nil {
		n.drop(p, p.wire(), DropUnreachable)
		return
	}
	if !c.push(p.data, p.from) {
		n.drop(p, p.wire(), DropQueue)
		return
	}
	if n.log.Enabled(context.Background(), levelPacket) {
		n.log.Log(context.Background(), levelPacket, "netsim: deliver", "from", p.src, "to", p.dst, "bytes", p.wire())
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

// push schedules p's next stage at p.when. The caller arms the timer
// (rearm) once it is done. n.mu is held.
func (n *Network) push(p *packet) {
	p.seq = n.seq
	n.seq++
	n.events.push(p)
}

// runDue runs every event due at now, in time order (same instant: in
// the order they were scheduled). n.mu is held.
func (n *Network) runDue(now time.Time) {
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
}

// rearm sets the timer for the earliest event. n.mu is held.
func (n *Network) rearm() {
	if len(n.events) == 0 {
		return
	}
	next := n.events[0].when
	if !n.armed.IsZero() && n.armed.Equal(next) {
		return
	}
	n.armed = next
	if n.timer == nil {
		n.timer = time.AfterFunc(time.Until(next), n.fire)
	} else {
		n.timer.Reset(time.Until(next))
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
