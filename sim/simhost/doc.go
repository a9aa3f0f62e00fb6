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
// knows every address from the roster.
package simhost
