package node

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/dataembassy/embassy/cube"
	"github.com/dataembassy/embassy/node/store"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/shares"
	"github.com/dataembassy/embassy/thhe"
)

// TestStatisticsCheckpoint: after more deltas than checkpointEvery, the
// node keeps a checkpoint and marks the folded deltas, and a restart
// rebuilds exactly the same state (digest) from checkpoint and deltas.
func TestStatisticsCheckpoint(t *testing.T) {
	params, err := thhe.TestParams()
	if err != nil {
		t.Fatal(err)
	}
	_, pk := thhe.NewTargetKeyPair(params)
	s, err := registry.Lookup("land")
	if err != nil {
		t.Fatal(err)
	}
	gen, err := registry.NewGenerator("land", 3)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := store.Open(dir, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	book := newStatsBook(params, st)
	acc, err := cube.NewAccumulator(s, params.Slots())
	if err != nil {
		t.Fatal(err)
	}
	const batches = checkpointEvery + 5
	for b := range batches {
		acc.Reset()
		for range 3 {
			if err := acc.Add(gen.Next(), +1); err != nil {
				t.Fatal(err)
			}
		}
		d, err := acc.Encrypt(params, pk)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := d.MarshalBinary()
		root := make([]byte, 32)
		rand.Read(root)
		seal := &pb.BatchSeal{Root: root, Count: 1}
		v := store.Version{Pseudonym: root, Number: 1, ContentTag: root, Share: &pb.StoredShare{Manifest: []byte{byte(b)}}}
		_, isNew, err := st.PutBatchStats("land", seal, []shares.Digest{{}}, []store.Version{v}, raw)
		if err != nil || !isNew {
			t.Fatalf("batch %d: new %v, %v", b, isNew, err)
		}
		if err := book.fold("land", root, d); err != nil {
			t.Fatal(err)
		}
	}
	var before registryStats
	if err := book.with("land", func(rs registryStats) error { before = rs; return nil }); err != nil {
		t.Fatal(err)
	}
	if before.Batches != batches {
		t.Fatalf("folded %d batches, want %d", before.Batches, batches)
	}
	folded, kept := 0, 0
	if err := st.EachStats("land", func(_, delta []byte) error {
		if bytes.Equal(delta, store.StatsFolded) {
			folded++
		} else {
			kept++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if folded != checkpointEvery || kept != batches-checkpointEvery {
		t.Fatalf("%d deltas marked folded and %d kept, want %d and %d", folded, kept, checkpointEvery, batches-checkpointEvery)
	}
	st.Close()

	st, err = store.Open(dir, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	again := newStatsBook(params, st)
	if err := again.load(); err != nil {
		t.Fatal(err)
	}
	var after registryStats
	if err := again.with("land", func(rs registryStats) error { after = rs; return nil }); err != nil {
		t.Fatal(err)
	}
	if after.Digest != before.Digest || after.Batches != before.Batches {
		t.Fatalf("after a restart: %d batches, digest %x; before %d, %x", after.Batches, after.Digest[:4], before.Batches, before.Digest[:4])
	}
}
