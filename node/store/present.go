package store

import (
	"fmt"
	"sync"

	"github.com/bits-and-blooms/bloom/v3"
	badger "github.com/dgraph-io/badger/v4"
)

// presence is an in-memory Bloom filter over the index keys of every
// record the store holds. It answers "certainly absent" without touching
// Badger, which is what most index reads during an ingest of new records
// ask; "maybe present" falls through to Badger. It never gives a false
// "absent": every index key written is added before its transaction
// commits, and the filter is rebuilt from the index at open and whenever
// it fills up.
type presence struct {
	mu     sync.RWMutex
	filter *bloom.BloomFilter
	keys   uint // keys added
	limit  uint // rebuild beyond this many keys
}

const (
	minPresenceKeys = 1 << 20
	presenceFP      = 0.01
)

func newPresence(expected uint) *presence {
	capacity := max(2*expected, minPresenceKeys)
	return &presence{filter: bloom.NewWithEstimates(capacity, presenceFP), limit: capacity}
}

// mayHold reports whether key may be in the index.
func (p *presence) mayHold(key []byte) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.filter.Test(key)
}

// add records key; it reports whether the filter is over capacity.
func (p *presence) add(key []byte) (full bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.filter.Add(key)
	p.keys++
	return p.keys > p.limit
}

// loadPresence builds the filter from the index keys in db.
func loadPresence(db *badger.DB, extra uint) (*presence, error) {
	var keys [][]byte
	err := db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = []byte("l/")
		opts.PrefetchValues = false
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load record index: %w", err)
	}
	p := newPresence(uint(len(keys)) + extra)
	for _, k := range keys {
		p.filter.Add(k)
	}
	p.keys = uint(len(keys))
	return p, nil
}
