package store_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"testing"

	"github.com/dataembassy/embassy/node/store"
	"github.com/dataembassy/embassy/protocol/pb"
	badger "github.com/dgraph-io/badger/v4"
	"google.golang.org/protobuf/proto"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func open(t *testing.T, dir string) *store.Store {
	t.Helper()
	s, err := store.Open(dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func pseudonym(c byte) []byte { return bytes.Repeat([]byte{c}, 32) }

// version is a stored share whose manifest bytes name the version, so a
// test can tell versions apart.
func version(p []byte, n uint64) store.Version {
	return store.Version{Pseudonym: p, Number: n, Share: &pb.StoredShare{
		Manifest: fmt.Appendf(nil, "manifest %x v%d", p[:2], n), Share: []byte{byte(n)}, LeafIndex: uint32(n % 7)}}
}

// versionsOf counts the stored versions of one record.
func versionsOf(t *testing.T, s *store.Store, registry string, p []byte) int {
	t.Helper()
	n := 0
	err := s.DB().View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = store.RecordPrefix(registry, p)
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func wantLatest(t *testing.T, s *store.Store, registry string, ps [][]byte, want []*pb.StoredShare) {
	t.Helper()
	got, err := s.Latest(registry, ps, false, nil)
	if err != nil {
		t.Fatalf("Latest: %v", err)
	}
	meta, err := s.Latest(registry, ps, true, nil)
	if err != nil {
		t.Fatalf("Latest meta-only: %v", err)
	}
	if len(got) != len(want) || len(meta) != len(want) {
		t.Fatalf("Latest returned %d (meta-only %d) items for %d pseudonyms", len(got), len(meta), len(ps))
	}
	for i := range want {
		if (want[i] == nil) != (got[i] == nil) || (want[i] != nil && !proto.Equal(got[i].Share, want[i])) {
			t.Errorf("Latest[%d] = %v, want %v", i, got[i], want[i])
		}
		if (want[i] == nil) != (meta[i] == nil) || (meta[i] != nil && (meta[i].Share != nil || meta[i].Version != got[i].Version)) {
			t.Errorf("Latest meta-only[%d] = %+v, want the version without the share", i, meta[i])
		}
	}
}

func TestPutVersionsLatest(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	a, b, c := pseudonym(1), pseudonym(2), pseudonym(3)
	// Versions arrive out of order; the numerically newest wins, including
	// across byte boundaries (255 < 256) and at the largest version.
	vs := []store.Version{version(a, 256), version(a, 3), version(a, 255), version(b, 7), version(c, math.MaxUint64), version(c, 1)}
	n, err := s.PutVersions("land", vs)
	if err != nil || n != len(vs) {
		t.Fatalf("PutVersions = (%d, %v), want (%d, nil)", n, err, len(vs))
	}
	wantLatest(t, s, "land", [][]byte{a, pseudonym(9), b, c, a},
		[]*pb.StoredShare{vs[0].Share, nil, vs[3].Share, vs[4].Share, vs[0].Share})
	if got := versionsOf(t, s, "land", a); got != 3 {
		t.Errorf("record a keeps %d versions, want 3", got)
	}
	// Registries are kept apart.
	wantLatest(t, s, "population", [][]byte{a, b}, []*pb.StoredShare{nil, nil})
	// No pseudonyms, no items.
	wantLatest(t, s, "land", nil, nil)
}

func TestPutVersionsIdempotent(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	a := pseudonym(1)
	if n, err := s.PutVersions("land", []store.Version{version(a, 1), version(a, 2)}); err != nil || n != 2 {
		t.Fatalf("first put = (%d, %v)", n, err)
	}
	if n, err := s.PutVersions("land", []store.Version{version(a, 1), version(a, 2)}); err != nil || n != 0 {
		t.Fatalf("same put again = (%d, %v), want 0 new", n, err)
	}
	// A version already present is left as it is, even with other bytes.
	changed := version(a, 2)
	changed.Share.Share = []byte("other")
	if n, err := s.PutVersions("land", []store.Version{changed, version(a, 3)}); err != nil || n != 1 {
		t.Fatalf("one old, one new = (%d, %v), want 1 new", n, err)
	}
	wantLatest(t, s, "land", [][]byte{a}, []*pb.StoredShare{version(a, 3).Share})
	var val []byte
	err := s.DB().View(func(txn *badger.Txn) error {
		item, err := txn.Get(append(store.RecordPrefix("land", a), 0, 0, 0, 0, 0, 0, 0, 2))
		if err != nil {
			return err
		}
		val, err = item.ValueCopy(nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	kept := &pb.StoredShare{}
	if err := proto.Unmarshal(val, kept); err != nil || !proto.Equal(kept, version(a, 2).Share) {
		t.Errorf("version 2 was overwritten: %v (%v)", kept, err)
	}
	// Empty put.
	if n, err := s.PutVersions("land", nil); err != nil || n != 0 {
		t.Fatalf("empty put = (%d, %v)", n, err)
	}
}

func TestBadRegistryName(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	for _, name := range []string{"", "Land", "1land", "land-registry", "land\x00x", "r/land",
		"a_very_long_registry_name_over_32", "land ", "lä"} {
		if err := store.ValidRegistry(name); !errors.Is(err, store.ErrBadRegistryName) {
			t.Errorf("ValidRegistry(%q) = %v", name, err)
		}
		if _, err := s.PutVersions(name, []store.Version{version(pseudonym(1), 1)}); !errors.Is(err, store.ErrBadRegistryName) {
			t.Errorf("PutVersions(%q) = %v, want ErrBadRegistryName", name, err)
		}
		if _, err := s.Latest(name, [][]byte{pseudonym(1)}, false, nil); !errors.Is(err, store.ErrBadRegistryName) {
			t.Errorf("Latest(%q) = %v, want ErrBadRegistryName", name, err)
		}
	}
	for _, name := range []string{"land", "population", "b", "a_very_long_registry_name_of_32c", "reg_2"} {
		if err := store.ValidRegistry(name); err != nil {
			t.Errorf("ValidRegistry(%q) = %v", name, err)
		}
	}
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	a := pseudonym(1)
	if _, err := s.PutVersions("land", []store.Version{version(a, 1), version(a, 2)}); err != nil {
		t.Fatal(err)
	}
	ps := parcels(2, 3)
	if err := s.PutParcels(ps); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	defer s.Close()
	wantLatest(t, s, "land", [][]byte{a}, []*pb.StoredShare{version(a, 2).Share})
	if n, err := s.PutVersions("land", []store.Version{version(a, 2)}); err != nil || n != 0 {
		t.Errorf("re-put after reopen = (%d, %v), want 0 new", n, err)
	}
	got, err := s.Parcels(2, 10, 1<<20)
	if err != nil || len(got) != 3 {
		t.Fatalf("parcels after reopen: %d (%v), want 3", len(got), err)
	}
}

// parcels makes count distinct parcels for target.
func parcels(target uint32, count int) []*pb.Parcel {
	out := make([]*pb.Parcel, count)
	for i := range out {
		sealed := fmt.Appendf(nil, "sealed for %d, #%d", target, i)
		id := sha256.Sum256(sealed)
		out[i] = &pb.Parcel{Target: target, Id: id[:], Sealed: sealed}
	}
	return out
}

func TestParcels(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	for2, for3 := parcels(2, 5), parcels(3, 1)
	if err := s.PutParcels(append(append([]*pb.Parcel{}, for2...), for3...)); err != nil {
		t.Fatal(err)
	}
	// Holding the same parcel again does not duplicate it.
	if err := s.PutParcels(for2[:2]); err != nil {
		t.Fatal(err)
	}
	counts, err := s.CountParcels()
	if err != nil {
		t.Fatal(err)
	}
	if want := map[uint32]int{2: 5, 3: 1}; !maps.Equal(counts, want) {
		t.Fatalf("CountParcels = %v, want %v", counts, want)
	}
	got, err := s.Parcels(2, 3, 1<<20)
	if err != nil || len(got) != 3 {
		t.Fatalf("Parcels(2, limit 3) = %d (%v), want 3", len(got), err)
	}
	all, err := s.Parcels(2, 100, 1<<20)
	if err != nil || len(all) != 5 {
		t.Fatalf("Parcels(2, limit 100) = %d (%v), want 5", len(all), err)
	}
	seen := map[string]bool{}
	for _, p := range all {
		if p.Target != 2 {
			t.Errorf("Parcels(2) returned a parcel for %d", p.Target)
		}
		seen[string(p.Id)] = true
	}
	for _, p := range for2 {
		if !seen[string(p.Id)] {
			t.Errorf("parcel %x missing", p.Id[:4])
		}
	}
	if none, err := s.Parcels(1, 10, 1<<20); err != nil || len(none) != 0 {
		t.Errorf("Parcels(1) = %d (%v), want none", len(none), err)
	}

	if err := s.DeleteParcels(got); err != nil {
		t.Fatal(err)
	}
	left, err := s.Parcels(2, 100, 1<<20)
	if err != nil || len(left) != 2 {
		t.Fatalf("after deleting 3 of 5: %d left (%v)", len(left), err)
	}
	for _, p := range left {
		for _, d := range got {
			if bytes.Equal(p.Id, d.Id) {
				t.Errorf("deleted parcel %x still held", p.Id[:4])
			}
		}
	}
	// Deleting what is gone already is harmless.
	if err := s.DeleteParcels(got); err != nil {
		t.Fatal(err)
	}
	// A byte budget smaller than one parcel still yields one.
	if one, err := s.Parcels(2, 100, 1); err != nil || len(one) != 1 {
		t.Fatalf("Parcels with a tiny budget = %d (%v), want 1", len(one), err)
	}
	// A parcel set aside is no longer offered or counted.
	if err := s.QuarantineParcels(left[:1]); err != nil {
		t.Fatal(err)
	}
	if rest, err := s.Parcels(2, 100, 1<<20); err != nil || len(rest) != 1 || bytes.Equal(rest[0].Id, left[0].Id) {
		t.Fatalf("after setting one aside: %d offered (%v), want the other one", len(rest), err)
	}
	if err := s.DeleteParcels(append(left, for3...)); err != nil {
		t.Fatal(err)
	}
	if counts, err := s.CountParcels(); err != nil || len(counts) != 0 {
		t.Fatalf("CountParcels after deleting all = %v (%v)", counts, err)
	}
}
