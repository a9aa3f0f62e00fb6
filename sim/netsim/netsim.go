package netsim

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Errors that callers branch on.
var (
	// ErrBadConfig: New was given figures it cannot simulate.
	ErrBadConfig = errors.New("netsim: bad configuration")
	// ErrBadAddress: Listen was given an address outside the simulated
	// network (not 10.S.X.Y with S below the number of sites).
	ErrBadAddress = errors.New("netsim: not a simulated address")
	// ErrAddrInUse: Listen was given an address that an open connection
	// holds.
	ErrAddrInUse = errors.New("netsim: address already in use")
	// ErrNotUDP: WriteTo was given an address that is not a *net.UDPAddr.
	ErrNotUDP = errors.New("netsim: destination is not a *net.UDPAddr")
	// ErrTooLarge: WriteTo was given more than a UDP datagram can carry.
	ErrTooLarge = errors.New("netsim: datagram larger than 65507 bytes")
)

// Defaults of Config's optional figures.
const (
	DefaultQueueDelay = 50 * time.Millisecond
	DefaultReadBuffer = 4 << 20
	// Overhead is what IPv4 and UDP headers add to each datagram on the
	// wire (20 + 8 bytes).
	Overhead = 28
	// maxDatagram is the largest UDP payload over IPv4.
	maxDatagram = 65507
	// ephemeralPorts is where Listen picks a port for port 0.
	ephemeralPorts = 49152
)

// Link is the behaviour of the path between two sites, the same figures in
// both directions.
type Link struct {
	RTT       time.Duration // round trip; each direction takes RTT/2
	Jitter    time.Duration // extra one-way delay drawn uniformly in [0, Jitter] per direction and JitterSlot
	Bandwidth int64         // bit/s of the link in each direction; 0 = unlimited
	Loss      float64       // probability that a packet is lost, 0..1
}

// validate checks that l can be simulated.
func (l Link) validate() error {
	switch {
	case l.RTT < 0:
		return fmt.Errorf("RTT %v is negative", l.RTT)
	case l.Jitter < 0:
		return fmt.Errorf("jitter %v is negative", l.Jitter)
	case l.Bandwidth < 0:
		return fmt.Errorf("bandwidth %d bit/s is negative", l.Bandwidth)
	case !(l.Loss >= 0 && l.Loss <= 1):
		return fmt.Errorf("loss %v is outside [0, 1]", l.Loss)
	}
	return nil
}

// Config describes a network.
type Config struct {
	Seed  uint64
	Sites int                 // number of sites, 1..255
	Link  func(a, b int) Link // initial figures, symmetric; a == b is the within-site link; nil = perfect links
	Log   *slog.Logger        // may be nil

	// QueueDelay bounds every queue a packet can wait in (an endpoint's
	// access link either way, a site-to-site link) to this much time of
	// that queue's capacity: a packet that would wait longer is dropped
	// (reason DropQueue). 0 = DefaultQueueDelay.
	QueueDelay time.Duration
	// Settled, if set, is called inside a bubble each time the network
	// has waited for every other goroutine of the bubble to block, before
	// it launches the datagrams written at that instant: nothing else of
	// the bubble runs while it does. round counts the calls at one
	// instant from 0.
	Settled func(now time.Time, round int)
	// Subflow, if set, names the stream of datagrams a datagram belongs
	// to inside its flow (for QUIC: its destination connection ID, as
	// several connections can share a pair of addresses and ports).
	// Datagrams of one flow written at one instant are launched grouped
	// by subflow, in byte order of the names, each subflow's in the
	// order written. Nil: one subflow per flow.
	Subflow func(payload []byte) []byte
	// ReadBuffer is how many bytes of datagrams a connection holds
	// until they are read; beyond it arriving datagrams are dropped
	// (reason DropQueue). 0 = DefaultReadBuffer.
	ReadBuffer int
}

