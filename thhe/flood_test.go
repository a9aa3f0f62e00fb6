package thhe

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"math"
	"math/big"
	mrand "math/rand/v2"
	"slices"
	"testing"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/ring"
	"github.com/tuneinsight/lattigo/v6/utils/sampling"
)

var two64 = new(big.Int).Lsh(big.NewInt(1), 64)

// TestUniformNoModuloBias checks the rejection sampler against big-integer
// arithmetic: the threshold is 2^64 mod W, the accepted words are a whole
// number of periods of W, words below the threshold are rejected and the
// others map to word mod W.
func TestUniformNoModuloBias(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(1, 2))
	for _, b := range []uint64{1, 2, 3, 1000, 1 << 52, DefaultFloodBound, MaxFloodBound - 1, MaxFloodBound, rng.Uint64N(MaxFloodBound) + 1} {
		u, err := newUniform(b)
		if err != nil {
			t.Fatalf("B=%d: %v", b, err)
		}
		w := new(big.Int).SetUint64(2*b + 1)
		rem := new(big.Int).Mod(two64, w)
		if u.width != 2*b+1 || u.rem != rem.Uint64() {
			t.Fatalf("B=%d: width %d rem %d, want %v %v", b, u.width, u.rem, w, rem)
		}
		if new(big.Int).Mod(new(big.Int).Sub(two64, rem), w).Sign() != 0 {
			t.Fatalf("B=%d: accepted words are not a whole number of periods", b)
		}
		words := []uint64{0, 1, u.rem, math.MaxUint64, math.MaxUint64 - 1}
		if u.rem > 0 {
			words = append(words, u.rem-1)
		}
		for range 2000 {
			words = append(words, rng.Uint64(), u.rem+rng.Uint64N(1<<16), u.rem-rng.Uint64N(1<<16))
		}
		for _, word := range words {
			v, ok := u.offset(word)
			if ok != (word >= u.rem) {
				t.Fatalf("B=%d: word %d accepted=%v, threshold %d", b, word, ok, u.rem)
			}
			if ok && v != new(big.Int).Mod(new(big.Int).SetUint64(word), w).Uint64() {
				t.Fatalf("B=%d: word %d → %d, want word mod %v", b, word, v, w)
			}
		}
	}
	for _, b := range []uint64{0, MaxFloodBound + 1, math.MaxUint64} {
		if _, err := newUniform(b); err == nil {
			t.Fatalf("bound %d accepted", b)
		}
	}
}

// TestUniformUnbiased: with W = 2B+1 ≈ 2·2^64/5, plain `word mod W` would
// hit the lower half of [0, 2B] three times per period of words and the
// upper half twice: 40% of the samples above B instead of half.
func TestUniformUnbiased(t *testing.T) {
	const b = 3689348814741910323 // W = 7378697629483820647 ≈ 2^65/5
	u, err := newUniform(b)
	if err != nil {
		t.Fatal(err)
	}
	src := mrand.NewChaCha8([32]byte{1})
	const n = 1 << 14
	vals, err := floodPoly(u, n, src)
	if err != nil {
		t.Fatal(err)
	}
	above := 0
	for _, v := range vals {
		if v > u.bound {
			above++
		}
	}
	// Binomial(n, 1/2): sd ≈ 0.004 in the fraction.
	if f := float64(above) / n; f < 0.48 || f > 0.52 {
		t.Fatalf("%.3f of the samples above 0, want 1/2", f)
	}
}

// TestFloodFullPrecision draws 2^19 flooding coefficients from crypto/rand
// and checks that they fill [-B, B]: both ends reached within B/2^12, low
// and high bytes evenly spread, and no two equal. A sampler with at most
// 2^32 distinct outputs (lattigo's Gaussian at σ = 2^52, see
// TestLattigoGaussianIsCoarse) shows about 32 collisions among 2^19
// samples; a uniform one over 2^61 values one with probability 2^-24.
func TestFloodFullPrecision(t *testing.T) {
	u, err := newUniform(DefaultFloodBound)
	if err != nil {
		t.Fatal(err)
	}
	const n = 1 << 19
	vals, err := floodPoly(u, n, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var low, high [256]int
	slice := 2*u.bound/256 + 1
	for _, v := range vals {
		if v > 2*u.bound {
			t.Fatalf("offset %d above 2B", v)
		}
		low[v&0xff]++
		high[v/slice]++
	}
	const mean = n / 256 // sd ≈ 45
	for i := range low {
		if d := low[i] - mean; d < -400 || d > 400 {
			t.Fatalf("low byte %d: %d samples, want ≈ %d", i, low[i], mean)
		}
		if d := high[i] - mean; d < -400 || d > 400 {
			t.Fatalf("range slice %d/256: %d samples, want ≈ %d", i, high[i], mean)
		}
	}
	slices.Sort(vals)
	if lo, hi := vals[0], vals[n-1]; lo > u.bound>>12 || hi < 2*u.bound-u.bound>>12 {
		t.Fatalf("samples span [%d, %d] - B, want ≈ [-B, B]", lo, hi)
	}
	if c := collisions(vals); c != 0 {
		t.Fatalf("%d collisions among %d samples", c, n)
	}
}

// collisions counts adjacent equal values in a sorted slice.
func collisions(sorted []uint64) int {
	c := 0
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			c++
		}
	}
	return c
}

