package store

import (
	"errors"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
)

// KeyPrefix is the key prefix of the federation key setup's state (see
// docs/architecture.md §6). It holds the node's most sensitive data: the
// Shamir shares that make up its share of the collective HE secret key.
// Those are stored HPKE-sealed (to their recipient, this node's own seal
// key for its own share) so the Badger files alone do not reveal them.
const KeyPrefix = "k/"

// GetKey returns the value of k/<name>, or nil if there is none.
func (s *Store) GetKey(name string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(txn *badger.Txn) error {
		it, err := txn.Get([]byte(KeyPrefix + name))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		out, err = it.ValueCopy(nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read %s%s: %w", KeyPrefix, name, err)
	}
	return out, nil
}

// ListKeys returns every k/<prefix>… entry, keyed by the name after k/.
func (s *Store) ListKeys(prefix string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := s.db.View(func(txn *badger.Txn) error {
		p := []byte(KeyPrefix + prefix)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out[string(it.Item().Key()[len(KeyPrefix):])] = v
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s%s: %w", KeyPrefix, prefix, err)
	}
	return out, nil
}

// UpdateKeys writes set and deletes del (names under k/), all in one
// synchronous transaction.
func (s *Store) UpdateKeys(set map[string][]byte, del ...string) error {
	err := s.db.Update(func(txn *badger.Txn) error {
		for name, v := range set {
			if err := txn.Set([]byte(KeyPrefix+name), v); err != nil {
				return err
			}
		}
		for _, name := range del {
			if err := txn.Delete([]byte(KeyPrefix + name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", KeyPrefix, err)
	}
	return nil
}
