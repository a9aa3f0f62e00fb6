package store

import (
	"crypto/rand"
	"testing"

	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/shares"
)

func benchBatch(n int) (*pb.BatchSeal, []shares.Digest, []Version) {
	vs := make([]Version, n)
	leaves := make([]shares.Digest, n)
	for i := range vs {
		rand.Read(leaves[i][:])
		p := make([]byte, 32)
		rand.Read(p)
		manifest := make([]byte, 320)
		share := make([]byte, 200)
		rand.Read(share)
		vs[i] = Version{Pseudonym: p, Number: uint64(i + 1), ContentTag: p,
			Share: &pb.StoredShare{Manifest: manifest, Share: share, LeafIndex: uint32(i)}}
	}
	root := make([]byte, 32)
	rand.Read(root)
	return &pb.BatchSeal{Root: root, Count: uint32(n), Signature: make([]byte, 64)}, leaves, vs
}

// BenchmarkPutBatch stores batches of 1000 new records with synchronous
// commits, as a node does on ingest.
func BenchmarkPutBatch(b *testing.B) {
	s, err := Open(b.TempDir(), discard())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		seal, leaves, vs := benchBatch(1000)
		b.StartTimer()
		if _, err := s.PutBatch("population", seal, leaves, vs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/record")
}

// BenchmarkLatestMissing is the index look-up of records a node does not
// hold (what change detection asks during a first ingest).
func BenchmarkLatestMissing(b *testing.B) {
	s, err := Open(b.TempDir(), discard())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	seal, leaves, vs := benchBatch(1000)
	if _, err := s.PutBatch("population", seal, leaves, vs); err != nil {
		b.Fatal(err)
	}
	_, _, others := benchBatch(1000)
	ps := make([][]byte, len(others))
	for i, v := range others {
		ps[i] = v.Pseudonym
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Latest("population", ps, true, nil); err != nil {
			b.Fatal(err)
		}
	}
}