// TestLattigoGaussianIsCoarse pins why the flooding does not use lattigo's
// Gaussian sampler: in v6.1.1, at σ = 2^52, its samples come from a 32-bit
// ziggurat and repeat after about 2^16 draws, where TestFloodFullPrecision
// finds none. If this fails, lattigo's sampler changed: revisit doc.go.
func TestLattigoGaussianIsCoarse(t *testing.T) {
	params, err := TestParams()
	if err != nil {
		t.Fatal(err)
	}
	prng, err := sampling.NewPRNG()
	if err != nil {
		t.Fatal(err)
	}
	rq := params.RingQ().AtLevel(0)
	s, err := ring.NewSampler(prng, rq, ring.DiscreteGaussian{Sigma: 1 << 52, Bound: 6 << 52}, false)
	if err != nil {
		t.Fatal(err)
	}
	q := rq.ModuliChain()[0]
	var vals []uint64
	p := rq.NewPoly()
	for len(vals) < 1<<19 {
		s.Read(p)
		vals = append(vals, p.Coeffs[0]...) // x mod q: injective for |x| ≤ 6σ < q/2
	}
	slices.Sort(vals)
	if c := collisions(vals); c == 0 {
		t.Fatalf("no collisions among %d Gaussian samples mod %d: lattigo's sampler is no longer coarse", len(vals), q)
	}
}

// TestAddFloodingEmbedding: the flooding added to a polynomial is, in every
// limb of the level, the same integer in [-B, B] reduced mod that limb's
// prime (checked by CRT reconstruction), in the NTT domain or not.
func TestAddFloodingEmbedding(t *testing.T) {
	for _, get := range []func() (Params, error){TestParams, ProductionParams} {
		params, err := get()
		if err != nil {
			t.Fatal(err)
		}
		u, err := newUniform(params.FloodBound)
		if err != nil {
			t.Fatal(err)
		}
		for _, level := range []int{MinKeySwitchLevel, params.MaxLevel()} {
			for _, ntt := range []bool{true, false} {
				seed := [32]byte{byte(level), byte(params.LogN())}
				if ntt {
					seed[2] = 1
				}
				want, err := floodPoly(u, params.N(), mrand.NewChaCha8(seed))
				if err != nil {
					t.Fatal(err)
				}
				rq := params.RingQ().AtLevel(level)
				p := rq.NewPoly()
				if err := addFlooding(params, level, ntt, p, mrand.NewChaCha8(seed)); err != nil {
					t.Fatal(err)
				}
				if ntt {
					rq.INTT(p, p)
				}
				got := make([]*big.Int, params.N())
				for i := range got {
					got[i] = new(big.Int)
				}
				rq.PolyToBigintCentered(p, 1, got)
				b := new(big.Int).SetUint64(u.bound)
				for j, v := range want {
					x := new(big.Int).Sub(new(big.Int).SetUint64(v), b)
					if got[j].Cmp(x) != 0 {
						t.Fatalf("logN %d level %d ntt %v: coefficient %d = %v, want %v", params.LogN(), level, ntt, j, got[j], x)
					}
				}
			}
		}
	}
}

func TestAddFloodingErrors(t *testing.T) {
	params, err := TestParams()
	if err != nil {
		t.Fatal(err)
	}
	rq := params.RingQ().AtLevel(1)
	if err := addFlooding(params, 2, true, rq.NewPoly(), rand.Reader); err == nil {
		t.Fatal("polynomial below the level accepted")
	}
	if err := addFlooding(params, 1, true, rq.NewPoly(), bytes.NewReader(make([]byte, 100))); err == nil {
		t.Fatal("short randomness accepted")
	}
	bad := params
	bad.FloodBound = 0
	if err := addFlooding(bad, 1, true, rq.NewPoly(), rand.Reader); err == nil {
		t.Fatal("bound 0 accepted")
	}
}

