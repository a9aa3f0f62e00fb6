package netsim

import (
	"math/bits"
	"net/netip"
	"time"
)

// Draws: every random figure of a packet (its loss, its jitter, its fate
// in a flooded queue) is a hash of the network's seed, the packet's flow
// (source and destination address and port), the packet's number in that
// flow, and what the figure is for. No shared random stream is consumed,
// so the order in which goroutines send does not change what any flow
// draws.

// purpose separates the draws of one packet.
type purpose uint64

const (
	drawLoss purpose = iota + 1
	drawJitter
	drawFlood
)

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

// draw returns the 64 random bits of packet number count of the flow
// src→dst for purpose p.
func draw(seed uint64, src, dst netip.AddrPort, count uint64, p purpose) uint64 {
	x := mix(seed ^ 0x9e3779b97f4a7c15)
	x = mix(x ^ addrWord(src))
	x = mix(x ^ addrWord(dst) ^ 0x6a09e667f3bcc908)
	x = mix(x ^ count)
	return mix(x ^ uint64(p)*0xd1b54a32d192ed03)
}

// unit maps 64 random bits to [0, 1) with 53 bits of precision.
func unit(x uint64) float64 { return float64(x>>11) / (1 << 53) }

// below maps 64 random bits to [0, max] uniformly (max ≥ 0).
func below(x uint64, max time.Duration) time.Duration {
	hi, _ := bits.Mul64(x, uint64(max)+1)
	return time.Duration(hi)
}
