package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Statistics and query records.
//
//	s/<registry>\x00<batch root>  the batch's encrypted statistics delta
//	                              (empty: the batch came without one;
//	                              StatsFolded: it is in the checkpoint)
//	sc/<registry>                 the checkpoint: a fold of many deltas
//	qa/<query id><attempt>        when this node evaluated that attempt
//
// Neither holds plaintext: deltas are ciphertexts under the collective key.
const (
	statsPrefix      = "s/"
	checkpointPrefix = "sc/"
	attemptPrefix    = "qa/"
)

// StatsFolded is the value an s/ entry takes once its delta is part of the
// registry's checkpoint (sc/<registry>): the batch is still known (a batch
// delivered again is not folded twice), its delta no longer kept.
var StatsFolded = []byte{1}

// Checkpoint returns the registry's statistics checkpoint (a cube.State
// encoding), or nil.
func (s *Store) Checkpoint(registry string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(txn *badger.Txn) error {
		it, err := txn.Get([]byte(checkpointPrefix + registry))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		out, err = it.ValueCopy(nil)
		return err
	})
	return out, err
}

// PutCheckpoint stores state as the registry's statistics checkpoint and
// marks the deltas of the batches roots as folded into it, in one
// transaction: after it, loading the checkpoint and the remaining deltas
// gives the same state as before.
func (s *Store) PutCheckpoint(registry string, state []byte, roots [][]byte) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.db.Update(func(txn *badger.Txn) error {
		if err := txn.Set([]byte(checkpointPrefix+registry), state); err != nil {
			return err
		}
		for _, r := range roots {
			if err := txn.Set(statsKey(registry, r), StatsFolded); err != nil {
				return err
			}
		}
		return nil
	})
}

// CollectGarbage rewrites Badger value-log files that are mostly stale
// (superseded deltas and checkpoints), until none is; it returns how many
// files it rewrote.
func (s *Store) CollectGarbage() (int, error) {
	n := 0
	for {
		err := s.db.RunValueLogGC(0.5)
		if errors.Is(err, badger.ErrNoRewrite) || errors.Is(err, badger.ErrRejected) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

func statsKey(registry string, root []byte) []byte {
	k := append([]byte(statsPrefix), registry...)
	k = append(k, 0)
	return append(k, root...)
}

// EachStats calls fn for every stored statistics delta of registry (empty
// delta: a batch stored without statistics), in key order.
func (s *Store) EachStats(registry string, fn func(root, delta []byte) error) error {
	prefix := statsKey(registry, nil)
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: false})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			root := it.Item().KeyCopy(nil)[len(prefix):]
			err := it.Item().Value(func(v []byte) error { return fn(root, v) })
			if err != nil {
				return fmt.Errorf("statistics of %s: %w", registry, err)
			}
		}
		return nil
	})
}

// ErrAttemptUsed is returned by ReserveAttempt for a (query, attempt) this
// node evaluated before.
var ErrAttemptUsed = errors.New("query attempt already evaluated")

func attemptKey(id [32]byte, attempt uint32) []byte {
	k := append([]byte(attemptPrefix), id[:]...)
	return binary.BigEndian.AppendUint32(k, attempt)
}

// ReserveAttempt durably records that this node evaluates attempt of query
// id, before it does: a second call for the same pair fails with
// ErrAttemptUsed, even after a restart.
func (s *Store) ReserveAttempt(id [32]byte, attempt uint32, at time.Time) error {
	key := attemptKey(id, attempt)
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.db.Update(func(txn *badger.Txn) error {
		if _, err := txn.Get(key); err == nil {
			return ErrAttemptUsed
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		return txn.Set(key, binary.BigEndian.AppendUint64(nil, uint64(at.UnixMilli())))
	})
}

// Attempts lists the attempts of query id this node has evaluated.
func (s *Store) Attempts(id [32]byte) ([]uint32, error) {
	var out []uint32
	prefix := append([]byte(attemptPrefix), id[:]...)
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()
			if len(k) == len(prefix)+4 {
				out = append(out, binary.BigEndian.Uint32(k[len(prefix):]))
			}
		}
		return nil
	})
	return out, err
}

// PruneAttempts deletes the records of query attempts evaluated before
// cutoff and returns how many it deleted. Call it with a cutoff older than
// any query that can still be fresh (nodes refuse expired queries), so a
// pruned record can never be needed to refuse a replay.
func (s *Store) PruneAttempts(cutoff time.Time) (int, error) {
	var stale [][]byte
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(attemptPrefix), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			err := it.Item().Value(func(v []byte) error {
				if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) < cutoff.UnixMilli() {
					stale = append(stale, it.Item().KeyCopy(nil))
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || len(stale) == 0 {
		return 0, err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, k := range stale {
		if err := wb.Delete(k); err != nil {
			return 0, err
		}
	}
	if err := wb.Flush(); err != nil {
		return 0, err
	}
	return len(stale), nil
}
