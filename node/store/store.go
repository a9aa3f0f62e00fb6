package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"sync"

	"github.com/dataembassy/embassy/protocol/pb"
	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
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
	db      *badger.DB
	batches batchCache
	writeMu sync.Mutex // serializes read-modify-write of the index

	presentMu sync.RWMutex // guards the pointer; the filter locks itself
	present   *presence
}

// Open opens (or creates) the store in dir with synchronous writes and the
// production settings (Options{}).
func Open(dir string, log *slog.Logger) (*Store, error) { return open(dir, log, false, Options{}) }

// Options tune how a store opens. The zero value is the production setting.
type Options struct {
	// Small trades write throughput for memory, for simulations that run
	// hundreds of nodes in one process: Badger allocates each memtable's
	// whole arena up front (about 1.3 × its size, so ~43 MiB of heap per
	// store at the production 32 MiB); Small uses 8 MiB memtables (the
	// smallest whose transaction limit still holds a request of
	// protocol.MaxItemsPerRequest records), at most two of them, and 16 MiB
	// value-log files. What is stored, and how it is read back, does not
	// change.
	Small bool
}

// OpenWith is Open with options.
func OpenWith(dir string, log *slog.Logger, o Options) (*Store, error) {
	return open(dir, log, false, o)
}

// OpenReadOnly opens an existing store for reading only, e.g. for an audit
// of a stopped node. Badger locks the directory: this fails while a node
// has the store open (and a reader keeps a node from opening it). Every
// write fails.
func OpenReadOnly(dir string, log *slog.Logger) (*Store, error) {
	return open(dir, log, true, Options{})
}

func open(dir string, log *slog.Logger, readOnly bool, o Options) (*Store, error) {
	if readOnly {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("open store %s: %w", dir, err)
		}
	}
	opts := badger.DefaultOptions(dir).
		WithReadOnly(readOnly).
		WithSyncWrites(true).
		WithLogger(badgerLogger{log}).
		WithLoggingLevel(badger.WARNING).
		WithNumVersionsToKeep(1).
		WithValueLogFileSize(64 << 20).
		WithMemTableSize(32 << 20).
		// Blocks are neither compressed nor encrypted: reads come from the
		// mmap, no block cache needed.
		WithBlockCacheSize(0).
		// Shares are uniformly random: compressing them only costs CPU.
		WithCompression(options.None).
		// Writers are serialized by Store.writeMu (the newest-version
		// index is read-modify-write), so Badger need not track reads.
		WithDetectConflicts(false).
		// Shares go to the value log and only keys and pointers to the
		// LSM tree (WiscKey): compaction then moves kilobytes, not the
		// shares, which keeps ingest fast as the store grows.
		WithValueThreshold(64).
		WithNumCompactors(2)
	if o.Small {
		opts = opts.WithMemTableSize(8 << 20).WithNumMemtables(2).WithValueLogFileSize(16 << 20)
	}
	db, err := badger.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	present, err := loadPresence(db, 0)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db, present: present}, nil
}

func (s *Store) presence() *presence {
	s.presentMu.RLock()
	defer s.presentMu.RUnlock()
	return s.present
}

// rebuildPresence replaces a full filter by a larger one. Writers hold
// writeMu, so no index key is written meanwhile.
func (s *Store) rebuildPresence() error {
	p, err := loadPresence(s.db, 0)
	if err != nil {
		return err
	}
	s.presentMu.Lock()
	s.present = p
	s.presentMu.Unlock()
	return nil
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
	Pseudonym  []byte
	Number     uint64
	Tombstone  bool
	ContentTag []byte
	Share      *pb.StoredShare
}

// Meta is what the index says of a record's newest version.
type Meta struct {
	Version    uint64
	Tombstone  bool
	ContentTag []byte
}

func latestKey(registry string, pseudonym []byte) []byte {
	k := RecordPrefix(registry, pseudonym)
	k[0] = 'l'
	return k
}

func encodeMeta(v Version) []byte {
	out := binary.BigEndian.AppendUint64(make([]byte, 0, 9+len(v.ContentTag)), v.Number)
	flag := byte(0)
	if v.Tombstone {
		flag = 1
	}
	return append(append(out, flag), v.ContentTag...)
}

func decodeMeta(b []byte) (Meta, error) {
	if len(b) < 9 {
		return Meta{}, fmt.Errorf("index entry of %d bytes is corrupt", len(b))
	}
	return Meta{Version: binary.BigEndian.Uint64(b), Tombstone: b[8] == 1, ContentTag: bytes.Clone(b[9:])}, nil
}

// PutVersions stores versions of records of registry in one synchronous
// transaction, and moves each record's index to its newest version. A
// stored version is immutable: storing it again changes nothing. It
// returns how many versions were new.
func (s *Store) PutVersions(registry string, vs []Version) (stored int, err error) {
	return s.putVersions(registry, vs, nil)
}

