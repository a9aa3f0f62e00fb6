// Package simhost builds embassy libp2p hosts for simulations: the hosts
// transport.NewHost builds (the same identity, roster gater, no relay, no
// metrics: transport.BaseOptions), except that their only transport is
// QUIC over packet connections that the caller supplies — in-process
// simulated ones, inside a testing/synctest bubble — instead of TCP and
// UDP sockets.
//
// Guarantees: a simulated host authenticates its peers with libp2p's TLS
// 1.3 handshake and passes every connection through the roster gater,
// exactly as a real one does; it opens no real socket; and closing it
// stops every goroutine it started (libp2p does not close a QUIC
// connection manager supplied as an option, so New closes it with the
// host), so a synctest bubble can end. Identify's address discovery is
// off: it keeps a goroutine busy that stalls synctest, and a simulation
// knows every address from the roster. Simulated addresses are private
// (10.S.X.Y) but stand for public ones, so hosts dial them with libp2p's
// dial timeout for public addresses (15 s), not the 5 s for local ones.
//
// ConnID reads a QUIC packet's destination connection ID: it tells apart
// the connections that share a pair of addresses and ports, so that a
// simulated network can keep an order among their packets of one instant
// (sim/netsim's Config.Subflow).
package simhost
