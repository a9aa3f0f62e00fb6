package shares

import (
	"crypto/sha256"
	"errors"
	"fmt"
)

// The Merkle tree follows RFC 6962 §2.1 (Certificate Transparency): a leaf
// is hashed as SHA-256(0x00 || leaf digest), an interior node as
// SHA-256(0x01 || left || right), and a tree of n > 1 leaves splits at the
// largest power of two below n. There is no duplication of odd nodes, so
// distinct leaf lists of different lengths never share a root by
// construction (no CVE-2012-2459 ambiguity), and the prefix bytes keep leaf
// and interior hashes apart. The root of the empty tree is SHA-256("").
// The batch signature also covers the leaf count.

var errNoLeaves = errors.New("shares: no leaves")

func leafHash(d Digest) Digest {
	var b [1 + len(d)]byte
	b[0] = 0x00
	copy(b[1:], d[:])
	return sha256.Sum256(b[:])
}

func nodeHash(l, r Digest) Digest {
	var b [1 + 2*len(l)]byte
	b[0] = 0x01
	copy(b[1:], l[:])
	copy(b[1+len(l):], r[:])
	return sha256.Sum256(b[:])
}

// MerkleTree holds every level of a Merkle tree so that all proofs of a batch
// cost O(n log n) in total. Building it is O(n) hashes.
type MerkleTree struct {
	// levels[0] are the leaf hashes, the last level is the root.
	levels [][]Digest
}

// NewMerkleTree builds the tree over leaves (which it does not retain).
func NewMerkleTree(leaves []Digest) *MerkleTree {
	if len(leaves) == 0 {
		return &MerkleTree{}
	}
	level := make([]Digest, len(leaves))
	for i, l := range leaves {
		level[i] = leafHash(l)
	}
	levels := [][]Digest{level}
	// Pairing left to right and promoting a lone last node unchanged yields
	// exactly the RFC 6962 tree.
	for len(level) > 1 {
		next := make([]Digest, (len(level)+1)/2)
		for i := range next {
			if 2*i+1 < len(level) {
				next[i] = nodeHash(level[2*i], level[2*i+1])
			} else {
				next[i] = level[2*i]
			}
		}
		levels = append(levels, next)
		level = next
	}
	return &MerkleTree{levels: levels}
}

// Len returns the number of leaves.
func (m *MerkleTree) Len() int {
	if len(m.levels) == 0 {
		return 0
	}
	return len(m.levels[0])
}

// Root returns the tree's root (SHA-256("") for an empty tree).
func (m *MerkleTree) Root() Digest {
	if len(m.levels) == 0 {
		return sha256.Sum256(nil)
	}
	return m.levels[len(m.levels)-1][0]
}

// Proof returns the inclusion proof (audit path, bottom-up) of leaf i, or nil
// if i is out of range. A tree of one leaf has an empty, non-nil proof.
func (m *MerkleTree) Proof(i int) []Digest {
	if i < 0 || i >= m.Len() {
		return nil
	}
	proof := make([]Digest, 0, len(m.levels)-1)
	for _, level := range m.levels[:len(m.levels)-1] {
		if sib := i ^ 1; sib < len(level) {
			proof = append(proof, level[sib])
		}
		i >>= 1
	}
	return proof
}

// MerkleRoot returns the RFC 6962 root of leaves.
func MerkleRoot(leaves []Digest) Digest {
	return NewMerkleTree(leaves).Root()
}

// MerkleProof returns the inclusion proof of leaves[index].
func MerkleProof(leaves []Digest, index int) ([]Digest, error) {
	if len(leaves) == 0 {
		return nil, errNoLeaves
	}
	if index < 0 || index >= len(leaves) {
		return nil, fmt.Errorf("shares: leaf index %d out of range [0, %d)", index, len(leaves))
	}
	return NewMerkleTree(leaves).Proof(index), nil
}

// VerifyMerkleProof reports whether proof shows that leaf is leaf number
// index of a tree of count leaves with the given root (RFC 9162 §2.1.3.2).
// A proof alone does not pin count (a path can have the same shape in trees
// of several sizes), so count must be the one covered by the batch
// signature (VerifyBatch), as must root.
func VerifyMerkleProof(leaf Digest, index, count int, proof []Digest, root Digest) bool {
	if count <= 0 || index < 0 || index >= count || len(proof) > 64 {
		return false
	}
	fn, sn := uint64(index), uint64(count-1)
	r := leafHash(leaf)
	for _, p := range proof {
		if sn == 0 {
			return false
		}
		if fn&1 == 1 || fn == sn {
			r = nodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = nodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	return sn == 0 && r == root
}