// Network is a simulated packet network. Its methods are safe for
// concurrent use.
type Network struct {
	seed       uint64
	sites      int
	queueDelay time.Duration
	readBuffer int
	log        *slog.Logger
	settled    func(time.Time, int)
	subflow    func([]byte) []byte

	mu        sync.Mutex // never held while waiting: it guards state only
	closed    bool
	links     [][]Link      // [a][b], symmetric
	linkFree  [][]time.Time // [from][to]: when the directed link's queue is empty
	group     []int         // partition group of each site
	conns     map[netip.AddrPort]*conn
	endpoints map[netip.Addr]*endpoint
	flows     map[flowKey]*flow
	events    eventHeap
	seq       uint64
	timer     *time.Timer
	armed     time.Time // when timer fires; zero when not armed

	pending   []*packet // written at this instant, not yet launched (see work)
	working   bool      // a worker will launch pending and run due events
	unordered bool      // not in a bubble: launch each packet as it is written
	warned    bool      // the log says that an instant could not be ordered
	lastIn    time.Time // when the latest datagram was (or will be) handed over
	lastRound time.Time // the instant of the latest route
	rounds    int       // routes at that instant

	pairs      map[Pair]*PairTraffic
	unroutable Count
}

// endpoint is an IP address's access link and counters. It outlives the
// connections on it (a node that restarts is still squeezed).
type endpoint struct {
	capacity  int64     // bit/s each way; 0 = unlimited
	upFree    time.Time // when its uplink queue is empty
	downFree  time.Time // when its downlink queue is empty
	upPending int       // packets waiting in the uplink queue

	floodRate float64   // junk packets per second
	floodSize int       // junk payload bytes
	floodAt   time.Time // junk counted up to here

	traffic   EndpointTraffic
	junkPkts  float64 // fluid junk counters, floored into traffic
	junkBytes float64
	junkDropP float64
	junkDropB float64
}

// flowKey names the packets from one address and port to another.
type flowKey struct{ src, dst netip.AddrPort }

// flow is what a flow's packets share: the instant of the latest one
// sent and how many it sent then (their draws are numbered by instant),
// and the arrival time of the latest one (delivery keeps a flow's order).
type flow struct {
	instant     time.Time
	count       uint64
	lastArrival time.Time
}

