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
	// Stats is the batch's signed change to the encrypted statistics (set
	// by the caller, see SignStats); every node gets the same.
	Stats *pb.StatsDelta
	trees []*shares.MerkleTree // node i's tree is trees[i-1]
}

// Served is record k of node index as the node serves it on Get: with its
// own Merkle proof and the batch seal.
func (d *Dealt) Served(index, k int) *pb.StoredShare {
	s := proto.Clone(d.PerNode[index-1][k]).(*pb.StoredShare)
	s.Proof = nil
	for _, p := range d.trees[index-1].Proof(k) {
		s.Proof = append(s.Proof, p[:])
	}
	s.Seal = d.Seal
	return s
}

// StoreRequest is the request that gives node index its part of the batch.
func (d *Dealt) StoreRequest(registry string, index int) *pb.StoreRequest {
	return &pb.StoreRequest{Registry: registry, Items: d.PerNode[index-1], Seal: d.Seal, Stats: d.Stats}
}

// BatchBuilder deals batches of records on the custodian's side: it seals
// each record with a secret salt, splits it, builds one Merkle tree per
// node over (manifest, that node's share) leaves, and signs the batch once
// over the root of the node roots. It is not safe for
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
	out := &Dealt{PerNode: make([][]*pb.StoredShare, n), trees: make([]*shares.MerkleTree, n)}
	leaves := make([][]shares.Digest, n)
	for j := range n {
		out.PerNode[j] = make([]*pb.StoredShare, len(recs))
		leaves[j] = make([]shares.Digest, len(recs))
	}
	for k, r := range recs {
		manifest, dealt, err := b.deal(registry, r)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", k, err)
		}
		for j := range n {
			s := &pb.StoredShare{Manifest: manifest, LeafIndex: uint32(k)}
			if dealt != nil {
				s.Share = dealt[j].Data
			}
			out.PerNode[j][k] = s
			leaves[j][k] = NodeLeaf(manifest, j+1, s.Share)
		}
	}
	nodeRoots := make([]shares.Digest, n)
	seal := &pb.BatchSeal{Count: uint32(len(recs)), NodeRoots: make([][]byte, n)}
	for j := range n {
		out.trees[j] = shares.NewMerkleTree(leaves[j])
		nodeRoots[j] = out.trees[j].Root()
		seal.NodeRoots[j] = nodeRoots[j][:]
	}
	root := shares.MerkleRoot(nodeRoots)
	seal.Root = root[:]
	seal.Signature = shares.SignBatch(b.custodian, root, len(recs))
	out.Seal = seal
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
	}
	enc, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, nil, fmt.Errorf("encode manifest: %w", err)
	}
	return enc, dealt, nil
}
