package shares

import (
	"bytes"
	"crypto/ed25519"
	"testing"

	"go.dedis.ch/kyber/v3"
	"go.dedis.ch/kyber/v3/group/edwards25519"
	"go.dedis.ch/kyber/v3/share"
)

var benchRecord = bytes.Repeat([]byte("0123456789"), 25) // 250 bytes

func BenchmarkSplit(b *testing.B) {
	d, err := NewDealer(Params{Threshold: 3, Nodes: 5})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(benchRecord)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Split(benchRecord); err != nil {
			b.Fatal(err)
		}
	}
}

func benchShares(b *testing.B) []Share {
	d, err := NewDealer(Params{Threshold: 3, Nodes: 5})
	if err != nil {
		b.Fatal(err)
	}
	sh, err := d.Split(benchRecord)
	if err != nil {
		b.Fatal(err)
	}
	return []Share{sh[4], sh[1], sh[2]}
}

func BenchmarkCombine(b *testing.B) {
	sh := benchShares(b)
	b.SetBytes(int64(len(benchRecord)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Combine(sh, 3); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCombinerCombine(b *testing.B) {
	sh := benchShares(b)
	c, err := NewCombiner([]int{5, 2, 3})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(benchRecord)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Combine(sh); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMerkleTree1000(b *testing.B) {
	leaves := makeLeaves(1000)
	b.ReportAllocs()
	for b.Loop() {
		m := NewMerkleTree(leaves)
		for i := range leaves {
			_ = m.Proof(i)
		}
	}
}

// BenchmarkIngestRecord is the custodian's per-record work: seal (salt and
// commitment), split t=3 n=5, five share digests, a manifest leaf digest,
// plus 1/1000 of a Merkle tree with proofs and a batch signature. Run with
// -cpu 1,2 to see the parallel rate (one Dealer per goroutine).
func BenchmarkIngestRecord(b *testing.B) {
	_, priv, _ := ed25519.GenerateKey(nil)
	b.SetBytes(int64(len(benchRecord)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		d, err := NewDealer(Params{Threshold: 3, Nodes: 5})
		if err != nil {
			b.Error(err)
			return
		}
		leaves := make([]Digest, 0, 1000)
		manifest := make([]byte, 0, 5*32+32)
		for pb.Next() {
			secret, com := d.SealRecord(benchRecord)
			sh, err := d.Split(secret)
			if err != nil {
				b.Error(err)
				return
			}
			manifest = append(manifest[:0], com[:]...)
			for _, s := range sh {
				dg := ShareDigest(s.Index, s.Data)
				manifest = append(manifest, dg[:]...)
			}
			leaves = append(leaves, LeafDigest(manifest))
			if len(leaves) == cap(leaves) {
				m := NewMerkleTree(leaves)
				for i := range leaves {
					_ = m.Proof(i)
				}
				_ = SignBatch(priv, m.Root(), len(leaves))
				leaves = leaves[:0]
			}
		}
	})
}

// BenchmarkKyberSplit is the comparison: kyber's Shamir over edwards25519
// scalars, the 250-byte record cut into 31-byte chunks, t=3 n=5.
func BenchmarkKyberSplit(b *testing.B) {
	suite := edwards25519.NewBlakeSHA256Ed25519()
	stream := suite.RandomStream()
	b.SetBytes(int64(len(benchRecord)))
	b.ReportAllocs()
	for b.Loop() {
		out := make([][]*share.PriShare, 0, 9)
		for off := 0; off < len(benchRecord); off += 31 {
			chunk := benchRecord[off:min(off+31, len(benchRecord))]
			s := suite.Scalar().SetBytes(chunk)
			out = append(out, share.NewPriPoly(suite, 3, s, stream).Shares(5))
		}
		_ = out
	}
}

// BenchmarkKyberCombine recovers the same 9 chunks from 3 shares with kyber.
func BenchmarkKyberCombine(b *testing.B) {
	suite := edwards25519.NewBlakeSHA256Ed25519()
	stream := suite.RandomStream()
	var chunks [][]*share.PriShare
	for off := 0; off < len(benchRecord); off += 31 {
		s := suite.Scalar().SetBytes(benchRecord[off:min(off+31, len(benchRecord))])
		all := share.NewPriPoly(suite, 3, s, stream).Shares(5)
		chunks = append(chunks, []*share.PriShare{all[4], all[1], all[2]})
	}
	b.SetBytes(int64(len(benchRecord)))
	b.ReportAllocs()
	for b.Loop() {
		var out []kyber.Scalar
		for _, c := range chunks {
			s, err := share.RecoverSecret(suite, c, 3, 5)
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, s)
		}
		_ = out
	}
}
