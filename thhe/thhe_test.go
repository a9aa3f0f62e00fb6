package thhe

import (
	"crypto/rand"
	"errors"
	"math/big"
	mrand "math/rand/v2"
	"sync"
	"testing"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
)

// fixture is one threshold group (n=5, t=3, TestParams) with its collective
// keys, built once and shared by the tests.
type fixture struct {
	g       Group
	parties map[int]*Party
	pk      *rlwe.PublicKey
	keys    EvaluationKeys
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

func newSeed(t testing.TB) Seed {
	var s Seed
	if _, err := rand.Read(s[:]); err != nil {
		t.Fatal(err)
	}
	return s
}

func mustSet(t testing.TB, g Group, ids ...int) ActiveSet {
	t.Helper()
	s, err := g.NewActiveSet(ids...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// setupParties runs the dealerless threshold setup among n parties.
func setupParties(g Group) (map[int]*Party, error) {
	parties := map[int]*Party{}
	for i := 1; i <= g.N; i++ {
		p, err := NewParty(g, i)
		if err != nil {
			return nil, err
		}
		parties[i] = p
	}
	for _, p := range parties {
		shares, err := p.ThresholdShares()
		if err != nil {
			return nil, err
		}
		for to, s := range shares {
			if err := parties[to].ReceiveThresholdShare(s); err != nil {
				return nil, err
			}
		}
	}
	return parties, nil
}

func runCKG(g Group, parties map[int]*Party, set ActiveSet, seed Seed) (*rlwe.PublicKey, error) {
	var shares []*CKGShare
	for _, id := range set {
		s, err := parties[id].CKGShare(set, seed)
		if err != nil {
			return nil, err
		}
		shares = append(shares, s)
	}
	return AggregateCKG(g, seed, shares)
}

func runRKG(g Group, parties map[int]*Party, set ActiveSet, seed Seed) (*rlwe.RelinearizationKey, error) {
	var r1 []*RKGShare
	for _, id := range set {
		s, err := parties[id].RKGShareRound1(set, seed)
		if err != nil {
			return nil, err
		}
		r1 = append(r1, s)
	}
	agg1, err := AggregateRKGRound1(g, seed, r1)
	if err != nil {
		return nil, err
	}
	var r2 []*RKGShare
	for _, id := range set {
		s, err := parties[id].RKGShareRound2(agg1)
		if err != nil {
			return nil, err
		}
		r2 = append(r2, s)
	}
	return AggregateRKG(g, agg1, r2)
}

// runGKG makes the inner-sum Galois keys, one element at a time.
func runGKG(g Group, parties map[int]*Party, set ActiveSet, seed Seed) ([]*rlwe.GaloisKey, error) {
	var keys []*rlwe.GaloisKey
	for _, el := range InnerSumGaloisElements(g.Params) {
		var shares []*GKGShare
		for _, id := range set {
			s, err := parties[id].GKGShare(set, seed, el)
			if err != nil {
				return nil, err
			}
			shares = append(shares, s)
		}
		k, err := AggregateGKG(g, seed, el, shares)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func keySwitch(g Group, parties map[int]*Party, set ActiveSet, ct *rlwe.Ciphertext, target *rlwe.PublicKey) (*rlwe.Ciphertext, error) {
	var shares []*KeySwitchShare
	for _, id := range set {
		s, err := parties[id].KeySwitchShare(set, ct, target, "test")
		if err != nil {
			return nil, err
		}
		shares = append(shares, s)
	}
	return AggregateKeySwitch(g, ct, shares)
}

func getFixture(t testing.TB) *fixture {
	t.Helper()
	fixOnce.Do(func() {
		params, err := TestParams()
		if err != nil {
			fixErr = err
			return
		}
		g, err := NewGroup(params, 5, 3)
		if err != nil {
			fixErr = err
			return
		}
		parties, err := setupParties(g)
		if err != nil {
			fixErr = err
			return
		}
		f := &fixture{g: g, parties: parties}
		// Each collective key is made by a different active set: any t
		// parties hold the same collective secret.
		var s Seed
		rand.Read(s[:])
		if f.pk, fixErr = runCKG(g, parties, ActiveSet{1, 2, 3}, s); fixErr != nil {
			return
		}
		rand.Read(s[:])
		if f.keys.Relin, fixErr = runRKG(g, parties, ActiveSet{2, 4, 5}, s); fixErr != nil {
			return
		}
		rand.Read(s[:])
		if f.keys.Galois, fixErr = runGKG(g, parties, ActiveSet{1, 3, 5}, s); fixErr != nil {
			return
		}
		fix = f
	})
	if fixErr != nil {
		t.Fatalf("fixture: %v", fixErr)
	}
	return fix
}

func TestPlaintextModulus(t *testing.T) {
	T := new(big.Int).SetUint64(PlaintextModulus)
	if !T.ProbablyPrime(40) {
		t.Fatalf("T=%d is not prime", PlaintextModulus)
	}
	if T.BitLen() != 35 {
		t.Fatalf("T has %d bits, want 35", T.BitLen())
	}
	if PlaintextModulus%(1<<16) != 1 {
		t.Fatalf("T mod 2^16 = %d, want 1 (T ≡ 1 mod 2N for N ≤ 2^15)", PlaintextModulus%(1<<16))
	}
	// It is the largest such prime below 2^35.
	for p := PlaintextModulus + 1<<16; p < 1<<35; p += 1 << 16 {
		if new(big.Int).SetUint64(p).ProbablyPrime(20) {
			t.Fatalf("%d is a larger 35-bit prime ≡ 1 mod 2^16", p)
		}
	}
}

func TestParamsShape(t *testing.T) {
	for _, tc := range []struct {
		name   string
		get    func() (Params, error)
		logN   int
		maxQP  float64 // HE standard bound for 128-bit security, ternary secret
		secure bool
	}{
		{"production", ProductionParams, 14, 438, true},
		{"test", TestParams, 12, 109, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.get()
			if err != nil {
				t.Fatal(err)
			}
			if p.LogN() != tc.logN || p.PlaintextModulus() != PlaintextModulus || p.Slots() != 1<<tc.logN {
				t.Fatalf("LogN=%d T=%d slots=%d", p.LogN(), p.PlaintextModulus(), p.Slots())
			}
			if got := p.LogQP() <= tc.maxQP; got != tc.secure {
				t.Fatalf("LogQP=%.1f, 128-bit bound %v: within bound = %v, want %v", p.LogQP(), tc.maxQP, got, tc.secure)
			}
			t.Logf("LogN=%d LogQP=%.1f Q=%d primes P=%d primes", p.LogN(), p.LogQP(), p.QCount(), p.PCount())
		})
	}
}

func randomValues(n int, bound int64, seed uint64) []int64 {
	r := mrand.New(mrand.NewPCG(seed, 1))
	v := make([]int64, n)
	for i := range v {
		v[i] = r.Int64N(bound)
	}
	return v
}

// TestAnySetKeySwitches: the collective key was made by {1,2,3}; key
// switching by {1,2,3} and by {2,4,5} both decrypt exactly.
func TestAnySetKeySwitches(t *testing.T) {
	f := getFixture(t)
	tsk, tpk := NewTargetKeyPair(f.g.Params)
	for i, ids := range [][]int{{1, 2, 3}, {2, 4, 5}, {5, 1, 4}} {
		set := mustSet(t, f.g, ids...)
		vals := randomValues(f.g.Params.Slots(), 1<<20, uint64(i))
		vals[0] = -12345 // negative values round-trip too
		ct, err := Encrypt(f.g.Params, f.pk, vals)
		if err != nil {
			t.Fatal(err)
		}
		out, err := keySwitch(f.g, f.parties, set, ct, tpk)
		if err != nil {
			t.Fatalf("set %v: %v", set, err)
		}
		got, err := Decrypt(f.g.Params, tsk, out)
		if err != nil {
			t.Fatal(err)
		}
		for j := range vals {
			if got[j] != vals[j] {
				t.Fatalf("set %v: slot %d = %d, want %d", set, j, got[j], vals[j])
			}
		}
		// The collective key does not decrypt with the target key before the switch.
		if raw, _ := Decrypt(f.g.Params, tsk, ct); raw[1] == vals[1] && raw[2] == vals[2] && raw[3] == vals[3] {
			t.Fatal("target key decrypts the ciphertext before the key switch")
		}
	}
}

func TestSum(t *testing.T) {
	f := getFixture(t)
	ev := NewEvaluator(f.g.Params, f.keys)
	tsk, tpk := NewTargetKeyPair(f.g.Params)
	vals := randomValues(f.g.Params.Slots(), 1<<20, 7)
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
	out, err := keySwitch(f.g, f.parties, mustSet(t, f.g, 3, 4, 5), sum, tpk)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decrypt(f.g.Params, tsk, out)
	if err != nil {
		t.Fatal(err)
	}
	for j := range got {
		if got[j] != want {
			t.Fatalf("slot %d = %d, want sum %d", j, got[j], want)
		}
	}
}

func TestFilteredSum(t *testing.T) {
	f := getFixture(t)
	ev := NewEvaluator(f.g.Params, f.keys)
	tsk, tpk := NewTargetKeyPair(f.g.Params)
	n := f.g.Params.Slots()
	vals := randomValues(n, 1<<20, 11)
	ind := randomValues(n, 2, 12)
	var want, count int64
	for i := range vals {
		want += vals[i] * ind[i]
		count += ind[i]
	}
	cv, err := Encrypt(f.g.Params, f.pk, vals)
	if err != nil {
		t.Fatal(err)
	}
	ci, err := Encrypt(f.g.Params, f.pk, ind)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := ev.FilteredSum(cv, ci)
	if err != nil {
		t.Fatal(err)
	}
	cnt, err := ev.InnerSum(ci)
	if err != nil {
		t.Fatal(err)
	}
	set := mustSet(t, f.g, 1, 2, 4)
	for _, tc := range []struct {
		name string
		ct   *rlwe.Ciphertext
		want int64
	}{{"sum", sum, want}, {"count", cnt, count}} {
		out, err := keySwitch(f.g, f.parties, set, tc.ct, tpk)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, err := Decrypt(f.g.Params, tsk, out)
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != tc.want || got[n-1] != tc.want {
			t.Fatalf("%s = %d (last slot %d), want %d", tc.name, got[0], got[n-1], tc.want)
		}
	}
}

func TestOneShareperCiphertext(t *testing.T) {
	f := getFixture(t)
	_, tpk := NewTargetKeyPair(f.g.Params)
	_, tpk2 := NewTargetKeyPair(f.g.Params)
	ct, err := Encrypt(f.g.Params, f.pk, []int64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := CiphertextDigest(f.g.Params, ct)
	p := f.parties[2]
	log := p.log.(*MemReleaseLog)
	if _, ok := log.Label(d); ok {
		t.Fatal("fresh ciphertext already released")
	}
	if _, err := p.KeySwitchShare(mustSet(t, f.g, 1, 2, 3), ct, tpk, "first"); err != nil {
		t.Fatal(err)
	}
	if label, ok := log.Label(d); !ok || label != "first" {
		t.Fatalf("digest recorded as %q, %v; want \"first\"", label, ok)
	}
	for _, tc := range []struct {
		name   string
		set    ActiveSet
		target *rlwe.PublicKey
	}{
		{"same request", mustSet(t, f.g, 1, 2, 3), tpk},
		{"other set", mustSet(t, f.g, 2, 4, 5), tpk},
		{"other target", mustSet(t, f.g, 1, 2, 3), tpk2},
	} {
		if _, err := p.KeySwitchShare(tc.set, ct, tc.target, tc.name); !errors.Is(err, ErrShareAlreadyReleased) {
			t.Fatalf("%s: err = %v, want ErrShareAlreadyReleased", tc.name, err)
		}
	}
	// A copy of the same ciphertext is the same ciphertext.
	if _, err := p.KeySwitchShare(mustSet(t, f.g, 1, 2, 3), ct.CopyNew(), tpk, "copy"); !errors.Is(err, ErrShareAlreadyReleased) {
		t.Fatalf("copy: err = %v, want ErrShareAlreadyReleased", err)
	}
	if label, _ := log.Label(d); label != "first" {
		t.Fatalf("a refused request relabelled the release: %q", label)
	}
}

func TestTooFewShares(t *testing.T) {
	f := getFixture(t)
	_, tpk := NewTargetKeyPair(f.g.Params)
	set := mustSet(t, f.g, 1, 3, 5)
	ct, err := Encrypt(f.g.Params, f.pk, []int64{42})
	if err != nil {
		t.Fatal(err)
	}
	var shares []*KeySwitchShare
	for _, id := range set {
		s, err := f.parties[id].KeySwitchShare(set, ct, tpk, "test")
		if err != nil {
			t.Fatal(err)
		}
		shares = append(shares, s)
	}
	for _, tc := range []struct {
		name   string
		shares []*KeySwitchShare
		want   error
	}{
		{"none", nil, ErrNotEnoughShares},
		{"one", shares[:1], ErrNotEnoughShares},
		{"t-1", shares[:2], ErrNotEnoughShares},
		{"duplicate", []*KeySwitchShare{shares[0], shares[1], shares[0]}, ErrMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := AggregateKeySwitch(f.g, ct, tc.shares)
			if !errors.Is(err, tc.want) || out != nil {
				t.Fatalf("out=%v err=%v, want %v", out != nil, err, tc.want)
			}
		})
	}
	if _, err := AggregateKeySwitch(f.g, ct, shares); err != nil {
		t.Fatalf("all shares: %v", err)
	}
	// Fewer than t parties cannot even form an active set.
	if _, err := f.g.NewActiveSet(1, 2); !errors.Is(err, ErrNotEnoughShares) {
		t.Fatalf("2-party set: %v", err)
	}
	// CKG with t-1 shares fails too.
	seed := newSeed(t)
	var ck []*CKGShare
	for _, id := range []int{1, 2} {
		s, err := f.parties[id].CKGShare(mustSet(t, f.g, 1, 2, 3), seed)
		if err != nil {
			t.Fatal(err)
		}
		ck = append(ck, s)
	}
	if _, err := AggregateCKG(f.g, seed, ck); !errors.Is(err, ErrNotEnoughShares) {
		t.Fatalf("CKG with 2 shares: %v", err)
	}
}
