package thhe

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"

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

// DefaultFloodBound is B, the bound of the flooding ("smudging") noise each
// party adds to its key-switch share: every coefficient independently
// uniform in [-B, B], B = 2^60. Against a result noise |e| ≤ 2^12 (the
// bound for package cube's results at the key-switch level; measured near
// 2^8) a shift by e changes the distribution of one coefficient by
// |e|/(2B+1) ≤ 2^-49 in statistical distance, and of a ciphertext's N
// coefficients by at most N·2^-49 (2^-35 at N = 2^14). Room: the flooding
// of MaxParties parties, 255·2^60 < 2^68, stays 2^7 below the noise that
// still decrypts at the key-switch level, Q_1/2T ≈ 2^75. See doc.go.
const DefaultFloodBound uint64 = 1 << 60

// MaxFloodBound is the largest Params.FloodBound: 2B+1 values must fit a
// 64-bit word for the rejection sampler.
const MaxFloodBound uint64 = 1 << 62

// Params is a BGV parameter set plus the key-switch flooding noise.
type Params struct {
	bgv.Parameters
	// FloodBound is B: each party adds to each key-switch share noise whose
	// coefficients are independent and uniform in [-B, B], drawn from
	// crypto/rand (1 ≤ B ≤ MaxFloodBound).
	FloodBound uint64
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
	return Params{Parameters: bp, FloodBound: DefaultFloodBound}, nil
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
	fmt.Fprintf(h, "\x00flood=uniform:%d", p.FloodBound)
	var id [8]byte
	copy(id[:], h.Sum(nil))
	return id
}