// New builds a network of cfg.Sites sites with cfg.Link's figures.
// Call it inside the synctest bubble whose goroutines use it: its timers
// belong to the bubble that first sends a packet.
func New(cfg Config) (*Network, error) {
	if cfg.Sites < 1 || cfg.Sites > 255 {
		return nil, fmt.Errorf("%w: %d sites, want 1..255", ErrBadConfig, cfg.Sites)
	}
	if cfg.QueueDelay < 0 || cfg.ReadBuffer < 0 {
		return nil, fmt.Errorf("%w: negative queue delay %v or read buffer %d", ErrBadConfig, cfg.QueueDelay, cfg.ReadBuffer)
	}
	n := &Network{
		seed:       cfg.Seed,
		sites:      cfg.Sites,
		queueDelay: cfg.QueueDelay,
		readBuffer: cfg.ReadBuffer,
		log:        cfg.Log,
		settled:    cfg.Settled,
		subflow:    cfg.Subflow,
		links:      make([][]Link, cfg.Sites),
		linkFree:   make([][]time.Time, cfg.Sites),
		group:      make([]int, cfg.Sites),
		conns:      map[netip.AddrPort]*conn{},
		endpoints:  map[netip.Addr]*endpoint{},
		flows:      map[flowKey]*flow{},
		pairs:      map[Pair]*PairTraffic{},
	}
	if n.queueDelay == 0 {
		n.queueDelay = DefaultQueueDelay
	}
	if n.readBuffer == 0 {
		n.readBuffer = DefaultReadBuffer
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	for a := range cfg.Sites {
		n.links[a] = make([]Link, cfg.Sites)
		n.linkFree[a] = make([]time.Time, cfg.Sites)
	}
	if cfg.Link != nil {
		for a := range cfg.Sites {
			for b := a; b < cfg.Sites; b++ {
				l := cfg.Link(a, b)
				if err := l.validate(); err != nil {
					return nil, fmt.Errorf("%w: link %d-%d: %v", ErrBadConfig, a, b, err)
				}
				if r := cfg.Link(b, a); r != l {
					return nil, fmt.Errorf("%w: link %d-%d is %+v one way and %+v the other", ErrBadConfig, a, b, l, r)
				}
				n.links[a][b], n.links[b][a] = l, l
			}
		}
	}
	return n, nil
}

// Sites returns the number of sites.
func (n *Network) Sites() int { return n.sites }

// site checks a site index given by the caller; a bad one is a
// programming error (callers pass validated scenarios).
func (n *Network) site(s int) {
	if s < 0 || s >= n.sites {
		panic(fmt.Sprintf("netsim: site %d out of range [0, %d)", s, n.sites))
	}
}

// SiteOf returns the site of a simulated address (10.S.X.Y), or false if
// ip is not one.
func (n *Network) SiteOf(ip netip.Addr) (int, bool) {
	ip = ip.Unmap()
	if !ip.Is4() {
		return 0, false
	}
	b := ip.As4()
	if b[0] != 10 || int(b[1]) >= n.sites {
		return 0, false
	}
	return int(b[1]), true
}

// SetLink replaces the figures of the link between sites a and b (both
// directions); packets sent from now on see them, packets on the way keep
// the figures they were sent with. It panics on a site out of range or
// figures that cannot be simulated.
func (n *Network) SetLink(a, b int, l Link) {
	n.site(a)
	n.site(b)
	if err := l.validate(); err != nil {
		panic(fmt.Sprintf("netsim: SetLink(%d, %d): %v", a, b, err))
	}
	n.mu.Lock()
	n.links[a][b], n.links[b][a] = l, l
	n.mu.Unlock()
	n.log.Info("netsim: link set", "a", a, "b", b, "rtt", l.RTT, "jitter", l.Jitter,
		"bandwidth", l.Bandwidth, "loss", l.Loss)
}

// Link returns the current figures of the link between sites a and b.
func (n *Network) Link(a, b int) Link {
	n.site(a)
	n.site(b)
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.links[a][b]
}

// Partition cuts the network: sites in different groups cannot exchange
// packets (packets on the way across the cut are lost too); sites in no
// group form one more group. It replaces any previous partition. It
// panics on a site out of range or listed twice.
func (n *Network) Partition(groups [][]int) {
	group := make([]int, n.sites)
	seen := make([]bool, n.sites)
	for g, sites := range groups {
		for _, s := range sites {
			n.site(s)
			if seen[s] {
				panic(fmt.Sprintf("netsim: Partition: site %d is in two groups", s))
			}
			seen[s] = true
			group[s] = g + 1
		}
	}
	n.mu.Lock()
	n.group = group
	n.mu.Unlock()
	n.log.Info("netsim: partition", "groups", groups)
}

// Heal removes the partition.
func (n *Network) Heal() {
	n.mu.Lock()
	n.group = make([]int, n.sites)
	n.mu.Unlock()
	n.log.Info("netsim: healed")
}

// Connected reports whether sites a and b are on the same side of the
// current partition.
func (n *Network) Connected(a, b int) bool {
	n.site(a)
	n.site(b)
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.group[a] == n.group[b]
}

// endpointOf returns ip's endpoint, creating it. n.mu is held.
func (n *Network) endpointOf(ip netip.Addr) *endpoint {
	e := n.endpoints[ip]
	if e == nil {
		e = &endpoint{}
		n.endpoints[ip] = e
	}
	return e
}

// simulated checks an address given by the caller.
func (n *Network) simulated(ip netip.Addr, what string) netip.Addr {
	ip = ip.Unmap()
	if _, ok := n.SiteOf(ip); !ok {
		panic(fmt.Sprintf("netsim: %s: %v is not a simulated address (10.S.X.Y, S < %d)", what, ip, n.sites))
	}
	return ip
}

// Squeeze caps the access capacity of the endpoint at ip to bitsPerSecond
// in each direction (its uplink and downlink become queues of that
// capacity, bounded by Config.QueueDelay); 0 makes it unlimited again. It
// outlives the endpoint's connections. It panics on an address outside
// the network or a negative capacity.
func (n *Network) Squeeze(ip netip.Addr, bitsPerSecond int64) {
	ip = n.simulated(ip, "Squeeze")
	if bitsPerSecond < 0 {
		panic(fmt.Sprintf("netsim: Squeeze(%v): negative capacity %d", ip, bitsPerSecond))
	}
	n.mu.Lock()
	e := n.endpointOf(ip)
	n.accrueJunk(e, time.Now())
	e.capacity = bitsPerSecond
	n.mu.Unlock()
	n.log.Info("netsim: squeeze", "ip", ip, "bandwidth", bitsPerSecond)
}

// Flood aims junk traffic at the endpoint at ip: packetsPerSecond packets
// of packetSize payload bytes; 0 packets per second stops it. Junk is a
// fluid, not packets: see the package documentation for what it does to
// the endpoint's traffic. It panics on an address outside the network or
// a negative or non-finite figure.
func (n *Network) Flood(ip netip.Addr, packetsPerSecond float64, packetSize int) {
	ip = n.simulated(ip, "Flood")
	if !(packetsPerSecond >= 0) || math.IsInf(packetsPerSecond, 0) || packetSize < 0 || packetSize > maxDatagram {
		panic(fmt.Sprintf("netsim: Flood(%v, %v, %d): bad rate or size", ip, packetsPerSecond, packetSize))
	}
	n.mu.Lock()
	e := n.endpointOf(ip)
	n.accrueJunk(e, time.Now())
	e.floodRate, e.floodSize = packetsPerSecond, packetSize
	n.mu.Unlock()
	n.log.Info("netsim: flood", "ip", ip, "rate", packetsPerSecond, "size", packetSize)
}

// junkBits is the junk bit rate aimed at e.
func (e *endpoint) junkBits() float64 {
	return e.floodRate * float64(e.floodSize+Overhead) * 8
}

// accrueJunk counts the junk that reached e up to now. n.mu is held.
func (n *Network) accrueJunk(e *endpoint, now time.Time) {
	if e.floodRate > 0 && now.After(e.floodAt) {
		secs := now.Sub(e.floodAt).Seconds()
		pkts := e.floodRate * secs
		wire := float64(e.floodSize + Overhead)
		e.junkPkts += pkts
		e.junkBytes += pkts * wire
		if j, c := e.junkBits(), float64(e.capacity); e.capacity > 0 && j > c {
			over := (j - c) / j // the overflow fraction
			e.junkDropP += pkts * over
			e.junkDropB += pkts * over * wire
		}
		e.traffic.Junk = Count{Packets: int64(e.junkPkts), Bytes: int64(e.junkBytes)}
		e.traffic.JunkDropped = Count{Packets: int64(e.junkDropP), Bytes: int64(e.junkDropB)}
	}
	e.floodAt = now
}

// Listen opens a packet connection at addr, a simulated address 10.S.X.Y
// with S below the number of sites (port 0 picks a free port from 49152).
// The address is free again once the connection is closed.
func (n *Network) Listen(addr *net.UDPAddr) (net.PacketConn, error) {
	if addr == nil {
		return nil, fmt.Errorf("%w: nil address", ErrBadAddress)
	}
	ip, ok := netip.AddrFromSlice(addr.IP)
	if !ok || addr.Port < 0 || addr.Port > 65535 {
		return nil, fmt.Errorf("%w: %v", ErrBadAddress, addr)
	}
	ip = ip.Unmap()
	site, ok := n.SiteOf(ip)
	if !ok {
		return nil, fmt.Errorf("%w: %v (want 10.S.X.Y with S < %d)", ErrBadAddress, addr, n.sites)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, fmt.Errorf("netsim: listen on %v: %w", addr, net.ErrClosed)
	}
	port := addr.Port
	if port == 0 {
		for port = ephemeralPorts; port <= 65535; port++ {
			if n.conns[netip.AddrPortFrom(ip, uint16(port))] == nil {
				break
			}
		}
		if port > 65535 {
			return nil, fmt.Errorf("%w: no free port on %v", ErrAddrInUse, ip)
		}
	}
	ap := netip.AddrPortFrom(ip, uint16(port))
	if n.conns[ap] != nil {
		return nil, fmt.Errorf("%w: %v", ErrAddrInUse, ap)
	}
	c := newConn(n, ap, site)
	n.conns[ap] = c
	n.endpointOf(ip)
	return c, nil
}

// Close closes every connection (their readers return net.ErrClosed) and
// discards the packets on the way. It stops the network's timer; nothing
// of the network runs afterwards.
func (n *Network) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	if n.timer != nil {
		n.timer.Stop()
	}
	n.events = nil
	conns := make([]*conn, 0, len(n.conns))
	for _, c := range n.conns {
		conns = append(conns, c)
	}
	n.conns = map[netip.AddrPort]*conn{}
	n.mu.Unlock()
	for _, c := range conns {
		c.shut()
	}
	return nil
}
