package shares

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// refMTH is RFC 6962's recursive Merkle Tree Hash.
func refMTH(leaves []Digest) Digest {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return sha256.Sum256(append([]byte{0}, leaves[0][:]...))
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := refMTH(leaves[:k]), refMTH(leaves[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

func makeLeaves(n int) []Digest {
	out := make([]Digest, n)
	for i := range out {
		out[i] = LeafDigest(fmt.Appendf(nil, "manifest %d", i))
	}
	return out
}

func TestMerkle(t *testing.T) {
	if MerkleRoot(nil) != sha256.Sum256(nil) {
		t.Error("empty root")
	}
	if _, err := MerkleProof(nil, 0); err == nil {
		t.Error("proof of empty tree")
	}
	for n := 1; n <= 33; n++ {
		leaves := makeLeaves(n)
		root := MerkleRoot(leaves)
		if root != refMTH(leaves) {
			t.Fatalf("n=%d: root differs from RFC 6962 reference", n)
		}
		tree := NewMerkleTree(leaves)
		if tree.Root() != root || tree.Len() != n {
			t.Fatalf("n=%d: tree root/len", n)
		}
		if tree.Proof(-1) != nil || tree.Proof(n) != nil {
			t.Fatalf("n=%d: out-of-range proof", n)
		}
		if _, err := MerkleProof(leaves, n); err == nil {
			t.Fatalf("n=%d: MerkleProof out of range", n)
		}
		for i := range n {
			proof, err := MerkleProof(leaves, i)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(proof, tree.Proof(i)) {
				t.Fatalf("n=%d i=%d: MerkleProof != tree.Proof", n, i)
			}
			if !VerifyMerkleProof(leaves[i], i, n, proof, root) {
				t.Fatalf("n=%d i=%d: valid proof rejected", n, i)
			}
			// Tampered leaf.
			bad := leaves[i]
			bad[0] ^= 1
			if VerifyMerkleProof(bad, i, n, proof, root) {
				t.Fatalf("n=%d i=%d: tampered leaf accepted", n, i)
			}
			// Another leaf at this position.
			if n > 1 && VerifyMerkleProof(leaves[(i+1)%n], i, n, proof, root) {
				t.Fatalf("n=%d i=%d: wrong leaf accepted", n, i)
			}
			// Tampered proof elements.
			for j := range proof {
				p := slices.Clone(proof)
				p[j][31] ^= 0x80
				if VerifyMerkleProof(leaves[i], i, n, p, root) {
					t.Fatalf("n=%d i=%d: tampered proof[%d] accepted", n, i, j)
				}
			}
			// Truncated / extended proof.
			if len(proof) > 0 && VerifyMerkleProof(leaves[i], i, n, proof[:len(proof)-1], root) {
				t.Fatalf("n=%d i=%d: truncated proof accepted", n, i)
			}
			if VerifyMerkleProof(leaves[i], i, n, append(slices.Clone(proof), root), root) {
				t.Fatalf("n=%d i=%d: extended proof accepted", n, i)
			}
			// Wrong index / count.
			for j := range n + 2 {
				if j != i && VerifyMerkleProof(leaves[i], j, n, proof, root) {
					t.Fatalf("n=%d i=%d: accepted at index %d", n, i, j)
				}
			}
			// A proof does not bind the count by itself (the path for
			// (i, n) can coincide with the path shape for (i, c)); the
			// signature over root and count does. Where the shapes
			// differ, a wrong count must fail.
			for c := 0; c <= 40; c++ {
				if c == n || (i < c && len(NewMerkleTree(makeLeaves(c)).Proof(i)) == len(proof)) {
					continue
				}
				if VerifyMerkleProof(leaves[i], i, c, proof, root) {
					t.Fatalf("n=%d i=%d: accepted with count %d", n, i, c)
				}
			}
			// Wrong root.
			if VerifyMerkleProof(leaves[i], i, n, proof, leaves[i]) {
				t.Fatalf("n=%d i=%d: accepted against wrong root", n, i)
			}
		}
	}
	// No duplicate-last-leaf ambiguity (CVE-2012-2459).
	l3 := makeLeaves(3)
	if MerkleRoot(l3) == MerkleRoot(append(slices.Clone(l3), l3[2])) {
		t.Error("duplicated last leaf gives the same root")
	}
	// A leaf equal to an interior node is not accepted as a shorter tree.
	l4 := makeLeaves(4)
	if MerkleRoot(l4) == MerkleRoot([]Digest{nodeHash(leafHash(l4[0]), leafHash(l4[1])), nodeHash(leafHash(l4[2]), leafHash(l4[3]))}) {
		t.Error("interior nodes pass as leaves")
	}
	if VerifyMerkleProof(l4[0], -1, 4, nil, MerkleRoot(l4)) || VerifyMerkleProof(l4[0], 0, -1, nil, MerkleRoot(l4)) {
		t.Error("negative index/count accepted")
	}
}

func TestDigestsDomainSeparated(t *testing.T) {
	data := []byte("x")
	ds := []Digest{
		ShareDigest(1, data), ShareDigest(2, data), ShareDigest(1, []byte("y")),
		RecordCommitment(nil, data), LeafDigest(data), sha256.Sum256(data),
	}
	for i := range ds {
		for j := range i {
			if ds[i] == ds[j] {
				t.Errorf("digests %d and %d collide", i, j)
			}
		}
	}
	if ShareDigest(0, data) != ShareDigest(256, data) || ShareDigest(0, data) == ShareDigest(1, data) {
		t.Error("out-of-range indices must map to the reserved 0 byte")
	}
	want := sha256.Sum256(append([]byte("embassy/share/v1\x03"), data...))
	if ShareDigest(3, data) != want {
		t.Error("ShareDigest layout")
	}
	salt := bytes.Repeat([]byte{7}, 32)
	if RecordCommitment(salt, data) != sha256.Sum256(slices.Concat([]byte("embassy/record/v1"), salt, data)) {
		t.Error("RecordCommitment layout")
	}
	if LeafDigest(data) != sha256.Sum256([]byte("embassy/leaf/v1x")) {
		t.Error("LeafDigest layout")
	}
}

func TestBatchSignature(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(seeded(1))
	if err != nil {
		t.Fatal(err)
	}
	root := MerkleRoot(makeLeaves(1000))
	sig := SignBatch(priv, root, 1000)
	msg := slices.Concat([]byte("embassy/batch/v1"), root[:], []byte{0, 0, 0x03, 0xe8})
	if !ed25519.Verify(pub, msg, sig) {
		t.Fatal("signed message layout")
	}
	if !VerifyBatch(pub, root, 1000, sig) {
		t.Fatal("valid signature rejected")
	}
	other, _, _ := ed25519.GenerateKey(seeded(2))
	badRoot := root
	badRoot[0] ^= 1
	badSig := slices.Clone(sig)
	badSig[5] ^= 1
	for name, ok := range map[string]bool{
		"count":     VerifyBatch(pub, root, 999, sig),
		"neg count": VerifyBatch(pub, root, -1, sig),
		"root":      VerifyBatch(pub, badRoot, 1000, sig),
		"sig":       VerifyBatch(pub, root, 1000, badSig),
		"short sig": VerifyBatch(pub, root, 1000, sig[:10]),
		"key":       VerifyBatch(other, root, 1000, sig),
		"short key": VerifyBatch(pub[:5], root, 1000, sig),
		"nil key":   VerifyBatch(nil, root, 1000, sig),
	} {
		if ok {
			t.Errorf("%s: tampered batch accepted", name)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("SignBatch with negative count did not panic")
			}
		}()
		SignBatch(priv, root, -1)
	}()
}

func TestSealOpenRecord(t *testing.T) {
	d := testDealer(t, 3, 5, 3)
	record := []byte(`{"id":"LV-123","name":"Jānis Bērziņš"}`)
	secret, com := d.SealRecord(record)
	if len(secret) != SaltSize+len(record) || !bytes.Equal(secret[SaltSize:], record) {
		t.Fatal("sealed layout")
	}
	if bytes.Equal(secret[:SaltSize], make([]byte, SaltSize)) {
		t.Fatal("zero salt")
	}
	secret2, com2 := d.SealRecord(record)
	if com == com2 || bytes.Equal(secret[:SaltSize], secret2[:SaltSize]) {
		t.Fatal("salt reused")
	}
	if com == RecordCommitment(nil, record) {
		t.Fatal("commitment does not depend on the salt")
	}
	sh, _ := d.Split(secret)
	rebuilt, err := Combine(sh[2:], 3)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenRecord(rebuilt, com)
	if err != nil || !bytes.Equal(got, record) {
		t.Fatalf("OpenRecord: %v", err)
	}
	if _, err := OpenRecord(rebuilt, com2); !errors.Is(err, ErrCommitmentMismatch) || !errors.Is(err, ErrInvalidShare) {
		t.Fatalf("wrong commitment: %v", err)
	}
	rebuilt[SaltSize] ^= 1
	if _, err := OpenRecord(rebuilt, com); !errors.Is(err, ErrCommitmentMismatch) {
		t.Fatalf("tampered record: %v", err)
	}
	if _, err := OpenRecord(make([]byte, SaltSize-1), com); !errors.Is(err, ErrInvalidShare) {
		t.Fatalf("short secret: %v", err)
	}
	if got, err := OpenRecord(secret[:SaltSize], RecordCommitment(secret[:SaltSize], nil)); err != nil || len(got) != 0 {
		t.Fatalf("empty record: %v", err)
	}
}

func candidates(sh []Share) []Candidate {
	out := make([]Candidate, len(sh))
	for i, s := range sh {
		out[i] = Candidate{Share: s, Digest: ShareDigest(s.Index, s.Data), Source: fmt.Sprintf("node-%d", s.Index)}
	}
	return out
}

func TestReconstruct(t *testing.T) {
	d := testDealer(t, 3, 5, 11)
	secret := bytes.Repeat([]byte("record to rebuild despite a tampering node. "), 4)
	sh, _ := d.Split(secret)

	got, bad, err := Reconstruct(candidates(sh), 3)
	if err != nil || len(bad) != 0 || !bytes.Equal(got, secret) {
		t.Fatalf("clean: %v %v", bad, err)
	}

	// Node 1 flips a bit: it is named and the rest reconstruct.
	c := candidates(sh)
	c[0].Share.Data = slices.Clone(c[0].Share.Data)
	c[0].Share.Data[3] ^= 0x10
	got, bad, err = Reconstruct(c, 3)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("one tampered: %v", err)
	}
	if !slices.Equal(bad, []string{"node-1"}) {
		t.Fatalf("bad=%v want [node-1]", bad)
	}

	// Node 4 also replays node 3's share and node 2 truncates: all three are
	// named, only two good shares are left, and the error says so.
	c[3].Share = sh[2]
	c[1].Share.Data = c[1].Share.Data[:len(c[1].Share.Data)-8]
	_, bad, err = Reconstruct(c, 3)
	if !errors.Is(err, ErrThresholdNotMet) || !strings.Contains(err.Error(), "2 good of 3 needed") {
		t.Fatalf("too few good: %v", err)
	}
	if !slices.Equal(bad, []string{"node-1", "node-2", "node-4"}) {
		t.Fatalf("bad=%v", bad)
	}

	// Duplicated good candidates (same node asked twice) count once.
	c = candidates(sh)
	_, _, err = Reconstruct([]Candidate{c[0], c[0], c[0], c[1]}, 3)
	if !errors.Is(err, ErrThresholdNotMet) {
		t.Fatalf("duplicates counted: %v", err)
	}
	// Malformed candidates never panic and are reported.
	_, bad, err = Reconstruct([]Candidate{{Source: "empty"}, {Share: Share{Index: 300, Data: sh[0].Data}, Digest: ShareDigest(300, sh[0].Data), Source: "idx"}}, 1)
	if !errors.Is(err, ErrThresholdNotMet) || !slices.Equal(bad, []string{"empty", "idx"}) {
		t.Fatalf("malformed: %v %v", bad, err)
	}
	if _, _, err := Reconstruct(c, 0); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("t=0: %v", err)
	}
	// A custodian that signed shares of two different dealings: digests match
	// but the shares are inconsistent, so decoding (or OpenRecord) fails.
	sh2, _ := d.Split(secret)
	mixed := candidates([]Share{sh[0], sh[1], sh2[2]})
	if _, bad, err := Reconstruct(mixed, 3); !errors.Is(err, ErrInvalidShare) || len(bad) != 0 {
		t.Fatalf("inconsistent custodian: %v %v", bad, err)
	}
}
