package store_test

import (
	"runtime"
	"testing"

	"github.com/dataembassy/embassy/node/store"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
)

// fullRequest is one version of each of protocol.MaxItemsPerRequest
// records: the largest write a node makes in one transaction.
func fullRequest() ([]store.Version, [][]byte, []*pb.StoredShare) {
	vs := make([]store.Version, protocol.MaxItemsPerRequest)
	ps := make([][]byte, len(vs))
	want := make([]*pb.StoredShare, len(vs))
	for i := range vs {
		p := make([]byte, 32)
		p[0], p[1], p[31] = byte(i>>8), byte(i), 0xee
		v := version(p, uint64(i%5+1))
		v.ContentTag = make([]byte, 32)
		vs[i], ps[i], want[i] = v, p, v.Share
	}
	return vs, ps, want
}

// A small store takes the largest request a node accepts in one
// transaction, and a store written small reads back the same opened with
// the production settings, and the other way round.
func TestSmallStoreHoldsAFullRequest(t *testing.T) {
	vs, ps, want := fullRequest()
	for _, tc := range []struct {
		name        string
		write, read store.Options
	}{
		{"small then production", store.Options{Small: true}, store.Options{}},
		{"production then small", store.Options{}, store.Options{Small: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := store.OpenWith(dir, quiet(), tc.write)
			if err != nil {
				t.Fatal(err)
			}
			if n, err := s.PutVersions("population", vs); err != nil || n != len(vs) {
				t.Fatalf("PutVersions of %d versions = (%d, %v)", len(vs), n, err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s, err = store.OpenWith(dir, quiet(), tc.read)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			wantLatest(t, s, "population", ps, want)
		})
	}
}

// heapOfOpenStores is the heap that count open stores hold.
func heapOfOpenStores(t *testing.T, o store.Options, count int) uint64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	stores := make([]*store.Store, count)
	for i := range stores {
		s, err := store.OpenWith(t.TempDir(), quiet(), o)
		if err != nil {
			t.Fatal(err)
		}
		stores[i] = s
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	for _, s := range stores {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return (after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc)) / uint64(count)
}

// Small is what it is for: an open store holds a fraction of the heap.
func TestSmallStoreHeap(t *testing.T) {
	const count = 3
	small := heapOfOpenStores(t, store.Options{Small: true}, count)
	prod := heapOfOpenStores(t, store.Options{}, count)
	t.Logf("heap per open store: %.1f MiB small, %.1f MiB production", float64(small)/(1<<20), float64(prod)/(1<<20))
	if small > 16<<20 || 3*small > prod {
		t.Errorf("a small store holds %d bytes of heap, a production one %d: want at most 16 MiB and a third",
			small, prod)
	}
}
