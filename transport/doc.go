// Package transport runs Embassy's protocols over libp2p: it builds hosts
// (TCP with Noise and yamux, and QUIC) whose connection gater admits only
// the peers that the signed roster lists, serves request/response protocols
// with a size bound and a deadline on every stream, and implements
// protocol.Transport for callers.
//
// A malformed or oversized message resets that one stream; it never stops a
// handler or the host.
package transport
