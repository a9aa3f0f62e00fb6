package transport

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
)

// PeerID derives the libp2p peer ID of an Ed25519 public key.
func PeerID(pub ed25519.PublicKey) (peer.ID, error) {
	k, err := crypto.UnmarshalEd25519PublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("peer id: %w", err)
	}
	return peer.IDFromPublicKey(k)
}

// HostConfig says how to build a host.
type HostConfig struct {
	Key    ed25519.PrivateKey
	Listen []string // multiaddrs; empty for a client that only dials
	Gater  *Gater
	// TCPOnly leaves QUIC out. Clients use it: a TCP dial to a node that is
	// down fails at once, where a QUIC dial waits for its handshake timeout,
	// so a look-up does not stall on a dead node.
	TCPOnly bool
}

// HostFactory builds a host from a HostConfig. NewHost is the one real
// processes use; a simulator supplies another (e.g. QUIC over simulated
// packet connections) built on BaseOptions, so that its hosts keep the same
// identity, gater and relay rules.
type HostFactory func(HostConfig) (host.Host, error)

// BaseOptions are the libp2p options of every embassy host, whatever its
// transports: the identity from cfg.Key, no relay, no metrics, the roster
// gater cfg.Gater, the embassy user agent, and cfg.Listen (or no listen
// addresses). A factory adds its transports (and libp2p.NoTransports, so
// that libp2p's default ones stay out).
func BaseOptions(cfg HostConfig) ([]libp2p.Option, error) {
	priv, err := crypto.UnmarshalEd25519PrivateKey(cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	if cfg.Gater == nil {
		return nil, errors.New("host: no connection gater")
	}
	opts := []libp2p.Option{
		libp2p.Identity(priv),
		libp2p.DisableRelay(),
		libp2p.DisableMetrics(),
		libp2p.ConnectionGater(cfg.Gater),
		libp2p.UserAgent("embassy"),
	}
	if len(cfg.Listen) == 0 {
		opts = append(opts, libp2p.NoListenAddrs)
	} else {
		opts = append(opts, libp2p.ListenAddrStrings(cfg.Listen...))
	}
	return opts, nil
}

// NewHost builds a libp2p host with TCP (Noise, yamux) and, unless TCPOnly,
// QUIC; no relay; and the roster gater. It is a HostFactory.
func NewHost(cfg HostConfig) (host.Host, error) {
	opts, err := BaseOptions(cfg)
	if err != nil {
		return nil, err
	}
	opts = append(opts,
		libp2p.Security(noise.ID, noise.New),
		libp2p.Transport(tcp.NewTCPTransport))
	if !cfg.TCPOnly {
		opts = append(opts, libp2p.Transport(quic.NewTransport))
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("start libp2p host: %w", err)
	}
	return h, nil
}

var _ HostFactory = NewHost
