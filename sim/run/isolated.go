package run

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	libp2pprotocol "github.com/libp2p/go-libp2p/core/protocol"
)

// isolatedHost makes what a host's goroutines do at one virtual instant
// independent of the order the scheduler runs them in, as far as the
// streams they open and write go:
//
//   - Streams are opened one per instant, in a fixed order: a goroutine
//     first waits for the connection (NewStream would, and several
//     goroutines waiting for one connection wake together, in an order
//     that libp2p's maps decide), then queues with those that got there
//     at the same instant, in order of (when they asked, peer, protocol),
//     and opens its stream at an instant of its own. QUIC numbers streams
//     in the order they are opened.
//   - Every stream it opens or serves does each thing that sends (a
//     write, a close, a reset) at an instant of its own: see
//     isolatedStream.
type isolatedHost struct {
	host.Host
	g *openGate
}

func newIsolatedHost(h host.Host, g *openGate) isolatedHost { return isolatedHost{Host: h, g: g} }

func (h isolatedHost) NewStream(ctx context.Context, p peer.ID, pids ...libp2pprotocol.ID) (network.Stream, error) {
	asked := time.Now()
	var proto libp2pprotocol.ID
	if len(pids) > 0 {
		proto = pids[0]
	}
	work := opOf(ctx)
	if nodial, _ := network.GetNoDial(ctx); !nodial {
		if h.Network().Connectedness(p) != network.Connected {
			// Dials start one per instant too: a dial draws crypto
			// randomness (connection IDs, the TLS handshake's).
			h.g.pass(openKey{asked: asked, work: work, peer: p, proto: proto, op: -1})
		}
		if err := h.Host.Connect(ctx, peer.AddrInfo{ID: p}); err != nil {
			return nil, err
		}
	}
	h.g.pass(openKey{asked: asked, work: work, peer: p, proto: proto})
	s, err := h.Host.NewStream(ctx, p, pids...)
	if err != nil {
		return nil, err
	}
	return h.wrap(s, work), nil
}

func (h isolatedHost) wrap(s network.Stream, work int) *isolatedStream {
	return &isolatedStream{Stream: s, g: h.g, work: work, peer: s.Conn().RemotePeer(), id: s.ID()}
}

// opKey is the context key of the runner's operation number.
type opKey struct{}

// withOp tags ctx with the number of the runner's operation (non-zero)
// that the work done under it is for: streams opened at one instant are
// opened in the order of their operations.
func withOp(ctx context.Context, op int) context.Context { return context.WithValue(ctx, opKey{}, op) }

func opOf(ctx context.Context) int {
	op, _ := ctx.Value(opKey{}).(int)
	return op
}

func (h isolatedHost) SetStreamHandler(pid libp2pprotocol.ID, handler network.StreamHandler) {
	h.Host.SetStreamHandler(pid, func(s network.Stream) { handler(h.wrap(s, 0)) })
}

func (h isolatedHost) SetStreamHandlerMatch(pid libp2pprotocol.ID, match func(libp2pprotocol.ID) bool, handler network.StreamHandler) {
	h.Host.SetStreamHandlerMatch(pid, match, func(s network.Stream) { handler(h.wrap(s, 0)) })
}

// openKey orders what reaches the gate at one instant: when it was
// asked for, the peer, the stream (empty for an opening), the protocol
// and the operation's number on its stream.
type openKey struct {
	asked  time.Time
	work   int // the runner's operation that asked (see withOp), 0 if none
	peer   peer.ID
	stream string
	proto  libp2pprotocol.ID
	op     int
}

func (a openKey) compare(b openKey) int {
	return cmp.Or(a.asked.Compare(b.asked), cmp.Compare(a.work, b.work), cmp.Compare(a.peer, b.peer), cmp.Compare(a.stream, b.stream),
		cmp.Compare(a.proto, b.proto), cmp.Compare(a.op, b.op))
}

// openGate lets the goroutines that reach it through one per
// nanosecond, in a fixed order: each registers with the cohort of the
// instant it arrived at and lets a nanosecond pass (the cohort is then
// complete: time moves only once every goroutine has blocked); the first
// of the cohort to wake gives every member a slot, in key order, from the
// first free nanosecond on; each waits for its slot. One gate serves all
// the hosts of a run, so no two of their stream operations share an
// instant.
type openGate struct {
	mu      sync.Mutex // never held while waiting
	cohorts map[time.Time]*cohort
	next    time.Time // the first free slot
}

type cohort struct {
	keys    []openKey
	slots   []time.Time // by registration; nil until given
	pending int         // members that have not read their slot yet
}

func (g *openGate) pass(k openKey) {
	now := time.Now()
	g.mu.Lock()
	if g.cohorts == nil {
		g.cohorts = map[time.Time]*cohort{}
	}
	c := g.cohorts[now]
	if c == nil {
		c = &cohort{}
		g.cohorts[now] = c
	}
	mine := len(c.keys)
	c.keys = append(c.keys, k)
	c.pending++
	g.mu.Unlock()

	time.Sleep(time.Nanosecond)

	g.mu.Lock()
	if c.slots == nil {
		order := make([]int, len(c.keys))
		for i := range order {
			order[i] = i
		}
		// Equal keys keep the order they registered in (the
		// scheduler's): a stable sort.
		slices.SortStableFunc(order, func(i, j int) int { return c.keys[i].compare(c.keys[j]) })
		c.slots = make([]time.Time, len(c.keys))
		slot := time.Now()
		if !slot.After(g.next) && !g.next.IsZero() {
			slot = g.next.Add(time.Nanosecond)
		}
		for _, i := range order {
			c.slots[i] = slot
			g.next = slot
			slot = slot.Add(time.Nanosecond)
		}
	}
	wait := time.Until(c.slots[mine])
	if c.pending--; c.pending == 0 {
		delete(g.cohorts, now)
	}
	g.mu.Unlock()
	if wait > 0 {
		time.Sleep(wait)
	}
}

// isolatedStream passes each thing that sends (a write, a close, a
// reset) through its host's gate: it happens at an instant of its own,
// in a fixed order with what the host's other goroutines do at the same
// instant, and after what the host did before has been packed into
// packets. How QUIC packs the frames of one instant then does not depend
// on the order goroutines ran in.
type isolatedStream struct {
	network.Stream
	g    *openGate
	work int
	peer peer.ID
	id   string
	ops  atomic.Int64
}

func (s *isolatedStream) pass() {
	s.g.pass(openKey{asked: time.Now(), work: s.work, peer: s.peer, stream: s.id, op: int(s.ops.Add(1))})
}

func (s *isolatedStream) Write(p []byte) (int, error) {
	s.pass()
	return s.Stream.Write(p)
}

func (s *isolatedStream) Close() error {
	s.pass()
	return s.Stream.Close()
}

func (s *isolatedStream) CloseWrite() error {
	s.pass()
	return s.Stream.CloseWrite()
}

func (s *isolatedStream) CloseRead() error {
	s.pass()
	return s.Stream.CloseRead()
}

func (s *isolatedStream) Reset() error {
	s.pass()
	return s.Stream.Reset()
}
