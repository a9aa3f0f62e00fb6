package shares

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// FuzzCombine feeds arbitrary share bytes to Combine and Combiner.Combine:
// they must never panic, must fail only with the package's errors, and
// whatever they return must re-split and re-combine to itself.
func FuzzCombine(f *testing.F) {
	d := testDealer(f, 2, 3, 1)
	sh, _ := d.Split([]byte("seed record"))
	f.Add(uint8(1), sh[0].Data, uint8(2), sh[1].Data, uint8(2))
	f.Add(uint8(3), sh[2].Data, uint8(2), sh[1].Data, uint8(2))
	f.Add(uint8(3), sh[2].Data, uint8(3), sh[1].Data, uint8(1))
	f.Add(uint8(0), []byte{}, uint8(255), bytes.Repeat([]byte{0xff}, 64), uint8(3))
	zero := make([]byte, 64)
	binary.LittleEndian.PutUint64(zero, 52)
	f.Add(uint8(1), zero, uint8(2), zero, uint8(1))
	f.Fuzz(func(t *testing.T, i1 uint8, d1 []byte, i2 uint8, d2 []byte, th uint8) {
		shares := []Share{{Index: int(i1), Data: d1}, {Index: int(i2), Data: d2}}
		secret, err := Combine(shares, int(th))
		if err != nil {
			if !errors.Is(err, ErrInvalidShare) && !errors.Is(err, ErrThresholdNotMet) && !errors.Is(err, ErrInvalidParams) {
				t.Fatalf("unexpected error %v", err)
			}
		} else {
			if len(d1) != SharedSize(len(secret)) {
				t.Fatalf("secret of %d bytes from %d-byte shares", len(secret), len(d1))
			}
			again, err := testDealer(t, 1, 1, 0).Split(secret)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Combine(again, 1)
			if err != nil || !bytes.Equal(back, secret) {
				t.Fatalf("round trip: %v", err)
			}
		}
		if c, err := NewCombiner([]int{int(i1), int(i2)}); err == nil {
			_, _ = c.Combine(shares)
		}
		_, _, _ = Reconstruct([]Candidate{{Share: shares[0], Digest: ShareDigest(shares[0].Index, d1)}, {Share: shares[1]}}, int(th))
	})
}

// FuzzDecodeShare checks the share codec: no panics, and accepted input
// re-encodes to itself.
func FuzzDecodeShare(f *testing.F) {
	sh, _ := testDealer(f, 2, 3, 1).Split([]byte("x"))
	enc, _ := sh[1].MarshalBinary()
	f.Add(enc)
	f.Add([]byte{})
	f.Add([]byte{0})
	f.Add(append([]byte{7}, bytes.Repeat([]byte{0xff}, 64)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeShare(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidShare) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		again, err := s.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("re-encode: %v", err)
		}
	})
}

// FuzzUnframe checks the framed-secret decoder directly.
func FuzzUnframe(f *testing.F) {
	f.Add(make([]byte, 56))
	f.Add([]byte{3, 0, 0, 0, 'a', 'b', 'c'})
	f.Fuzz(func(t *testing.T, b []byte) {
		secret, err := unframe(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidShare) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if len(b) != elementCount(len(secret))*ElementBytes || !bytes.Equal(b[4:4+len(secret)], secret) {
			t.Fatal("accepted a non-canonical frame")
		}
	})
}

// FuzzOpenRecord: no panics; success implies the commitment matches.
func FuzzOpenRecord(f *testing.F) {
	f.Add(make([]byte, 40), make([]byte, 32))
	f.Fuzz(func(t *testing.T, secret, com []byte) {
		var c Digest
		copy(c[:], com)
		rec, err := OpenRecord(secret, c)
		if err == nil && RecordCommitment(secret[:SaltSize], rec) != c {
			t.Fatal("opened with a wrong commitment")
		}
	})
}

// FuzzVerifyMerkleProof: arbitrary proofs, indices and counts never panic
// and a valid proof for a fuzzed size verifies.
func FuzzVerifyMerkleProof(f *testing.F) {
	f.Add(uint16(5), uint16(3), []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, count, index uint16, junk []byte) {
		n := int(count%70) + 1
		i := int(index) % n
		leaves := makeLeaves(n)
		tree := NewMerkleTree(leaves)
		proof := tree.Proof(i)
		if !VerifyMerkleProof(leaves[i], i, n, proof, tree.Root()) {
			t.Fatal("valid proof rejected")
		}
		var p []Digest
		for len(junk) >= 32 {
			p = append(p, Digest(junk[:32]))
			junk = junk[32:]
		}
		_ = VerifyMerkleProof(leaves[i], int(index), int(count), p, tree.Root())
	})
}
