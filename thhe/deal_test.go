package thhe

import (
	"errors"
	"slices"
	"testing"
)

// TestDealAssemble: parties built with Deal and AssembleParty (the form a
// node persists and restores) hold a working threshold key: any T of them
// make a public key and key-switch a ciphertext under it to a querier.
func TestDealAssemble(t *testing.T) {
	params, err := TestParams()
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGroup(params, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	inbox := map[int][]*ThresholdShare{}
	for i := 1; i <= g.N; i++ {
		deals, err := Deal(g, i)
		if err != nil {
			t.Fatal(err)
		}
		if len(deals) != g.N {
			t.Fatalf("Deal gave %d shares, want %d", len(deals), g.N)
		}
		for to, s := range deals {
			// Through the wire encoding, as a node stores and sends them.
			b, err := s.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			d, err := g.DecodeThresholdShare(b)
			if err != nil {
				t.Fatal(err)
			}
			inbox[to] = append(inbox[to], d)
		}
	}
	if _, err := AssembleParty(g, 1, inbox[1][:2], NewMemReleaseLog()); !errors.Is(err, ErrSetupIncomplete) {
		t.Fatalf("assemble from 2 of 3 shares: %v, want ErrSetupIncomplete", err)
	}
	if _, err := AssembleParty(g, 1, append(slices.Clone(inbox[1][:2]), inbox[1][0]), NewMemReleaseLog()); !errors.Is(err, ErrMismatch) {
		t.Fatalf("assemble with a share twice: %v, want ErrMismatch", err)
	}
	if _, err := AssembleParty(g, 2, inbox[1], NewMemReleaseLog()); !errors.Is(err, ErrMismatch) {
		t.Fatalf("assemble party 2 from party 1's shares: %v, want ErrMismatch", err)
	}
	parties := map[int]*Party{}
	for i := 1; i <= g.N; i++ {
		if parties[i], err = AssembleParty(g, i, inbox[i], NewMemReleaseLog()); err != nil {
			t.Fatal(err)
		}
		if !parties[i].SetupDone() {
			t.Fatalf("party %d not done", i)
		}
	}
	pk, err := runCKG(g, parties, mustSet(t, g, 1, 2), newSeed(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{7, -3, 1 << 20}
	ct, err := Encrypt(params, pk, want)
	if err != nil {
		t.Fatal(err)
	}
	sk, target := NewTargetKeyPair(params)
	out, err := keySwitch(g, parties, mustSet(t, g, 2, 3), ct, target)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decrypt(params, sk, out)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got[:len(want)], want) {
		t.Fatalf("decrypted %v, want %v", got[:len(want)], want)
	}
}