// TestFloodingHeadroom: the flooding of MaxParties parties fits the
// key-switch level of both parameter sets; the checks refuse what does
// not fit.
func TestFloodingHeadroom(t *testing.T) {
	for _, get := range []func() (Params, error){TestParams, ProductionParams} {
		p, err := get()
		if err != nil {
			t.Fatal(err)
		}
		budget := -1 - math.Log2(float64(p.PlaintextModulus()))
		for _, q := range p.Q()[:MinKeySwitchLevel+1] {
			budget += math.Log2(float64(q))
		}
		flood := math.Log2(MaxParties * float64(p.FloodBound))
		t.Logf("logN %d: %d parties' flooding ≤ 2^%.2f, budget Q_%d/2T = 2^%.2f", p.LogN(), MaxParties, flood, MinKeySwitchLevel, budget)
		if budget-flood < 6 {
			t.Fatalf("flooding 2^%.1f too close to the budget 2^%.1f", flood, budget)
		}
		if err := checkFlooding(p, MinKeySwitchLevel, MaxParties); err != nil {
			t.Fatal(err)
		}
	}
	p, err := TestParams()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		bound          uint64
		level, members int
		ok             bool
	}{
		{DefaultFloodBound, 1, MaxParties, true},
		{MaxFloodBound, 1, MaxParties, true},
		{DefaultFloodBound, 0, 1, false}, // Q_0/2T ≈ 2^20
		{1 << 18, 0, 2, true},
		{1 << 19, 0, 2, false},
		{0, 1, 1, false},
		{MaxFloodBound + 1, 1, 1, false},
	} {
		q := p
		q.FloodBound = c.bound
		if err := checkFlooding(q, c.level, c.members); (err == nil) != c.ok {
			t.Fatalf("B=%d level %d members %d: err %v, want ok=%v", c.bound, c.level, c.members, err, c.ok)
		}
	}
}

// decryptedNoise returns the centred coefficients of c0 + c1·s: for an
// encryption of zero, its noise in lattigo's BGV units.
func decryptedNoise(params Params, sk *rlwe.SecretKey, ct *rlwe.Ciphertext) []*big.Int {
	pt := rlwe.NewDecryptor(params.Parameters, sk).DecryptNew(ct)
	rq := params.RingQ().AtLevel(ct.Level())
	if pt.IsNTT {
		rq.INTT(pt.Value, pt.Value)
	}
	co := make([]*big.Int, params.N())
	for i := range co {
		co[i] = new(big.Int)
	}
	rq.PolyToBigintCentered(pt.Value, 1, co)
	return co
}

// checkSwitchedNoise key-switches an encryption of zero at
// MinKeySwitchLevel by set and checks that the noise under the target key
// is the flooding of the set's members: within ±|set|·B (plus 2^24 for
// the rest) and above B in a good part of the coefficients (for three
// parties, a third of them are expected there; for two, an eighth).
func checkSwitchedNoise(t *testing.T, g Group, parties map[int]*Party, pk *rlwe.PublicKey, set ActiveSet) {
	t.Helper()
	params := g.Params
	tsk, tpk := NewTargetKeyPair(params)
	ct, err := Encrypt(params, pk, make([]int64, params.Slots()))
	if err != nil {
		t.Fatal(err)
	}
	if ct, err = NewEvaluator(params, EvaluationKeys{}).DropToLevel(ct, MinKeySwitchLevel); err != nil {
		t.Fatal(err)
	}
	out, err := keySwitch(g, parties, set, ct, tpk)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decrypt(params, tsk, out)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if v != 0 {
			t.Fatalf("slot %d = %d, want 0", i, v)
		}
	}
	noise := decryptedNoise(params, tsk, out)
	b := new(big.Int).SetUint64(params.FloodBound)
	limit := new(big.Int).Mul(b, big.NewInt(int64(len(set))))
	limit.Add(limit, big.NewInt(1<<24))
	above := 0
	seen := map[string]bool{}
	for j, e := range noise {
		if new(big.Int).Abs(e).Cmp(limit) > 0 {
			t.Fatalf("noise coefficient %d = %v, beyond %d·B", j, e, len(set))
		}
		if e.CmpAbs(b) > 0 {
			above++
		}
		seen[e.String()] = true
	}
	if above < params.N()/16 {
		t.Fatalf("only %d of %d noise coefficients above B: flooding missing or too small", above, params.N())
	}
	if len(seen) != params.N() {
		t.Fatalf("%d distinct noise coefficients among %d", len(seen), params.N())
	}
}

