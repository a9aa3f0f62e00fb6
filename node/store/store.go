package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"regexp"

	"github.com/dataembassy/embassy/protocol/pb"
	badger "github.com/dgraph-io/badger/v4"
	"google.golang.org/protobuf/proto"
)

// ErrBadRegistryName is returned for registry names a node will not store.
var ErrBadRegistryName = errors.New("bad registry name")

var registryName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// ValidRegistry reports whether name may be used as a registry name.
func ValidRegistry(name string) error {
	if !registryName.MatchString(name) {
		return fmt.Errorf("%w: %q", ErrBadRegistryName, name)
	}
	return nil
}

// Store is a node's Badger database.
type Store struct {
	db *badger.DB
}

// Open opens (or creates) the store in dir with synchronous writes.
func Open(dir string, log *slog.Logger) (*Store, error) {
	opts := badger.DefaultOptions(dir).
		WithSyncWrites(true).
		WithLogger(badgerLogger{log}).
		WithLoggingLevel(badger.WARNING).
		WithNumVersionsToKeep(1).
		WithValueLogFileSize(64 << 20).
		WithMemTableSize(32 << 20).
		WithBlockCacheSize(64 << 20)
	db, err := badger.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	return &Store{db: db}, nil
}

// Close flushes and closes the database.
func (s *Store) Close() error { return s.db.Close() }

// DB exposes the database for maintenance tools and tests.
func (s *Store) DB() *badger.DB { return s.db }

// SharePrefix is the key prefix of all record versions.
const SharePrefix = "r/"

// RecordPrefix is the key prefix of every version of one record.
func RecordPrefix(registry string, pseudonym []byte) []byte {
	k := make([]byte, 0, len(SharePrefix)+len(registry)+1+len(pseudonym)+8)
	k = append(k, SharePrefix...)
	k = append(k, registry...)
	k = append(k, 0)
	return append(k, pseudonym...)
}

func versionKey(registry string, pseudonym []byte, version uint64) []byte {
	return binary.BigEndian.AppendUint64(RecordPrefix(registry, pseudonym), version)
}

// Version is one record version to store.
type Version struct {
	Pseudonym []byte
	Number    uint64
	Share     *pb.StoredShare
}

// PutVersions stores versions of records of registry in one synchronous
// transaction. Versions already present are left as they are. It returns
// how many were new.
func (s *Store) PutVersions(registry string, vs []Version) (stored int, err error) {
	if err := ValidRegistry(registry); err != nil {
		return 0, err
	}
	err = s.db.Update(func(txn *badger.Txn) error {
		stored = 0
		for _, v := range vs {
			key := versionKey(registry, v.Pseudonym, v.Number)
			if _, err := txn.Get(key); err == nil {
				continue
			} else if !errors.Is(err, badger.ErrKeyNotFound) {
				return err
			}
			val, err := proto.Marshal(v.Share)
			if err != nil {
				return err
			}
			if err := txn.Set(key, val); err != nil {
				return err
			}
			stored++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store versions: %w", err)
	}
	return stored, nil
}

// Latest returns the newest stored version of each pseudonym (nil where
// none is stored).
func (s *Store) Latest(registry string, pseudonyms [][]byte) ([]*pb.StoredShare, error) {
	if err := ValidRegistry(registry); err != nil {
		return nil, err
	}
	out := make([]*pb.StoredShare, len(pseudonyms))
	err := s.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Reverse = true
		opts.PrefetchValues = false
		for i, p := range pseudonyms {
			prefix := RecordPrefix(registry, p)
			opts.Prefix = prefix
			it := txn.NewIterator(opts)
			it.Seek(append(bytes.Clone(prefix), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
			if it.ValidForPrefix(prefix) {
				val, err := it.Item().ValueCopy(nil)
				if err != nil {
					it.Close()
					return err
				}
				sh := &pb.StoredShare{}
				if err := proto.Unmarshal(val, sh); err != nil {
					it.Close()
					return fmt.Errorf("stored share under %x is corrupt: %w", it.Item().Key(), err)
				}
				out[i] = sh
			}
			it.Close()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read latest: %w", err)
	}
	return out, nil
}

func parcelKey(target uint32, id []byte) []byte {
	k := append([]byte("p/"), byte(target))
	return append(k, id...)
}

// PutParcels durably holds parcels for absent nodes.
func (s *Store) PutParcels(ps []*pb.Parcel) error {
	return s.db.Update(func(txn *badger.Txn) error {
		for _, p := range ps {
			val, err := proto.Marshal(p)
			if err != nil {
				return err
			}
			if err := txn.Set(parcelKey(p.Target, p.Id), val); err != nil {
				return err
			}
		}
		return nil
	})
}

// Parcels lists up to limit parcels held for target.
func (s *Store) Parcels(target uint32, limit int) ([]*pb.Parcel, error) {
	var out []*pb.Parcel
	err := s.db.View(func(txn *badger.Txn) error {
		prefix := parcelKey(target, nil)
		opts := badger.DefaultIteratorOptions
		opts.Prefix = prefix
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Seek(prefix); it.ValidForPrefix(prefix) && len(out) < limit; it.Next() {
			val, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			p := &pb.Parcel{}
			if err := proto.Unmarshal(val, p); err != nil {
				return fmt.Errorf("held parcel is corrupt: %w", err)
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// DeleteParcels forgets parcels that were delivered.
func (s *Store) DeleteParcels(ps []*pb.Parcel) error {
	return s.db.Update(func(txn *badger.Txn) error {
		for _, p := range ps {
			if err := txn.Delete(parcelKey(p.Target, p.Id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// CountParcels tells how many parcels are held per target.
func (s *Store) CountParcels() (map[uint32]int, error) {
	counts := map[uint32]int{}
	err := s.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = []byte("p/")
		opts.PrefetchValues = false
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()
			if len(k) > 2 {
				counts[uint32(k[2])]++
			}
		}
		return nil
	})
	return counts, err
}

type badgerLogger struct{ log *slog.Logger }

func (l badgerLogger) Errorf(f string, a ...any) {
	l.log.Error(fmt.Sprintf(f, a...), "component", "badger")
}
func (l badgerLogger) Warningf(f string, a ...any) {
	l.log.Warn(fmt.Sprintf(f, a...), "component", "badger")
}
func (l badgerLogger) Infof(f string, a ...any) {
	l.log.Debug(fmt.Sprintf(f, a...), "component", "badger")
}
func (l badgerLogger) Debugf(f string, a ...any) {
	l.log.Debug(fmt.Sprintf(f, a...), "component", "badger")
}
