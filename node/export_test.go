package node

import (
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/thhe"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
)

// ThresholdParty exposes the node's assembled threshold party to tests, so
// they can check the collective key end to end (encrypt, key-switch with t
// nodes' shares, decrypt).
func (n *Node) ThresholdParty() (*thhe.Party, thhe.Group) {
	n.keys.mu.Lock()
	defer n.keys.mu.Unlock()
	return n.keys.party, n.keys.g
}

// KeyEntries counts the node's key-setup store entries under k/<prefix>.
func (n *Node) KeyEntries(prefix string) int {
	n.keys.mu.Lock()
	defer n.keys.mu.Unlock()
	m, err := n.store.ListKeys(prefix)
	if err != nil {
		return -1
	}
	return len(m)
}

// Federation exposes what keySetup.federation gives the query path.
func (n *Node) Federation() (party *thhe.Party, g thhe.Group, pk *rlwe.PublicKey, keys thhe.EvaluationKeys, ok bool) {
	fed, ok := n.keys.federation()
	if !ok {
		return nil, thhe.Group{}, nil, thhe.EvaluationKeys{}, false
	}
	return fed.Party, fed.Group, fed.PublicKey, fed.Keys, true
}

// GaloisElements lists the elements the setup makes Galois keys for, in order.
func (n *Node) GaloisElements() []uint64 { return n.keys.els }

// GKGShareAsMember answers as a member asked by the coordinator for its
// share of the Galois key of el in instance attempt.
func (n *Node) GKGShareAsMember(el uint64, attempt uint32) ([]byte, error) {
	return n.gkgShare(el, attempt)
}

// CKGShareAsMember answers as a member asked by the coordinator (node 1)
// for its share of the collective public key.
func (n *Node) CKGShareAsMember() ([]byte, error) {
	ks := n.keys
	seed := thhe.Seed(protocol.KeySetupSeed(n.digest[:], "ckg", ks.epoch))
	return n.ckgShare(n.roster.Nodes[0], &pb.CKGShareRequest{Seed: seed[:], ActiveSet: setToWire(ks.set)})
}