// TestKeySwitchFloodingNoise: the flooding reaches the key-switched
// ciphertext in the right place and at the right scale.
func TestKeySwitchFloodingNoise(t *testing.T) {
	f := getFixture(t)
	checkSwitchedNoise(t, f.g, f.parties, f.pk, mustSet(t, f.g, 1, 2, 3))
}

// TestKeySwitchFloodingNoiseProduction does the same at ProductionParams
// with a 2-of-3 group.
func TestKeySwitchFloodingNoiseProduction(t *testing.T) {
	if testing.Short() {
		t.Skip("production parameters: slow")
	}
	params, err := ProductionParams()
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGroup(params, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	parties, err := setupParties(g)
	if err != nil {
		t.Fatal(err)
	}
	set := mustSet(t, g, 1, 3)
	pk, err := runCKG(g, parties, set, newSeed(t))
	if err != nil {
		t.Fatal(err)
	}
	checkSwitchedNoise(t, g, parties, pk, set)
}

// TestWorstCaseFloodingDecrypts adds to a key-switched level-1 ciphertext
// the flooding of MaxParties more parties, all at +B (then all at -B) in
// every coefficient: it still decrypts exactly. Past the budget it does
// not (the check can fail).
func TestWorstCaseFloodingDecrypts(t *testing.T) {
	f := getFixture(t)
	params := f.g.Params
	tsk, tpk := NewTargetKeyPair(params)
	vals := randomValues(params.Slots(), 1<<30, 9)
	ct, err := Encrypt(params, f.pk, vals)
	if err != nil {
		t.Fatal(err)
	}
	if ct, err = NewEvaluator(params, EvaluationKeys{}).DropToLevel(ct, MinKeySwitchLevel); err != nil {
		t.Fatal(err)
	}
	out, err := keySwitch(f.g, f.parties, mustSet(t, f.g, 2, 3, 4), ct, tpk)
	if err != nil {
		t.Fatal(err)
	}
	rq := params.RingQ().AtLevel(out.Level())
	budget := big.NewInt(1)
	for _, q := range rq.ModuliChain()[:out.Level()+1] {
		budget.Mul(budget, new(big.Int).SetUint64(q))
	}
	budget.Quo(budget, new(big.Int).SetUint64(2*params.PlaintextModulus()))
	worst := new(big.Int).Mul(new(big.Int).SetUint64(params.FloodBound), big.NewInt(MaxParties))
	over := new(big.Int).Add(budget, two64)
	for _, c := range []struct {
		name  string
		shift *big.Int
		exact bool
	}{
		{"+255B", worst, true},
		{"-255B", new(big.Int).Neg(worst), true},
		{"budget", over, false},
	} {
		shifted := out.CopyNew()
		co := make([]*big.Int, params.N())
		for i := range co {
			co[i] = c.shift
		}
		p := rq.NewPoly()
		rq.SetCoefficientsBigint(co, p)
		rq.NTT(p, p)
		rq.Add(shifted.Value[0], p, shifted.Value[0])
		got, err := Decrypt(params, tsk, shifted)
		if err != nil {
			t.Fatal(err)
		}
		if exact := slices.Equal(got, vals); exact != c.exact {
			t.Fatalf("%s: decrypts exactly = %v, want %v", c.name, exact, c.exact)
		}
	}
}

// TestFloodPolyReadsWords: floodPoly consumes little-endian words in order
// and skips rejected ones.
func TestFloodPolyReadsWords(t *testing.T) {
	u, err := newUniform(MaxFloodBound) // rem = 2^63 - 1
	if err != nil {
		t.Fatal(err)
	}
	words := make([]byte, 8*floodWords)
	binary.LittleEndian.PutUint64(words[0:], 5)               // rejected
	binary.LittleEndian.PutUint64(words[8:], u.rem)           // → rem mod W = rem
	binary.LittleEndian.PutUint64(words[16:], math.MaxUint64) // → 2^64-1 - W = 2^63 - 2
	binary.LittleEndian.PutUint64(words[24:], u.rem-1)        // rejected
	binary.LittleEndian.PutUint64(words[32:], u.rem+12345)    // → rem + 12345 - W
	got, err := floodPoly(u, 3, bytes.NewReader(words))
	if err != nil {
		t.Fatal(err)
	}
	want := []uint64{u.rem % u.width, math.MaxUint64 % u.width, (u.rem + 12345) % u.width}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
