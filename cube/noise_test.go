package cube

import (
	"math"
	"math/big"
	mrand "math/rand/v2"
	"testing"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"

	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/thhe"
)

// keyed is a single-key stand-in for the collective key, for measuring
// noise: the secret is the sum of `parties` ternary keys, like the
// collective key s = Σ s_i.
type keyed struct {
	params thhe.Params
	sk     *rlwe.SecretKey
	pk     *rlwe.PublicKey
	ev     *thhe.Evaluator
}

func newKeyed(params thhe.Params, parties int) *keyed {
	kg := rlwe.NewKeyGenerator(params.Parameters)
	sk := rlwe.NewSecretKey(params.Parameters)
	for range parties {
		params.RingQP().Add(sk.Value, kg.GenSecretKeyNew().Value, sk.Value)
	}
	gks := kg.GenGaloisKeysNew(thhe.InnerSumGaloisElements(params), sk)
	return &keyed{params: params, sk: sk, pk: kg.GenPublicKeyNew(sk), ev: thhe.NewEvaluator(params, thhe.EvaluationKeys{Galois: gks})}
}

// noiseBits returns log2 of the largest coefficient of the noise e of ct
// under sk, in the units of lattigo's BGV (decryption gives Δ·m + e mod Q
// with Δ = T^-1 mod Q; it decrypts correctly while |T·e| < Q/2). T·(Δ·m+e)
// = m + T·e, and |m| < T, so max|T·(Δ·m+e)|/T bounds |e| to within one.
func noiseBits(params thhe.Params, sk *rlwe.SecretKey, ct *rlwe.Ciphertext) float64 {
	pt := rlwe.NewDecryptor(params.Parameters, sk).DecryptNew(ct)
	rq := params.RingQ().AtLevel(ct.Level())
	rq.INTT(pt.Value, pt.Value)
	rq.MulScalar(pt.Value, params.PlaintextModulus(), pt.Value)
	co := make([]*big.Int, params.N())
	for i := range co {
		co[i] = new(big.Int)
	}
	rq.PolyToBigintCentered(pt.Value, 1, co)
	m := new(big.Int)
	for _, c := range co {
		if c.CmpAbs(m) > 0 {
			m.Abs(c)
		}
	}
	f, _ := new(big.Float).SetInt(m).Float64()
	return math.Log2(f) - math.Log2(float64(params.PlaintextModulus()))
}

// budgetBits is log2(Q_level / 2T): the largest noise that still decrypts.
func budgetBits(params thhe.Params, level int) float64 {
	b := -1 - math.Log2(float64(params.PlaintextModulus()))
	for _, q := range params.Q()[:level+1] {
		b += math.Log2(float64(q))
	}
	return b
}

// worstCubeCiphertexts encrypts `folds` independent ciphertexts per cube
// ciphertext of uniformly random slots mod T and adds them: the noise of a
// state after `folds` deltas, with cell values that make the mask products
// as noisy as any data can.
func worstCubeCiphertexts(t testing.TB, k *keyed, l *Layout, folds int) []*rlwe.Ciphertext {
	t.Helper()
	rng := mrand.New(mrand.NewPCG(3, 4))
	enc := rlwe.NewEncryptor(k.params.Parameters, k.pk)
	ecd := bgv.NewEncoder(k.params.Parameters)
	vals := make([]uint64, k.params.Slots())
	out := make([]*rlwe.Ciphertext, l.Ciphertexts)
	for i := range out {
		for range folds {
			for j := range vals {
				vals[j] = rng.Uint64N(thhe.PlaintextModulus)
			}
			pt := bgv.NewPlaintext(k.params.Parameters, k.params.MaxLevel())
			if err := ecd.Encode(vals, pt); err != nil {
				t.Fatal(err)
			}
			ct, err := enc.EncryptNew(pt)
			if err != nil {
				t.Fatal(err)
			}
			if out[i] == nil {
				out[i] = ct
			} else if out[i], err = k.ev.Add(out[i], ct); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

// ResultNoiseBound is the bound (log2, lattigo BGV units) on the noise of a
// result ciphertext that the flooding of thhe.DefaultFloodBound is sized
// for (doc.go, "Noise"); measured values are near 2^8.
const resultNoiseBound = 12

// TestResultNoise measures the noise of Evaluate's results on TestParams
// (production figures: BenchmarkEvaluate) for the plans that sum the most
// (every axis) and keep the most (GROUP BY with a merging histogram), and
// checks it stays below the bound the flooding is sized for, and that the
// key-switch level has room for the flooding of the largest active set.
func TestResultNoise(t *testing.T) {
	params, err := thhe.TestParams()
	if err != nil {
		t.Fatal(err)
	}
	k := newKeyed(params, 5)
	s := builtin(t, "population")
	ls, _ := NewLayouts(s, params.Slots())
	cts := worstCubeCiphertexts(t, k, ls[0], 8)
	in := 0.0
	for _, ct := range cts {
		in = max(in, noiseBits(params, k.sk, ct))
	}
	for _, plan := range []*query.Plan{
		{Registry: "population", Cube: "people", Sums: []string{"birth_year"}},
		{Registry: "population", Cube: "people", GroupBy: "county", Sums: []string{"birth_year"},
			Histogram: &query.HistogramPlan{Measure: "birth_year", Bins: []query.BinRange{{From: 0, To: 20}, {From: 20, To: 27}}}},
	} {
		res, err := Evaluate(k.ev, ls[0], plan, cts)
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for _, ct := range res.Ciphertexts {
			worst = max(worst, noiseBits(params, k.sk, ct))
		}
		t.Logf("input noise 2^%.1f, result noise 2^%.1f at level %d (budget 2^%.1f)", in, worst, thhe.MinKeySwitchLevel, budgetBits(params, thhe.MinKeySwitchLevel))
		if worst > resultNoiseBound {
			t.Fatalf("result noise 2^%.1f above the bound 2^%d", worst, resultNoiseBound)
		}
	}
	// Headroom: the result noise plus the flooding of MaxParties parties
	// (each uniform in ±FloodBound) must decrypt at the key-switch level.
	total := math.Log2(math.Exp2(resultNoiseBound) + thhe.MaxParties*float64(params.FloodBound))
	if b := budgetBits(params, thhe.MinKeySwitchLevel); total >= b-1 {
		t.Fatalf("noise after key switch up to 2^%.1f, budget 2^%.1f", total, b)
	}
	// Uniform flooding in ±B hides noise |e| ≤ 2^bound to statistical
	// distance |e|/(2B+1) per coefficient, N coefficients per ciphertext.
	if lambda := math.Log2(float64(params.FloodBound)) + 1 - resultNoiseBound - float64(params.LogN()); lambda < 32 {
		t.Fatalf("flooding bound 2^%.1f hides the noise bound only to 2^-%.1f per ciphertext", math.Log2(float64(params.FloodBound)), lambda)
	}
}

// registryRecords makes n generated records of a built-in registry.
func registryRecords(t testing.TB, name string, n int) []registry.Record {
	gen, err := registry.NewGenerator(name, 11)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]registry.Record, n)
	for i := range out {
		out[i] = gen.Next()
	}
	return out
}
