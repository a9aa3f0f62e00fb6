package transport

import (
	"crypto/ed25519"
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

// NewHost builds a libp2p host with TCP (Noise, yamux) and, unless TCPOnly,
// QUIC; no relay; and the roster gater.
func NewHost(cfg HostConfig) (host.Host, error) {
	priv, err := crypto.UnmarshalEd25519PrivateKey(cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	opts := []libp2p.Option{
		libp2p.Identity(priv),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.DisableRelay(),
		libp2p.DisableMetrics(),
		libp2p.ConnectionGater(cfg.Gater),
		libp2p.UserAgent("embassy"),
	}
	if !cfg.TCPOnly {
		opts = append(opts, libp2p.Transport(quic.NewTransport))
	}
	if len(cfg.Listen) == 0 {
		opts = append(opts, libp2p.NoListenAddrs)
	} else {
		opts = append(opts, libp2p.ListenAddrStrings(cfg.Listen...))
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("start libp2p host: %w", err)
	}
	return h, nil
}
