package netsim

import (
	"math/bits"
	"net/netip"
	"time"
)

// Draws: every random figure (a packet's loss, its fate in a flooded
// queue, a link's jitter, the order of the flows of one instant) is a
// hash of the network's seed, what the figure is for, and keys that do
// not depend on how many packets went before: a packet is named by its
// flow, the virtual instant it was sent at and its number among that
// flow's packets of that instant; a link's jitter by the link's direction
// and the time slot. No shared random stream is consumed, so neither the
// order in which goroutines send nor a flow sending one packet more or
// less at some instant changes what is drawn at any other instant.

// purpose separates the draws of one packet.
type purpose uint64

const (
	drawLoss purpose = iota + 1
	drawJitter
	drawFlood
	drawOrder
)

// JitterSlot is how long a link direction's jitter holds: the packets
// sent over it in one slot of virtual time (counted from the Unix epoch)
// get the same extra delay.
const JitterSlot = 10 * time.Millisecond

// mix is SplitMix64's finaliser: a bijection on 64 bits whose output bits
// each depend on every input bit.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// addrWord packs an IPv4 address and port into 48 bits.
func addrWord(a netip.AddrPort) uint64 {
	ip := a.Addr().As4()
	return uint64(ip[0])<<40 | uint64(ip[1])<<32 | uint64(ip[2])<<24 | uint64(ip[3])<<16 | uint64(a.Port())
}

// hash returns 64 random bits for purpose p and the keys, in order.
func hash(seed uint64, p purpose, keys ...uint64) uint64 {
	x := mix(seed ^ 0x9e3779b97f4a7c15)
	for i, k := range keys {
		x = mix(x ^ k ^ uint64(i+1)*0x6a09e667f3bcc908)
	}
	return mix(x ^ uint64(p)*0xd1b54a32d192ed03)
}

// packetDraw returns the random bits for purpose p of the packet number
// index among those the flow src→dst sent at the instant sent.
func packetDraw(seed uint64, src, dst netip.AddrPort, sent time.Time, index uint64, p purpose) uint64 {
	return hash(seed, p, addrWord(src), addrWord(dst), uint64(sent.UnixNano()), index)
}

// jitterDraw returns the random bits of the jitter of the directed link
// from→to for packets sent at the instant sent.
func jitterDraw(seed uint64, from, to int, sent time.Time) uint64 {
	return hash(seed, drawJitter, uint64(from)<<8|uint64(to), uint64(sent.UnixNano()/int64(JitterSlot)))
}

// orderDraw ranks the flow src→dst among the flows that send at the
// instant sent.
func orderDraw(seed uint64, src, dst netip.AddrPort, sent time.Time) uint64 {
	return hash(seed, drawOrder, addrWord(src), addrWord(dst), uint64(sent.UnixNano()))
}

// unit maps 64 random bits to [0, 1) with 53 bits of precision.
func unit(x uint64) float64 { return float64(x>>11) / (1 << 53) }

// below maps 64 random bits to [0, max] uniformly (max ≥ 0).
func below(x uint64, max time.Duration) time.Duration {
	hi, _ := bits.Mul64(x, uint64(max)+1)
	return time.Duration(hi)
}
