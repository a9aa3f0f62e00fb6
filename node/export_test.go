package node

import "github.com/dataembassy/embassy/thhe"

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
