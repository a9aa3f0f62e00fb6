package protocol

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/shares"
	"google.golang.org/protobuf/proto"
)

// ErrEmptyBatch is returned when a batch has no records.
var ErrEmptyBatch = errors.New("empty batch")

// RecordInput is one record version for the custodian to deal.
type RecordInput struct {
	Pseudonym  []byte
	ContentTag []byte
	Encoded    []byte // registry-encoded record; nil for a tombstone
	Tombstone  bool
	Version    uint64
}

// Dealt is a batch split for the nodes: PerNode[i] holds node i+1's shares,
// in the order of the inputs (leaf order), without proofs or seal: send
// them with Seal in one StoreRequest.
type Dealt struct {
	PerNode [][]*pb.StoredShare
	Seal    *pb.BatchSeal
	tree    *shares.MerkleTree
}

// Served is record k of node index as the node serves it on Get: with its
// own Merkle proof and the batch seal.
func (d *Dealt) Served(index, k int) *pb.StoredShare {
	s := proto.Clone(d.PerNode[index-1][k]).(*pb.StoredShare)
	for _, p := range d.tree.Proof(k) {
		s.Proof = append(s.Proof, p[:])
	}
	s.Seal = d.Seal
	return s
}

// StoreRequest is the request that gives node index its part of the batch.
func (d *Dealt) StoreRequest(registry string, index int) *pb.StoreRequest {
	return &pb.StoreRequest{Registry: registry, Items: d.PerNode[index-1], Seal: d.Seal}
}

// BatchBuilder deals batches of records on the custodian's side: it seals
// each record with a secret salt, splits it, commits to every share, and
// signs the batch once through a Merkle tree of manifests. It is not safe for
// concurrent use (it owns a Dealer); use one per goroutine.
type BatchBuilder struct {
	dealer       *shares.Dealer
	custodian    ed25519.PrivateKey
	rosterDigest []byte
	params       shares.Params
}

// NewBatchBuilder returns a builder for a roster with n nodes and threshold t.
func NewBatchBuilder(custodian ed25519.PrivateKey, rosterDigest []byte, n, t int) (*BatchBuilder, error) {
	params := shares.Params{Threshold: t, Nodes: n}
	dealer, err := shares.NewDealer(params)
	if err != nil {
		return nil, err
	}
	return &BatchBuilder{dealer: dealer, custodian: custodian, rosterDigest: rosterDigest, params: params}, nil
}

// Build deals recs of registry into per-node shares under one batch seal.
func (b *BatchBuilder) Build(registry string, recs []RecordInput) (*Dealt, error) {
	if len(recs) == 0 {
		return nil, ErrEmptyBatch
	}
	n := b.params.Nodes
	manifests := make([][]byte, len(recs))
	nodeShares := make([][]shares.Share, len(recs))
	leaves := make([]shares.Digest, len(recs))
	for i, r := range recs {
		m, sh, err := b.deal(registry, r)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
		manifests[i], nodeShares[i] = m, sh
		leaves[i] = shares.LeafDigest(m)
	}
	tree := shares.NewMerkleTree(leaves)
	root := tree.Root()
	seal := &pb.BatchSeal{Root: root[:], Count: uint32(len(recs)),
		Signature: shares.SignBatch(b.custodian, root, len(recs))}
	out := &Dealt{PerNode: make([][]*pb.StoredShare, n), Seal: seal, tree: tree}
	for j := range n {
		out.PerNode[j] = make([]*pb.StoredShare, len(recs))
	}
	for i := range recs {
		for j := range n {
			s := &pb.StoredShare{Manifest: manifests[i], LeafIndex: uint32(i)}
			if nodeShares[i] != nil {
				s.Share = nodeShares[i][j].Data
			}
			out.PerNode[j][i] = s
		}
	}
	return out, nil
}

func (b *BatchBuilder) deal(registry string, r RecordInput) ([]byte, []shares.Share, error) {
	m := &pb.RecordManifest{Registry: registry, Pseudonym: r.Pseudonym, Version: r.Version,
		Tombstone: r.Tombstone, ContentTag: r.ContentTag, Threshold: uint32(b.params.Threshold),
		RosterDigest: b.rosterDigest}
	var dealt []shares.Share
	if !r.Tombstone {
		secret, commitment := b.dealer.SealRecord(r.Encoded)
		var err error
		dealt, err = b.dealer.Split(secret)
		if err != nil {
			return nil, nil, err
		}
		m.Commitment = commitment[:]
		m.ShareDigests = make([][]byte, len(dealt))
		for j, s := range dealt {
			d := shares.ShareDigest(s.Index, s.Data)
			m.ShareDigests[j] = d[:]
		}
	}
	enc, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, nil, fmt.Errorf("encode manifest: %w", err)
	}
	return enc, dealt, nil
}
