package protocol

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/shares"
	"google.golang.org/protobuf/proto"
)

// ErrInvalidShare is returned when a stored share fails verification. The
// wrapped message says which check failed.
var ErrInvalidShare = errors.New("invalid share")

// Verifier checks stored shares against the custodian's key and the roster.
// It caches verified batch seals, so a batch's signature is checked once.
// It is safe for concurrent use.
type Verifier struct {
	custodian    ed25519.PublicKey
	rosterDigest []byte
	nodes        int
	threshold    int

	mu    sync.Mutex
	seals map[string]bool
}

// NewVerifier returns a Verifier for one roster.
func NewVerifier(custodian ed25519.PublicKey, rosterDigest []byte, nodes, threshold int) *Verifier {
	return &Verifier{custodian: custodian, rosterDigest: bytes.Clone(rosterDigest),
		nodes: nodes, threshold: threshold, seals: map[string]bool{}}
}

const maxCachedSeals = 4096

// Check verifies that s is a share the custodian dealt to node index for a
// record of registry (and pseudonym, if non-nil), and returns its manifest.
func (v *Verifier) Check(s *pb.StoredShare, index int, registry string, pseudonym []byte) (*pb.RecordManifest, error) {
	m := &pb.RecordManifest{}
	if err := proto.Unmarshal(s.GetManifest(), m); err != nil {
		return nil, fmt.Errorf("%w: manifest does not decode: %w", ErrInvalidShare, err)
	}
	if err := v.checkManifest(m, registry, pseudonym); err != nil {
		return nil, err
	}
	if err := checkShareShape(s, m); err != nil {
		return nil, err
	}
	if err := v.checkSeal(s, index); err != nil {
		return nil, err
	}
	return m, nil
}

// checkShareShape checks what the manifest says of the share: a tombstone
// has none, a live record has one. That the share is the one the custodian
// dealt to this node is proven by the node's Merkle leaf (checkSeal).
func checkShareShape(s *pb.StoredShare, m *pb.RecordManifest) error {
	if m.Tombstone && len(s.Share) != 0 {
		return fmt.Errorf("%w: tombstone carries a share", ErrInvalidShare)
	}
	if !m.Tombstone && len(s.Share) == 0 {
		return fmt.Errorf("%w: live record without a share", ErrInvalidShare)
	}
	return nil
}

// CheckBatch verifies a whole batch for node index: items in leaf order
// under seal, without proofs of their own. It rebuilds the node's Merkle
// tree from its leaves (two hashes per record), checks its root against the
// seal's node root, the node roots against the signed root, the signature,
// and each manifest. It returns the manifests and the node's leaves.
func (v *Verifier) CheckBatch(seal *pb.BatchSeal, items []*pb.StoredShare, index int, registry string) ([]*pb.RecordManifest, []shares.Digest, error) {
	if seal == nil || int(seal.Count) != len(items) || len(items) == 0 {
		return nil, nil, fmt.Errorf("%w: batch seal does not cover the %d items sent", ErrInvalidShare, len(items))
	}
	nodeRoot, ok := checkNodeRoots(seal.Root, seal.NodeRoots, v.nodes, index)
	if !ok {
		return nil, nil, fmt.Errorf("%w: batch seal's node roots do not match its root", ErrInvalidShare)
	}
	leaves := make([]shares.Digest, len(items))
	for i, it := range items {
		if int(it.LeafIndex) != i {
			return nil, nil, fmt.Errorf("%w: item %d has leaf index %d", ErrInvalidShare, i, it.LeafIndex)
		}
		leaves[i] = NodeLeaf(it.Manifest, index, it.Share)
	}
	if shares.MerkleRoot(leaves) != nodeRoot {
		return nil, nil, fmt.Errorf("%w: batch does not hash to node %d's sealed root", ErrInvalidShare, index)
	}
	if err := v.checkSealSignature(seal); err != nil {
		return nil, nil, err
	}
	out := make([]*pb.RecordManifest, len(items))
	for i, it := range items {
		m := &pb.RecordManifest{}
		if err := proto.Unmarshal(it.Manifest, m); err != nil {
			return nil, nil, fmt.Errorf("%w: item %d: manifest does not decode: %w", ErrInvalidShare, i, err)
		}
		if err := v.checkManifest(m, registry, nil); err != nil {
			return nil, nil, fmt.Errorf("item %d: %w", i, err)
		}
		if err := checkShareShape(it, m); err != nil {
			return nil, nil, fmt.Errorf("item %d: %w", i, err)
		}
		out[i] = m
	}
	return out, leaves, nil
}

