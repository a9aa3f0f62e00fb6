package protocol

import (
	"github.com/dataembassy/embassy/shares"
)

// NodeLeaf is node index's Merkle leaf for one record: it binds the
// record's manifest to the share that node holds.
func NodeLeaf(manifest []byte, index int, share []byte) shares.Digest {
	d := shares.ShareDigest(index, share)
	buf := make([]byte, 0, len(manifest)+len(d))
	buf = append(append(buf, manifest...), d[:]...)
	return shares.LeafDigest(buf)
}

func digestOf(b []byte) (shares.Digest, bool) {
	var d shares.Digest
	if len(b) != len(d) {
		return d, false
	}
	copy(d[:], b)
	return d, true
}

// checkNodeRoots checks that the seal's node roots hash to its root and
// returns node index's root.
func checkNodeRoots(rootBytes []byte, nodeRoots [][]byte, nodes, index int) (shares.Digest, bool) {
	if len(nodeRoots) != nodes || index < 1 || index > nodes {
		return shares.Digest{}, false
	}
	roots := make([]shares.Digest, nodes)
	for i, r := range nodeRoots {
		d, ok := digestOf(r)
		if !ok {
			return shares.Digest{}, false
		}
		roots[i] = d
	}
	top := shares.MerkleRoot(roots)
	root, ok := digestOf(rootBytes)
	if !ok || top != root {
		return shares.Digest{}, false
	}
	return roots[index-1], true
}
