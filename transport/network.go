package transport

import (
	"context"
	"fmt"

	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/roster"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	ma "github.com/multiformats/go-multiaddr"
	"google.golang.org/protobuf/proto"
)

// NodePeer is a roster node with its libp2p peer ID.
type NodePeer struct {
	roster.Node
	ID peer.ID
}

// Network is one principal's view of the roster's nodes through its host.
// It implements protocol.Transport.
type Network struct {
	Host  host.Host
	Gater *Gater
	Nodes []NodePeer // Nodes[i] has roster index i+1
}

var _ protocol.Transport = (*Network)(nil)

// NewNetwork records the roster nodes' addresses in h's peerstore.
func NewNetwork(h host.Host, g *Gater, r roster.Roster) (*Network, error) {
	nw := &Network{Host: h, Gater: g}
	for _, n := range r.Nodes {
		id, err := PeerID(n.SigningKey)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Name, err)
		}
		addrs := make([]ma.Multiaddr, 0, len(n.Addrs))
		for _, a := range n.Addrs {
			m, err := ma.NewMultiaddr(a)
			if err != nil {
				return nil, fmt.Errorf("node %s: address %q: %w", n.Name, a, err)
			}
			addrs = append(addrs, m)
		}
		if id != h.ID() {
			h.Peerstore().AddAddrs(id, addrs, peerstore.PermanentAddrTTL)
		}
		nw.Nodes = append(nw.Nodes, NodePeer{Node: n, ID: id})
	}
	return nw, nil
}

// Exchange sends req to the node with roster index and reads its response.
func (nw *Network) Exchange(ctx context.Context, index int, id protocol.ID, req, resp proto.Message) error {
	if index < 1 || index > len(nw.Nodes) {
		return fmt.Errorf("no node with index %d", index)
	}
	return Exchange(ctx, nw.Host, nw.Nodes[index-1].ID, id, req, resp)
}

// NodeName is the roster name of the node with that index.
func (nw *Network) NodeName(index int) string {
	if index < 1 || index > len(nw.Nodes) {
		return fmt.Sprintf("node#%d", index)
	}
	return nw.Nodes[index-1].Name
}

// Close shuts the host down.
func (nw *Network) Close() error { return nw.Host.Close() }