// CheckEach verifies items that each carry their own proof and seal.
func (v *Verifier) CheckEach(items []*pb.StoredShare, index int, registry string) ([]*pb.RecordManifest, error) {
	out := make([]*pb.RecordManifest, len(items))
	for i, it := range items {
		m, err := v.Check(it, index, registry, nil)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		out[i] = m
	}
	return out, nil
}

func (v *Verifier) checkManifest(m *pb.RecordManifest, registry string, pseudonym []byte) error {
	switch {
	case m.Registry != registry:
		return fmt.Errorf("%w: manifest is for registry %q, not %q", ErrInvalidShare, m.Registry, registry)
	case len(m.Pseudonym) != PseudonymSize:
		return fmt.Errorf("%w: pseudonym is %d bytes", ErrInvalidShare, len(m.Pseudonym))
	case pseudonym != nil && !bytes.Equal(m.Pseudonym, pseudonym):
		return fmt.Errorf("%w: manifest is for another record", ErrInvalidShare)
	case !bytes.Equal(m.RosterDigest, v.rosterDigest):
		return fmt.Errorf("%w: manifest is for another roster", ErrInvalidShare)
	case int(m.Threshold) != v.threshold:
		return fmt.Errorf("%w: threshold %d, roster says %d", ErrInvalidShare, m.Threshold, v.threshold)
	case m.Version == 0:
		return fmt.Errorf("%w: version 0", ErrInvalidShare)
	case !m.Tombstone && len(m.Commitment) != 32:
		return fmt.Errorf("%w: commitment of %d bytes", ErrInvalidShare, len(m.Commitment))
	}
	return nil
}

func (v *Verifier) checkSeal(s *pb.StoredShare, index int) error {
	seal := s.GetSeal()
	if seal == nil || seal.Count == 0 || s.LeafIndex >= seal.Count {
		return fmt.Errorf("%w: missing or malformed batch seal", ErrInvalidShare)
	}
	nodeRoot, ok := checkNodeRoots(seal.Root, seal.NodeRoots, v.nodes, index)
	if !ok {
		return fmt.Errorf("%w: batch seal's node roots do not match its root", ErrInvalidShare)
	}
	proof := make([]shares.Digest, len(s.Proof))
	for i, p := range s.Proof {
		d, ok := digestOf(p)
		if !ok {
			return fmt.Errorf("%w: malformed Merkle proof", ErrInvalidShare)
		}
		proof[i] = d
	}
	leaf := NodeLeaf(s.Manifest, index, s.Share)
	if !shares.VerifyMerkleProof(leaf, int(s.LeafIndex), int(seal.Count), proof, nodeRoot) {
		return fmt.Errorf("%w: share or manifest is not the one the custodian dealt to node %d", ErrInvalidShare, index)
	}
	return v.checkSealSignature(seal)
}

// checkSealSignature verifies the custodian's signature on a batch root,
// once per distinct seal.
func (v *Verifier) checkSealSignature(seal *pb.BatchSeal) error {
	var root shares.Digest
	copy(root[:], seal.Root)
	key := string(binary.BigEndian.AppendUint32(append(bytes.Clone(seal.Root), seal.Signature...), seal.Count))
	v.mu.Lock()
	ok := v.seals[key]
	v.mu.Unlock()
	if ok {
		return nil
	}
	if !shares.VerifyBatch(v.custodian, root, int(seal.Count), seal.Signature) {
		return fmt.Errorf("%w: batch signature does not verify with the custodian's key", ErrInvalidShare)
	}
	v.mu.Lock()
	if len(v.seals) >= maxCachedSeals {
		clear(v.seals)
	}
	v.seals[key] = true
	v.mu.Unlock()
	return nil
}
