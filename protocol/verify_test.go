package protocol_test

import (
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/shares"
	"google.golang.org/protobuf/proto"
)

func TestVerifierAcceptsDealtShares(t *testing.T) {
	f := newFixture(t, 5, 3)
	recs := []protocol.RecordInput{f.record("a", "A"), f.record("b", "B"), f.tombstone("c")}
	d := f.build(t, recs...)
	v := f.verifier()
	for k, r := range recs {
		for i := 1; i <= f.n; i++ {
			m, err := v.Check(d.PerNode[i-1][k], i, testRegistry, r.Pseudonym)
			if err != nil {
				t.Fatalf("record %d, node %d: %v", k, i, err)
			}
			if m.Version != r.Version || m.Tombstone != r.Tombstone {
				t.Fatalf("record %d, node %d: manifest %v", k, i, m)
			}
		}
		// A nil pseudonym skips the pseudonym check (nodes storing shares).
		if _, err := v.Check(d.PerNode[0][k], 1, testRegistry, nil); err != nil {
			t.Fatalf("record %d with nil pseudonym: %v", k, err)
		}
	}
}

func TestVerifierRejects(t *testing.T) {
	f := newFixture(t, 5, 3)
	recs := []protocol.RecordInput{f.record("a", "record a"), f.record("b", "record b"), f.record("c", "record c")}
	d := f.build(t, recs...)
	const node, rec = 2, 0 // check node 2's share of record "a"
	good := d.PerNode[node-1][rec]
	pseudonym := recs[rec].Pseudonym

	_, otherKey, _ := ed25519.GenerateKey(nil)
	otherDigest := append([]byte(nil), f.digest...)
	otherDigest[0] ^= 1

	// reencode edits the share's manifest and encodes it again: a manifest
	// the custodian never signed, under the genuine seal and proof.
	reencode := func(s *pb.StoredShare, edit func(*pb.RecordManifest)) {
		m := &pb.RecordManifest{}
		if err := proto.Unmarshal(s.Manifest, m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		s.Manifest = b
	}
	// reseal replaces the seal by one over the same root, signed by key.
	reseal := func(s *pb.StoredShare, key ed25519.PrivateKey, count int) {
		var root shares.Digest
		copy(root[:], s.Seal.Root)
		s.Seal = &pb.BatchSeal{Root: s.Seal.Root, Count: uint32(count), Signature: shares.SignBatch(key, root, count)}
	}

	type input struct {
		share     *pb.StoredShare
		index     int
		registry  string
		pseudonym []byte
		verifier  *protocol.Verifier
	}
	cases := []struct {
		name string
		edit func(*input)
	}{
		{"another node's index", func(in *input) { in.index = 3 }},
		{"index 0", func(in *input) { in.index = 0 }},
		{"index past n", func(in *input) { in.index = f.n + 1 }},
		{"another node's share", func(in *input) { in.share.Share = d.PerNode[0][rec].Share }},
		{"flipped share byte", func(in *input) { in.share.Share[0] ^= 1 }},
		{"flipped last share byte", func(in *input) { in.share.Share[len(in.share.Share)-1] ^= 0x80 }},
		{"share cut short", func(in *input) { in.share.Share = in.share.Share[:len(in.share.Share)-1] }},
		{"no share", func(in *input) { in.share.Share = nil }},
		{"flipped manifest byte", func(in *input) { in.share.Manifest[len(in.share.Manifest)/2] ^= 1 }},
		{"flipped first manifest byte", func(in *input) { in.share.Manifest[0] ^= 0xff }},
		{"manifest version changed", func(in *input) {
			reencode(in.share, func(m *pb.RecordManifest) { m.Version++ })
		}},
		{"manifest turned into a tombstone", func(in *input) {
			reencode(in.share, func(m *pb.RecordManifest) { m.Tombstone, m.Commitment = true, nil })
			in.share.Share = nil
		}},
		{"manifest of another record", func(in *input) { in.share.Manifest = d.PerNode[node-1][1].Manifest }},
		{"wrong registry", func(in *input) { in.registry = "population" }},
		{"wrong pseudonym", func(in *input) { in.pseudonym = recs[1].Pseudonym }},
		{"wrong roster digest", func(in *input) {
			in.verifier = protocol.NewVerifier(f.key.Public().(ed25519.PublicKey), otherDigest, f.n, f.t)
		}},
		{"wrong threshold", func(in *input) {
			in.verifier = protocol.NewVerifier(f.key.Public().(ed25519.PublicKey), f.digest, f.n, f.t-1)
		}},
		{"wrong node count", func(in *input) {
			in.verifier = protocol.NewVerifier(f.key.Public().(ed25519.PublicKey), f.digest, f.n+1, f.t)
		}},
		{"another custodian", func(in *input) {
			in.verifier = protocol.NewVerifier(otherKey.Public().(ed25519.PublicKey), f.digest, f.n, f.t)
		}},
		{"proof from another leaf", func(in *input) { in.share.Proof = d.PerNode[node-1][1].Proof }},
		{"leaf index changed", func(in *input) { in.share.LeafIndex = 1 }},
		{"leaf index past count", func(in *input) { in.share.LeafIndex = in.share.Seal.Count }},
		{"proof element cut", func(in *input) { in.share.Proof[0] = in.share.Proof[0][:31] }},
		{"proof element dropped", func(in *input) { in.share.Proof = in.share.Proof[1:] }},
		{"no seal", func(in *input) { in.share.Seal = nil }},
		{"seal root cut", func(in *input) { in.share.Seal.Root = in.share.Seal.Root[:31] }},
		{"seal signed by another key", func(in *input) { reseal(in.share, otherKey, int(in.share.Seal.Count)) }},
		{"flipped signature byte", func(in *input) { in.share.Seal.Signature[5] ^= 1 }},
		{"count changed, signature kept", func(in *input) { in.share.Seal.Count++ }},
		{"count zero", func(in *input) { in.share.Seal.Count = 0 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := &input{share: proto.Clone(good).(*pb.StoredShare), index: node, registry: testRegistry,
				pseudonym: pseudonym, verifier: f.verifier()}
			c.edit(in)
			m, err := in.verifier.Check(in.share, in.index, in.registry, in.pseudonym)
			if !errors.Is(err, protocol.ErrInvalidShare) {
				t.Fatalf("Check = (%v, %v), want ErrInvalidShare", m, err)
			}
			if m != nil {
				t.Errorf("a rejected share still returned manifest %v", m)
			}
		})
	}
	if t.Failed() {
		return
	}
	// The unedited share passes, so every rejection above is the edit's.
	if _, err := f.verifier().Check(good, node, testRegistry, pseudonym); err != nil {
		t.Fatalf("unedited share: %v", err)
	}
}

// TestVerifierSealCacheKeepsChecking: once a batch seal has verified, the
// cache must not let through a share whose seal or proof no longer holds.
func TestVerifierSealCacheKeepsChecking(t *testing.T) {
	f := newFixture(t, 5, 3)
	d := f.build(t, f.record("a", "A"), f.record("b", "B"), f.record("c", "C"), f.record("d", "D"))
	v := f.verifier()
	for i := 1; i <= f.n; i++ {
		if _, err := v.Check(d.PerNode[i-1][0], i, testRegistry, nil); err != nil {
			t.Fatal(err)
		}
	}
	for name, edit := range map[string]func(*pb.StoredShare){
		"flipped share byte":      func(s *pb.StoredShare) { s.Share[0] ^= 1 },
		"flipped manifest byte":   func(s *pb.StoredShare) { s.Manifest[len(s.Manifest)-1] ^= 1 },
		"proof from another leaf": func(s *pb.StoredShare) { s.Proof = d.PerNode[0][2].Proof },
		"flipped signature byte":  func(s *pb.StoredShare) { s.Seal.Signature[0] ^= 1 },
	} {
		s := proto.Clone(d.PerNode[0][1]).(*pb.StoredShare)
		edit(s)
		if _, err := v.Check(s, 1, testRegistry, nil); !errors.Is(err, protocol.ErrInvalidShare) {
			t.Errorf("%s, after the batch verified once: %v, want ErrInvalidShare", name, err)
		}
	}
}

// TestVerifierSealCacheCoversCount: the batch signature covers the leaf
// count (shares.VerifyMerkleProof says a proof alone does not pin it), so a
// seal whose count was changed must be refused even after the genuine seal
// was cached.
func TestVerifierSealCacheCoversCount(t *testing.T) {
	f := newFixture(t, 3, 2)
	// In a batch of 3, leaf 0's path (sibling 1, then node 2) has the same
	// shape as in a batch of 4, so the Merkle check alone passes for count 4.
	d := f.build(t, f.record("a", "A"), f.record("b", "B"), f.record("c", "C"))
	forged := proto.Clone(d.PerNode[0][0]).(*pb.StoredShare)
	forged.Seal.Count = 4

	if _, err := f.verifier().Check(forged, 1, testRegistry, nil); !errors.Is(err, protocol.ErrInvalidShare) {
		t.Fatalf("count 4 on a fresh verifier: %v, want ErrInvalidShare", err)
	}
	v := f.verifier()
	if _, err := v.Check(d.PerNode[0][0], 1, testRegistry, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Check(forged, 1, testRegistry, nil); !errors.Is(err, protocol.ErrInvalidShare) {
		t.Fatal("a cached seal was reused for another leaf count: after a genuine seal (root R, " +
			"count 3) verified once, the same share with seal.Count changed to 4 (signature not " +
			"valid for count 4) must still be refused. Check returned err=" + errString(err))
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestVerifierTombstones(t *testing.T) {
	f := newFixture(t, 5, 3)
	ts := f.tombstone("gone")
	d := f.build(t, ts, f.record("kept", "K"))
	v := f.verifier()
	for i := 1; i <= f.n; i++ {
		m, err := v.Check(d.PerNode[i-1][0], i, testRegistry, ts.Pseudonym)
		if err != nil || !m.Tombstone {
			t.Fatalf("tombstone at node %d: (%v, %v)", i, m, err)
		}
	}
	// A tombstone must carry no share.
	s := proto.Clone(d.PerNode[0][0]).(*pb.StoredShare)
	s.Share = d.PerNode[0][1].Share
	if _, err := v.Check(s, 1, testRegistry, ts.Pseudonym); !errors.Is(err, protocol.ErrInvalidShare) {
		t.Fatalf("tombstone with a share: %v, want ErrInvalidShare", err)
	}
	// A tombstone is still bound to its registry, pseudonym and seal.
	if _, err := v.Check(d.PerNode[0][0], 1, "population", ts.Pseudonym); !errors.Is(err, protocol.ErrInvalidShare) {
		t.Fatalf("tombstone for another registry: %v", err)
	}
	s = proto.Clone(d.PerNode[0][0]).(*pb.StoredShare)
	s.Seal.Signature[0] ^= 1
	if _, err := f.verifier().Check(s, 1, testRegistry, ts.Pseudonym); !errors.Is(err, protocol.ErrInvalidShare) {
		t.Fatalf("tombstone with a bad signature: %v", err)
	}
}

// FuzzVerifierCheck feeds arbitrary StoredShare bytes to Check, which must
// never panic and must accept nothing but a genuine share.
func FuzzVerifierCheck(f *testing.F) {
	fx := newFixture(f, 3, 2)
	recs := []protocol.RecordInput{fx.record("a", "A"), fx.tombstone("b"), fx.record("c", "C")}
	d := fx.build(f, recs...)
	for i := 1; i <= fx.n; i++ {
		for k := range recs {
			b, err := proto.Marshal(d.PerNode[i-1][k])
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b, uint8(i))
		}
	}
	f.Add([]byte{}, uint8(0))
	v := fx.verifier()
	f.Fuzz(func(t *testing.T, data []byte, index uint8) {
		s := &pb.StoredShare{}
		if err := proto.Unmarshal(data, s); err != nil {
			return
		}
		m, err := v.Check(s, int(index), testRegistry, nil)
		if err != nil {
			if !errors.Is(err, protocol.ErrInvalidShare) || m != nil {
				t.Fatalf("Check = (%v, %v): a failure must be ErrInvalidShare with no manifest", m, err)
			}
			return
		}
		// Accepted: it must be one of the genuine manifests.
		for k := range recs {
			if string(s.Manifest) == string(d.PerNode[0][k].Manifest) {
				return
			}
		}
		t.Fatalf("Check accepted a manifest the custodian never signed: %v", m)
	})
}
