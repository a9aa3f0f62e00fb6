package thhe

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
)

// TestGaloisKeysOverTheWire makes every inner-sum Galois key one element at
// a time, with shares and keys through their encodings (as the node's
// setup moves and stores them), and checks InnerSum with them.
func TestGaloisKeysOverTheWire(t *testing.T) {
	f := getFixture(t)
	set := mustSet(t, f.g, 2, 3, 4)
	seed := newSeed(t)
	var keys []*rlwe.GaloisKey
	for _, el := range InnerSumGaloisElements(f.g.Params) {
		var shares []*GKGShare
		for _, id := range set {
			s, err := f.parties[id].GKGShare(set, seed, el)
			if err != nil {
				t.Fatal(err)
			}
			b, err := s.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if s, err = f.g.DecodeGKGShare(b); err != nil {
				t.Fatal(err)
			}
			shares = append(shares, s)
		}
		k, err := AggregateGKG(f.g, seed, el, shares)
		if err != nil {
			t.Fatal(err)
		}
		b, err := EncodeGaloisKey(f.g.Params, k)
		if err != nil {
			t.Fatal(err)
		}
		if k, err = DecodeGaloisKey(f.g.Params, b); err != nil {
			t.Fatal(err)
		}
		if k.GaloisElement != el {
			t.Fatalf("key for element %d decoded as %d", el, k.GaloisElement)
		}
		keys = append(keys, k)
	}
	ev := NewEvaluator(f.g.Params, EvaluationKeys{Galois: keys})
	vals := randomValues(f.g.Params.Slots(), 1<<20, 21)
	var want int64
	for _, v := range vals {
		want += v
	}
	ct, err := Encrypt(f.g.Params, f.pk, vals)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := ev.InnerSum(ct)
	if err != nil {
		t.Fatal(err)
	}
	tsk, tpk := NewTargetKeyPair(f.g.Params)
	out, err := keySwitch(f.g, f.parties, mustSet(t, f.g, 1, 4, 5), sum, tpk)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decrypt(f.g.Params, tsk, out)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != want || got[len(got)-1] != want {
		t.Fatalf("inner sum = %d (last slot %d), want %d", got[0], got[len(got)-1], want)
	}
}

func TestGKGRefusals(t *testing.T) {
	f := getFixture(t)
	set := mustSet(t, f.g, 1, 2, 3)
	seed := newSeed(t)
	els := InnerSumGaloisElements(f.g.Params)
	twoN := uint64(2 * f.g.Params.N())
	for _, el := range []uint64{0, 1, 2, 4, twoN, twoN + 1, 1 << 63} {
		if _, err := f.parties[1].GKGShare(set, seed, el); err == nil {
			t.Errorf("Galois share for element %d", el)
		}
	}
	share := func(id int, seed Seed, el uint64) *GKGShare {
		s, err := f.parties[id].GKGShare(set, seed, el)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := els[0], els[1]
	full := []*GKGShare{share(1, seed, a), share(2, seed, a), share(3, seed, a)}
	for _, tc := range []struct {
		name   string
		el     uint64
		shares []*GKGShare
		want   error
	}{
		{"t-1 shares", a, full[:2], ErrNotEnoughShares},
		{"mixed elements", a, []*GKGShare{full[0], full[1], share(3, seed, b)}, ErrMismatch},
		{"other element asked", b, full, ErrMismatch},
		{"other seed", a, []*GKGShare{full[0], full[1], share(3, newSeed(t), a)}, ErrMismatch},
		{"duplicate", a, []*GKGShare{full[0], full[1], full[0]}, ErrMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if k, err := AggregateGKG(f.g, seed, tc.el, tc.shares); !errors.Is(err, tc.want) || k != nil {
				t.Fatalf("key=%v err=%v, want %v", k != nil, err, tc.want)
			}
		})
	}
	if _, err := AggregateGKG(f.g, seed, a, full); err != nil {
		t.Fatalf("all shares: %v", err)
	}
}

// failingLog cannot record anything.
type failingLog struct{}

func (failingLog) Reserve([32]byte, string) error { return fmt.Errorf("disk full") }

// TestReleaseLogGatesShares: no share without a recorded release, and of
// concurrent requests for one ciphertext exactly one gets a share.
func TestReleaseLogGatesShares(t *testing.T) {
	f := getFixture(t)
	_, tpk := NewTargetKeyPair(f.g.Params)
	ct, err := Encrypt(f.g.Params, f.pk, []int64{4, 5, 6})
	if err != nil {
		t.Fatal(err)
	}

	// A party assembled with a log that fails releases nothing.
	g, err := NewGroup(f.g.Params, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	inbox := map[int][]*ThresholdShare{}
	for i := 1; i <= g.N; i++ {
		deals, err := Deal(g, i)
		if err != nil {
			t.Fatal(err)
		}
		for to, s := range deals {
			inbox[to] = append(inbox[to], s)
		}
	}
	if _, err := AssembleParty(g, 1, inbox[1], nil); err == nil {
		t.Fatal("party assembled without a release log")
	}
	p, err := AssembleParty(g, 1, inbox[1], failingLog{})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := p.KeySwitchShare(mustSet(t, g, 1, 2), ct, tpk, "x"); err == nil || s != nil || errors.Is(err, ErrShareAlreadyReleased) {
		t.Fatalf("share=%v err=%v, want no share and the log's error", s != nil, err)
	}

	// Concurrent requests for one ciphertext: one share.
	set := mustSet(t, f.g, 3, 4, 5)
	var wg sync.WaitGroup
	var mu sync.Mutex
	shares, refused := 0, 0
	for i := range 6 {
		wg.Go(func() {
			s, err := f.parties[4].KeySwitchShare(set, ct, tpk, fmt.Sprintf("caller %d", i))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && s != nil:
				shares++
			case errors.Is(err, ErrShareAlreadyReleased):
				refused++
			default:
				t.Errorf("caller %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if shares != 1 || refused != 5 {
		t.Fatalf("%d shares and %d refusals for one ciphertext, want 1 and 5", shares, refused)
	}
}
