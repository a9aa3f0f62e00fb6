package transport

import (
	"fmt"

	"github.com/dataembassy/embassy/roster"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// Gater admits only peers listed in the roster: nodes, the custodian and the
// services. It refuses everyone else after the Noise handshake has
// authenticated their peer ID, before any stream can be opened.
type Gater struct {
	roles map[peer.ID]roster.Role
	keys  map[peer.ID][]byte
}

// NewGater builds a gater from a verified roster.
func NewGater(r roster.Roster) (*Gater, error) {
	g := &Gater{roles: map[peer.ID]roster.Role{}, keys: map[peer.ID][]byte{}}
	add := func(key []byte, role roster.Role) error {
		id, err := PeerID(key)
		if err != nil {
			return err
		}
		g.roles[id], g.keys[id] = role, key
		return nil
	}
	if err := add(r.Custodian.SigningKey, roster.RoleCustodian); err != nil {
		return nil, fmt.Errorf("gater: custodian: %w", err)
	}
	for _, s := range r.Services {
		if err := add(s.SigningKey, roster.RoleService); err != nil {
			return nil, fmt.Errorf("gater: service %s: %w", s.Name, err)
		}
	}
	for _, c := range r.Coordinators {
		if err := add(c.SigningKey, roster.RoleCoordinator); err != nil {
			return nil, fmt.Errorf("gater: coordinator %s: %w", c.Name, err)
		}
	}
	for _, n := range r.Nodes {
		if err := add(n.SigningKey, roster.RoleNode); err != nil {
			return nil, fmt.Errorf("gater: node %s: %w", n.Name, err)
		}
	}
	return g, nil
}

// Role of a peer (RoleNone if it is not on the roster).
func (g *Gater) Role(p peer.ID) roster.Role { return g.roles[p] }

// Key is the Ed25519 public key of a listed peer.
func (g *Gater) Key(p peer.ID) []byte { return g.keys[p] }

func (g *Gater) allowed(p peer.ID) bool { return g.roles[p] != roster.RoleNone }

// InterceptPeerDial refuses to dial unlisted peers.
func (g *Gater) InterceptPeerDial(p peer.ID) bool { return g.allowed(p) }

// InterceptAddrDial refuses to dial unlisted peers.
func (g *Gater) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return g.allowed(p) }

// InterceptAccept accepts any connection attempt; the peer is checked once
// the handshake authenticates it.
func (g *Gater) InterceptAccept(network.ConnMultiaddrs) bool { return true }

// InterceptSecured refuses authenticated peers that are not listed.
func (g *Gater) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return g.allowed(p)
}

// InterceptUpgraded allows what passed InterceptSecured.
func (g *Gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }
