package store

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/shares"
	badger "github.com/dgraph-io/badger/v4"
	"google.golang.org/protobuf/proto"
)

func batchKey(root []byte) []byte { return append([]byte("b/"), root...) }

// PutBatch stores a whole sealed batch (vs in leaf order, verified by
// protocol.Verifier.CheckBatch, which also gives this node's leaves): the
// seal and the node's leaf digests once, and
// each record without its Merkle proof and signature. Latest puts them
// back. It saves about 40% of the space per record.
func (s *Store) PutBatch(registry string, seal *pb.BatchSeal, nodeLeaves []shares.Digest, vs []Version) (int, error) {
	stored, _, err := s.PutBatchStats(registry, seal, nodeLeaves, vs, nil)
	return stored, err
}

// PutBatchStats is PutBatch that also keeps the batch's encrypted
// statistics delta (nil: the batch came without one, which is recorded as
// an empty entry so the registry's statistics are known to be incomplete),
// in the same transaction. statsNew says whether this call stored the
// batch's statistics entry (a batch delivered again does not), so the
// caller folds each batch's delta exactly once.
func (s *Store) PutBatchStats(registry string, seal *pb.BatchSeal, nodeLeaves []shares.Digest, vs []Version, stats []byte) (stored int, statsNew bool, err error) {
	if seal == nil || len(seal.Root) != 32 || int(seal.Count) != len(vs) || len(nodeLeaves) != len(vs) {
		return 0, false, fmt.Errorf("store batch: seal does not match %d records", len(vs))
	}
	leaves := make([]byte, 0, 32*len(vs))
	slim := make([]Version, len(vs))
	for i, v := range vs {
		leaves = append(leaves, nodeLeaves[i][:]...)
		sh := &pb.StoredShare{Manifest: v.Share.Manifest, Share: v.Share.Share, LeafIndex: v.Share.LeafIndex,
			Seal: &pb.BatchSeal{Root: seal.Root}}
		slim[i] = v
		slim[i].Share = sh
	}
	batch, err := proto.Marshal(&pb.StoredBatch{Seal: seal, Leaves: leaves})
	if err != nil {
		return 0, false, err
	}
	stored, err = s.putVersions(registry, slim, func(txn *badger.Txn, stored int) error {
		statsNew = false
		if stored == 0 { // a batch delivered again: nothing to write
			return nil
		}
		if err := txn.Set(batchKey(seal.Root), batch); err != nil {
			return err
		}
		sk := statsKey(registry, seal.Root)
		if _, err := txn.Get(sk); err == nil {
			return nil
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		statsNew = true
		return txn.Set(sk, stats)
	})
	return stored, statsNew && err == nil, err
}

// batchCache keeps the Merkle trees of recently read batches.
type batchCache struct {
	mu      sync.Mutex
	entries map[string]*cachedBatch
}

type cachedBatch struct {
	seal *pb.BatchSeal
	tree *shares.MerkleTree
}

const maxCachedBatches = 64

func (c *batchCache) get(root []byte) *cachedBatch {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[string(root)]
}

func (c *batchCache) put(root []byte, b *cachedBatch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedBatches {
		c.entries = map[string]*cachedBatch{}
	}
	c.entries[string(root)] = b
}

// expand puts back the seal and proof of a record stored by PutBatch.
func (s *Store) expand(txn *badger.Txn, sh *pb.StoredShare) error {
	if sh.Seal == nil || len(sh.Seal.Signature) != 0 || len(sh.Proof) != 0 {
		return nil // stored whole
	}
	root := sh.Seal.Root
	b := s.batches.get(root)
	if b == nil {
		var err error
		if b, err = loadBatch(txn, root); err != nil {
			return err
		}
		s.batches.put(root, b)
	}
	if int(sh.LeafIndex) >= b.tree.Len() {
		return fmt.Errorf("record's leaf %d is outside its batch of %d", sh.LeafIndex, b.tree.Len())
	}
	sh.Seal = b.seal
	for _, d := range b.tree.Proof(int(sh.LeafIndex)) {
		sh.Proof = append(sh.Proof, bytes.Clone(d[:]))
	}
	return nil
}

func loadBatch(txn *badger.Txn, root []byte) (*cachedBatch, error) {
	item, err := txn.Get(batchKey(root))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("batch %x is missing from the store", root)
	}
	if err != nil {
		return nil, err
	}
	sb := &pb.StoredBatch{}
	if err := item.Value(func(v []byte) error { return proto.Unmarshal(v, sb) }); err != nil {
		return nil, fmt.Errorf("stored batch %x is corrupt: %w", root, err)
	}
	if len(sb.Leaves)%32 != 0 || sb.Seal == nil {
		return nil, fmt.Errorf("stored batch %x is corrupt", root)
	}
	leaves := make([]shares.Digest, len(sb.Leaves)/32)
	for i := range leaves {
		copy(leaves[i][:], sb.Leaves[32*i:])
	}
	return &cachedBatch{seal: sb.Seal, tree: shares.NewMerkleTree(leaves)}, nil
}
