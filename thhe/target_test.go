package thhe

import (
	"bytes"
	"testing"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
)

func TestTargetKeyFromSeed(t *testing.T) {
	params, err := TestParams()
	if err != nil {
		t.Fatal(err)
	}
	seed := bytes.Repeat([]byte{5}, 32)
	sk1, pk1, err := TargetKeyFromSeed(params, seed)
	if err != nil {
		t.Fatal(err)
	}
	sk2, pk2, err := TargetKeyFromSeed(params, seed)
	if err != nil {
		t.Fatal(err)
	}
	if !sk1.Equal(sk2) {
		t.Fatal("one seed gave two secret keys")
	}
	other, _, err := TargetKeyFromSeed(params, bytes.Repeat([]byte{6}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if sk1.Equal(other) {
		t.Fatal("two seeds gave one secret key")
	}
	// A ciphertext under either public key decrypts with the derived key.
	values := []int64{1, -2, 3, 1 << 30}
	for _, pk := range []*rlwe.PublicKey{pk1, pk2} {
		ct, err := Encrypt(params, pk, values)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decrypt(params, sk2, ct)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range values {
			if got[k] != v {
				t.Fatalf("slot %d: got %d, want %d", k, got[k], v)
			}
		}
	}
	if _, _, err := TargetKeyFromSeed(params, []byte("short")); err == nil {
		t.Fatal("a short seed was accepted")
	}
}
