package protocol_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/shares"
	"google.golang.org/protobuf/proto"
)

func TestNewBatchBuilderParams(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	for _, c := range []struct{ n, t int }{{3, 0}, {3, 4}, {0, 0}, {256, 2}} {
		if _, err := protocol.NewBatchBuilder(key, make([]byte, 32), c.n, c.t); err == nil {
			t.Errorf("NewBatchBuilder(n=%d, t=%d): no error", c.n, c.t)
		}
	}
}

func TestBuildEmpty(t *testing.T) {
	f := newFixture(t, 3, 2)
	if _, err := f.builder.Build(testRegistry, nil); !errors.Is(err, protocol.ErrEmptyBatch) {
		t.Fatalf("Build(nil) = %v, want ErrEmptyBatch", err)
	}
}

func TestBuildShape(t *testing.T) {
	f := newFixture(t, 5, 3)
	recs := []protocol.RecordInput{f.record("a", "record a"), f.record("b", ""), f.tombstone("c"), f.record("d", "record d, longer than a share element")}
	d := f.build(t, recs...)

	if len(d.PerNode) != f.n {
		t.Fatalf("%d nodes dealt, want %d", len(d.PerNode), f.n)
	}
	if d.Seal == nil || d.Seal.Count != uint32(len(recs)) || len(d.Seal.Root) != 32 {
		t.Fatalf("seal %v, want count %d and a 32-byte root", d.Seal, len(recs))
	}
	var root shares.Digest
	copy(root[:], d.Seal.Root)
	if !shares.VerifyBatch(f.key.Public().(ed25519.PublicKey), root, len(recs), d.Seal.Signature) {
		t.Fatal("batch signature does not verify")
	}
	for k, r := range recs {
		m := &pb.RecordManifest{}
		if err := proto.Unmarshal(d.PerNode[0][k].Manifest, m); err != nil {
			t.Fatalf("record %d: manifest: %v", k, err)
		}
		if m.Registry != testRegistry || !bytes.Equal(m.Pseudonym, r.Pseudonym) || m.Version != r.Version ||
			m.Tombstone != r.Tombstone || !bytes.Equal(m.ContentTag, r.ContentTag) ||
			int(m.Threshold) != f.t || !bytes.Equal(m.RosterDigest, f.digest) {
			t.Errorf("record %d: manifest %v does not describe input %+v", k, m, r)
		}
		if r.Tombstone {
			if len(m.Commitment) != 0 {
				t.Errorf("record %d: tombstone manifest has a %d-byte commitment", k, len(m.Commitment))
			}
		} else if len(m.Commitment) != 32 {
			t.Errorf("record %d: a %d-byte commitment", k, len(m.Commitment))
		}
		var sh []shares.Share
		for i := 1; i <= f.n; i++ {
			s := d.PerNode[i-1][k]
			if !bytes.Equal(s.Manifest, d.PerNode[0][k].Manifest) {
				t.Errorf("record %d: node %d has another manifest", k, i)
			}
			if s.LeafIndex != uint32(k) || !proto.Equal(s.Seal, d.Seal) {
				t.Errorf("record %d, node %d: leaf index %d or seal differs", k, i, s.LeafIndex)
			}
			if r.Tombstone {
				if len(s.Share) != 0 {
					t.Errorf("record %d: tombstone carries a share for node %d", k, i)
				}
				continue
			}
			// Node i's served share verifies for i (its leaf binds the share).
			if _, err := f.verifier().Check(d.Served(i, k), i, testRegistry, r.Pseudonym); err != nil {
				t.Errorf("record %d: node %d's served share: %v", k, i, err)
			}
			sh = append(sh, shares.Share{Index: i, Data: s.Share})
		}
		if r.Tombstone {
			continue
		}
		// Any t shares rebuild the sealed record.
		secret, err := shares.Combine(sh[f.n-f.t:], f.t)
		if err != nil {
			t.Fatalf("record %d: combine: %v", k, err)
		}
		var c shares.Digest
		copy(c[:], m.Commitment)
		rec, err := shares.OpenRecord(secret, c)
		if err != nil || !bytes.Equal(rec, r.Encoded) {
			t.Errorf("record %d: rebuilt %q (%v), want %q", k, rec, err, r.Encoded)
		}
	}
}

// TestBuildFreshSalt: dealing the same record twice gives other shares and
// another commitment, so equal records cannot be linked by their shares.
func TestBuildFreshSalt(t *testing.T) {
	f := newFixture(t, 3, 2)
	r := f.record("a", "same content")
	d1, d2 := f.build(t, r), f.build(t, r)
	if bytes.Equal(d1.PerNode[0][0].Share, d2.PerNode[0][0].Share) {
		t.Error("the same record dealt twice gave the same share")
	}
	if bytes.Equal(d1.PerNode[0][0].Manifest, d2.PerNode[0][0].Manifest) {
		t.Error("the same record dealt twice gave the same manifest (commitment not salted)")
	}
}

// A whole batch as the custodian sends it (one seal, no proofs) passes
// CheckBatch for every node, and any change to it is refused.
func TestCheckBatch(t *testing.T) {
	f := newFixture(t, 5, 3)
	recs := []protocol.RecordInput{f.record("a", "alpha"), f.record("b", "beta"), f.tombstone("c"), f.record("d", "delta")}
	d, err := f.builder.Build(testRegistry, recs)
	if err != nil {
		t.Fatal(err)
	}
	v := f.verifier()
	for i := 1; i <= f.n; i++ {
		req := d.StoreRequest(testRegistry, i)
		ms, _, err := v.CheckBatch(req.Seal, req.Items, i, testRegistry)
		if err != nil || len(ms) != len(recs) {
			t.Fatalf("node %d: CheckBatch = %d manifests, %v", i, len(ms), err)
		}
	}
	cases := map[string]func(req *pb.StoreRequest){
		"another node's items": func(req *pb.StoreRequest) { req.Items = d.PerNode[1] },
		"items reordered":      func(req *pb.StoreRequest) { req.Items[0], req.Items[1] = req.Items[1], req.Items[0] },
		"item dropped":         func(req *pb.StoreRequest) { req.Items = req.Items[1:] },
		"share flipped":        func(req *pb.StoreRequest) { req.Items[0].Share[0] ^= 1 },
		"manifest flipped":     func(req *pb.StoreRequest) { req.Items[1].Manifest[3] ^= 1 },
		"count changed":        func(req *pb.StoreRequest) { req.Seal.Count++ },
		"signature flipped":    func(req *pb.StoreRequest) { req.Seal.Signature[0] ^= 1 },
		"root flipped":         func(req *pb.StoreRequest) { req.Seal.Root[0] ^= 1 },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			d, err := f.builder.Build(testRegistry, recs)
			if err != nil {
				t.Fatal(err)
			}
			req := proto.Clone(d.StoreRequest(testRegistry, 1)).(*pb.StoreRequest)
			mutate(req)
			if _, _, err := f.verifier().CheckBatch(req.Seal, req.Items, 1, testRegistry); !errors.Is(err, protocol.ErrInvalidShare) {
				t.Fatalf("CheckBatch = %v, want ErrInvalidShare", err)
			}
		})
	}
}
