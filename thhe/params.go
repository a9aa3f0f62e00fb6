package thhe

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/tuneinsight/lattigo/v6/ring"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"
)

// PlaintextModulus is T, the plaintext modulus of every parameter set here:
// the largest 35-bit prime with T ≡ 1 mod 2^16, so T ≡ 1 mod 2N for every
// LogN ≤ 15 and the plaintext ring splits into N slots (full packing).
// Slot values are integers mod T, decoded into [-(T-1)/2, (T-1)/2].
const PlaintextModulus uint64 = 34359410689 // 2^35 - 5·2^16 + 1; checked by TestPlaintextModulus

// MaxSlotValue is the largest magnitude a decoded slot can hold without
// wrapping: a SUM whose true value exceeds it comes back wrong (mod T).
const MaxSlotValue = int64((PlaintextModulus - 1) / 2)

// Moduli shared by the production and test parameter sets (bits of each
// prime). The first prime is the last one left after rescaling. Four Q
// primes give two rescales (a ciphertext product, or the two plaintext
// masks of a cube query: see package cube) and still leave level 1 — two
// primes, 111 bits — for key switching with the flooding noise.
var (
	logQ = []int{56, 55, 55, 55}
	logP = []int{55, 55}
)

// DefaultFloodSigma is the standard deviation of the flooding ("smudging")
// noise each party adds to its key-switch share: 2^52 = 2^40 · 2^12, where
// 2^12 bounds the noise of a query result at the key-switch level (measured
// near 2^8, see package cube) and 2^40 is the statistical security margin.
// It is also the largest power of two lattigo's Gaussian sampler handles
// here: it reduces a sample mod each prime only if the bound 6σ is below
// the prime (≈ 2^55). The key-switch level has room for it: doc.go.
const DefaultFloodSigma = float64(1 << 52)

// Params is a BGV parameter set plus the key-switch flooding noise.
type Params struct {
	bgv.Parameters
	// FloodSigma is the standard deviation of the Gaussian flooding noise a
	// party adds to each key-switch share (bounded at 6σ).
	FloodSigma float64
}

// ProductionParams returns the parameter set meant for deployment: N=2^14,
// log(QP)≈331 (Q: 56+55+55+55 bits, P: 55+55 bits), T = PlaintextModulus.
// The HE standard allows log(QP) ≤ 438 at N=2^14 for 128-bit security with a
// ternary secret, so this set sits well inside the 128-bit bound.
func ProductionParams() (Params, error) { return newParams(14) }

// TestParams returns a parameter set with the same moduli as
// ProductionParams but N=2^12. It is NOT SECURE (at N=2^12 the HE standard
// allows log(QP) ≤ 109 for 128 bits) and exists only to keep tests fast.
func TestParams() (Params, error) { return newParams(12) }

func newParams(logN int) (Params, error) {
	bp, err := bgv.NewParametersFromLiteral(bgv.ParametersLiteral{
		LogN:             logN,
		LogQ:             logQ,
		LogP:             logP,
		PlaintextModulus: PlaintextModulus,
	})
	if err != nil {
		return Params{}, fmt.Errorf("thhe: bgv parameters: %w", err)
	}
	return Params{Parameters: bp, FloodSigma: DefaultFloodSigma}, nil
}

func (p Params) flooding() ring.DiscreteGaussian {
	return ring.DiscreteGaussian{Sigma: p.FloodSigma, Bound: 6 * p.FloodSigma}
}

// Slots is the number of int64 values one ciphertext holds (N).
func (p Params) Slots() int { return p.MaxSlots() }

// ID is a fingerprint of the parameter set (BGV parameters and flooding
// noise) carried in every encoded share so that shares made under different
// parameters are refused instead of being combined into garbage.
func (p Params) ID() [8]byte {
	b, err := json.Marshal(p.Parameters)
	if err != nil {
		// bgv.Parameters always marshals; a failure here is a programming error.
		panic(fmt.Sprintf("thhe: marshal parameters: %v", err))
	}
	h := sha256.New()
	h.Write([]byte("embassy/thhe/params/v1\x00"))
	h.Write(b)
	fmt.Fprintf(h, "\x00flood=%g", p.FloodSigma)
	var id [8]byte
	copy(id[:], h.Sum(nil))
	return id
}
