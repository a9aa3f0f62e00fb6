// Package netsim is the simulated packet network of embassy sim: UDP-like
// packet connections (net.PacketConn) at simulated addresses, on which
// libp2p QUIC hosts (package sim/simhost) run inside a testing/synctest
// bubble. It replaces github.com/marcopolo/simnet with what the
// simulator's scenarios need: per site-pair delay, jitter, bandwidth and
// loss, partitions, and DDoS (a squeezed access link, junk floods).
//
// # Addresses
//
// A simulated endpoint is an IPv4 address 10.S.X.Y, S (0..254, below
// Config.Sites) its site. Listen opens a connection at an address and
// port; an endpoint (an IP address) can hold several. An endpoint's
// access link (Squeeze, Flood) and counters belong to the IP address and
// outlive its connections: a node killed and restarted on the same
// address is still squeezed.
//
// # Delivery model
//
// A datagram of s payload bytes weighs w = s + 28 bytes on the wire (IPv4
// and UDP headers). Sent at virtual time now from endpoint A at site a to
// endpoint B at site b, with the figures of link a–b at that moment
// (RTT, Jitter, Bandwidth, Loss):
//
//  1. It is dropped (reason partition) if a and b are on different sides
//     of the current partition, else (reason loss) if the loss draw falls
//     below Loss.
//  2. A's uplink: if A is squeezed to capacity C, the packet queues on a
//     FIFO of capacity C: it leaves at max(now, uplink free) + 8w/C. The
//     uplink is unlimited otherwise (no delay).
//  3. The directed link a→b is a FIFO of Bandwidth: it enters when it
//     leaves A's uplink, and leaves at depart = max(enter, link free) +
//     8w/Bandwidth (no delay when Bandwidth is 0).
//  4. It arrives at B's access link at depart + RTT/2 + jitter. The
//     jitter is the link direction's for the time slot the packet was
//     sent in (JitterSlot, 10 ms of virtual time): drawn uniformly in
//     [0, Jitter] once per direction and slot, so packets sent close
//     together see the same extra delay, as packets queueing behind each
//     other do. A flow (A's address and port to B's) is delivered in
//     order: arrival = max(arrival, the flow's previous arrival).
//  5. On arrival it is dropped (reason partition) if a and b are now on
//     different sides of a partition: packets on the way across a cut are
//     lost.
//  6. B's downlink: if B is squeezed to C, a FIFO of capacity C, minus the
//     junk that a flood sends at it (below). Else no delay.
//  7. It is handed to the connection listening at B's address and port, if
//     any (else dropped, reason unreachable, even if someone listened when
//     it was sent: a restarted node receives what was sent to its
//     address). The network hands over one datagram per nanosecond: one
//     due at the instant of the previous hand-over waits for the next free
//     nanosecond (in order of arrival, then of launch), so that every
//     receiver deals with each datagram apart. Each connection holds at
//     most Config.ReadBuffer (4 MiB) bytes of datagrams not yet read;
//     beyond that, reason queue.
//
// Every queue is bounded in time: a packet that would wait more than
// Config.QueueDelay (50 ms) in A's uplink, the link a→b or B's downlink
// is dropped (reason queue): a drop-tail buffer of 50 ms of that queue's
// capacity, like a router's. Serialisation times are rounded up to the
// nanosecond. Figures changed by SetLink apply to packets sent afterwards;
// Squeeze and Flood apply to packets reaching the endpoint's access link
// afterwards.
//
// # Floods
//
// Junk traffic is a fluid, not simulated packets: a flood of r packets/s
// of size s aims J = r·8(s+28) bit/s at B's downlink of capacity C. Junk
// has no effect on an endpoint whose capacity is unlimited (squeeze it to
// model a DDoS), and takes nothing of the uplink.
//
//   - J < C: the junk takes its share of the link first; legitimate
//     packets queue (FIFO, 50 ms bound) on the residual capacity C − J.
//   - J ≥ C: the downlink's buffer is always full. A legitimate packet gets
//     in with probability C/J (it is dropped, reason queue, with the
//     overflow fraction 1 − C/J, like every junk packet), and one that gets
//     in waits a full buffer: QueueDelay + 8w/C.
//
// The junk reaching the endpoint, and the part of it that the link cannot
// carry ((J − C)/J of it when J > C), are counted per endpoint (Junk,
// JunkDropped), apart from legitimate traffic. Junk costs no CPU in the
// simulation: neither the receiver's nor the simulator's.
//
// # Randomness
//
// Every random figure is a hash (SplitMix64) of Config.Seed, what the
// figure is for, and keys that do not count packets: a packet's loss and
// flood draws are keyed by its flow (source and destination address and
// port), the virtual instant it was sent at and its number among the
// flow's packets of that instant; a link direction's jitter by the
// direction and the time slot; the order of an instant's flows (below)
// by the flow and the instant. No random stream is shared, so neither the
// order goroutines run in nor a flow sending one packet more or less at
// some instant changes what is drawn at any other instant.
//
// # Instants
//
// Inside a bubble, a datagram written is not sent at once. The network
// starts a worker goroutine that calls synctest.Wait: it returns once
// every other goroutine of the bubble is durably blocked, that is once
// everything that runs at this virtual instant has run, timers that fire
// at it included, and has written what it writes. The worker then calls
// Config.Settled if set (nothing else of the bubble runs meanwhile),
// launches the datagrams written at the instant, and runs the events due
// (arrivals, hand-overs). The datagrams of an instant go out flow by flow
// in the order of a seeded rank (a hash of the seed, the flow and the
// instant), each flow's datagrams grouped by subflow (Config.Subflow: for
// QUIC, the destination connection ID, as connections can share a flow)
// and otherwise in the order they were written. So at one instant, timers
// fire and what they write is sent before datagrams are handed over, and
// hand-overs come one per nanosecond, each after what the previous one
// caused has settled. Given the same writes at each instant (per flow
// and subflow, the same datagrams in the same order), a network gives the
// same deliveries at the same times whatever order goroutines run in.
//
// synctest.Wait may be called by one goroutine of a bubble at a time: do
// not call it yourself in a bubble whose network carries traffic (one of
// the two calls panics; if it is the worker's, that instant's datagrams
// go out in the order they were written, and the network logs a warning
// once). Counters count a datagram when it is launched, so a snapshot
// taken at an instant does not include what is written at it.
//
// Outside a bubble synctest.Wait panics; the network notices at its first
// datagram and from then on launches each datagram as it is written and
// runs events when due, in real time (the benchmark runs so).
//
// # Time and goroutines
//
// Packets on the way are events in a heap, run in (time, scheduling
// order) by a worker goroutine that a datagram written, or one
// time.AfterFunc timer set for the earliest event, starts for the
// instant, and that ends once it has run them; readers block on
// channels. Inside a synctest bubble (create the Network and
// its connections there) everything takes virtual time, and a network
// with nothing left to deliver keeps no goroutine alive. Its mutexes are
// never held while waiting.
//
// # Connections
//
// The connections satisfy what quic-go needs of a net.PacketConn: ReadFrom
// blocks until a datagram, Close or the read deadline (then an error
// wrapping os.ErrDeadlineExceeded, a net.Error with Timeout, as a UDP
// socket's); after Close, reads and writes fail with an error wrapping
// net.ErrClosed and the address is free again; WriteTo needs a
// *net.UDPAddr and never blocks; SetReadBuffer and SetWriteBuffer accept
// and ignore a size (quic-go then does not warn). Like simnet's, they do
// not implement SyscallConn or ReadMsgUDP, so quic-go uses them as plain
// packet connections (no GSO, ECN or path MTU discovery).
//
// # Guarantees
//
// Counters add up: for every site pair, Sent = Delivered + the drops of
// every reason + the packets still on the way. Invalid arguments to
// SetLink, Partition, Squeeze and Flood (a site out of range, figures
// that cannot be simulated) are programming errors and panic: callers
// pass validated scenarios. New and Listen return errors.
package netsim