func (s *Store) putVersions(registry string, vs []Version, also func(txn *badger.Txn, stored int) error) (stored int, err error) {
	if err := ValidRegistry(registry); err != nil {
		return 0, err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	present := s.presence()
	full := false
	err = s.db.Update(func(txn *badger.Txn) error {
		stored = 0
		for _, v := range vs {
			isNew, wroteIndex, err := putVersion(txn, present, registry, v)
			if err != nil {
				return err
			}
			if isNew {
				stored++
			}
			if wroteIndex && present.add(latestKey(registry, v.Pseudonym)) {
				full = true
			}
		}
		if also != nil {
			return also(txn, stored)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store versions: %w", err)
	}
	if full {
		if err := s.rebuildPresence(); err != nil {
			return stored, err
		}
	}
	return stored, nil
}

// putVersion writes v unless it is stored already, and points the index at
// it if it is the record's newest. A record the presence filter has never
// seen costs no read; only a version older than the newest (a late parcel)
// costs a second one.
func putVersion(txn *badger.Txn, present *presence, registry string, v Version) (isNew, wroteIndex bool, err error) {
	lk := latestKey(registry, v.Pseudonym)
	var cur *Meta
	if present.mayHold(lk) {
		if cur, err = getMeta(txn, lk); err != nil {
			return false, false, err
		}
	}
	vk := versionKey(registry, v.Pseudonym, v.Number)
	switch {
	case cur != nil && cur.Version == v.Number:
		return false, false, nil
	case cur != nil && cur.Version > v.Number:
		if _, err := txn.Get(vk); err == nil {
			return false, false, nil
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return false, false, err
		}
	default:
		if err := txn.Set(lk, encodeMeta(v)); err != nil {
			return false, false, err
		}
		wroteIndex = true
	}
	val, err := proto.Marshal(v.Share)
	if err != nil {
		return false, false, err
	}
	return true, wroteIndex, txn.Set(vk, val)
}

func getMeta(txn *badger.Txn, key []byte) (*Meta, error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m Meta
	err = item.Value(func(b []byte) error {
		m, err = decodeMeta(b)
		return err
	})
	return &m, err
}

// Found is a record's newest version as stored.
type Found struct {
	Meta
	Share *pb.StoredShare // nil when only metadata was asked for
}

// Latest returns the newest stored version of each pseudonym (nil where
// none is stored). With metaOnly it reads only the index. A record whose
// stored version cannot be read is reported through onCorrupt (if set) and
// left out (nil), so one damaged record does not fail the others.
func (s *Store) Latest(registry string, pseudonyms [][]byte, metaOnly bool, onCorrupt func(pseudonym []byte, err error)) ([]*Found, error) {
	if err := ValidRegistry(registry); err != nil {
		return nil, err
	}
	out := make([]*Found, len(pseudonyms))
	err := s.db.View(func(txn *badger.Txn) error {
		// Taken after the read snapshot: a filter rebuilt later holds
		// everything this snapshot can see.
		present := s.presence()
		for i, p := range pseudonyms {
			lk := latestKey(registry, p)
			if !present.mayHold(lk) {
				continue
			}
			m, err := getMeta(txn, lk)
			if err != nil || m == nil {
				if err != nil {
					return err
				}
				continue
			}
			f := &Found{Meta: *m}
			if !metaOnly {
				if f.Share, err = getShare(txn, versionKey(registry, p, m.Version)); err == nil {
					err = s.expand(txn, f.Share)
				}
				if err != nil {
					if onCorrupt != nil {
						onCorrupt(p, err)
					}
					continue
				}
			}
			out[i] = f
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read latest: %w", err)
	}
	return out, nil
}

func getShare(txn *badger.Txn, key []byte) (*pb.StoredShare, error) {
	item, err := txn.Get(key)
	if err != nil {
		return nil, fmt.Errorf("indexed version %x: %w", key, err)
	}
	sh := &pb.StoredShare{}
	err = item.Value(func(b []byte) error { return proto.Unmarshal(b, sh) })
	if err != nil {
		return nil, fmt.Errorf("stored share under %x is corrupt: %w", key, err)
	}
	return sh, nil
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

// Parcels lists up to limit parcels held for target, and no more than
// maxBytes of sealed data (but always at least one, if any is held).
func (s *Store) Parcels(target uint32, limit, maxBytes int) ([]*pb.Parcel, error) {
	var out []*pb.Parcel
	size := 0
	err := s.db.View(func(txn *badger.Txn) error {
		prefix := parcelKey(target, nil)
		opts := badger.DefaultIteratorOptions
		opts.Prefix = prefix
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Seek(prefix); it.ValidForPrefix(prefix) && len(out) < limit; it.Next() {
			if len(out) > 0 && size+int(it.Item().ValueSize()) > maxBytes {
				break
			}
			size += int(it.Item().ValueSize())
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

// QuarantineParcels sets aside parcels their target refused for good: they
// are kept (under q/) for an operator to inspect, and no longer offered.
func (s *Store) QuarantineParcels(ps []*pb.Parcel) error {
	return s.db.Update(func(txn *badger.Txn) error {
		for _, p := range ps {
			val, err := proto.Marshal(p)
			if err != nil {
				return err
			}
			key := parcelKey(p.Target, p.Id)
			key[0] = 'q'
			if err := txn.Set(key, val); err != nil {
				return err
			}
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
