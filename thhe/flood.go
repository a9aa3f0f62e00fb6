package thhe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"

	"github.com/tuneinsight/lattigo/v6/ring"
)

// errFlooding is wrapped by the errors of a flooding bound that is invalid
// or does not fit the noise budget.
var errFlooding = errors.New("key-switch flooding")

// uniform draws integers uniform in [-B, B] from 64-bit words by rejection
// sampling: there are W = 2B+1 values and 2^64 = k·W + rem, so a word w is
// used (as w mod W) only if w ≥ rem. The 2^64 - rem words left are k·W
// consecutive integers: every residue mod W is hit by exactly k of them,
// hence no modulo bias. The rejection probability is rem/2^64 < W/2^64
// (< 2^-3 for W ≤ 2^61+1).
type uniform struct {
	bound uint64 // B
	width uint64 // W = 2B+1
	rem   uint64 // 2^64 mod W: words below it are rejected
}

func newUniform(bound uint64) (uniform, error) {
	if bound == 0 || bound > MaxFloodBound {
		return uniform{}, fmt.Errorf("thhe: %w bound %d out of range 1..2^62", errFlooding, bound)
	}
	w := 2*bound + 1
	// -w is 2^64 - w as a uint64, and (2^64 - w) mod w = 2^64 mod w.
	return uniform{bound: bound, width: w, rem: -w % w}, nil
}

// offset maps a word to a value in [0, 2B] (the sample plus B), or reports
// it rejected.
func (u uniform) offset(word uint64) (uint64, bool) {
	if word < u.rem {
		return 0, false
	}
	return word % u.width, true
}

// floodWords is how many words floodPoly reads from its source at a time.
const floodWords = 512

// floodPoly returns N coefficients uniform in [-B, B], each stored plus B
// (in [0, 2B]), from the 64-bit little-endian words of src.
func floodPoly(u uniform, n int, src io.Reader) ([]uint64, error) {
	out := make([]uint64, 0, n)
	buf := make([]byte, 8*floodWords)
	defer clear(buf)
	for len(out) < n {
		if _, err := io.ReadFull(src, buf); err != nil {
			clear(out)
			return nil, fmt.Errorf("thhe: read flooding randomness: %w", err)
		}
		for i := 0; i < floodWords && len(out) < n; i++ {
			if v, ok := u.offset(binary.LittleEndian.Uint64(buf[8*i:])); ok {
				out = append(out, v)
			}
		}
	}
	return out, nil
}

// addFlooding adds to p, a polynomial at level (in the NTT domain if isNTT),
// the flooding noise of one key-switch share: N integer coefficients
// uniform in [-B, B] (B = params.FloodBound) drawn from src. It embeds them
// as lattigo's PublicKeySwitchProtocol.GenShare embeds its own smudging
// noise (multiparty/keyswitch_pk.go, v6.1.1): into share.Value[0], as
// integers reduced mod each prime q_0..q_level of the share's level, in
// standard (not Montgomery) form, mapped by the NTT when the ciphertext is
// in the NTT domain, and not multiplied by T (lattigo's BGV keeps the noise
// unscaled in the ciphertext; decryption multiplies it by T).
func addFlooding(params Params, level int, isNTT bool, p ring.Poly, src io.Reader) error {
	u, err := newUniform(params.FloodBound)
	if err != nil {
		return err
	}
	rq := params.RingQ().AtLevel(level)
	if p.Level() < level || p.N() != rq.N() {
		return fmt.Errorf("thhe: flooding: polynomial at level %d, want %d", p.Level(), level)
	}
	vals, err := floodPoly(u, rq.N(), src)
	if err != nil {
		return err
	}
	defer clear(vals)
	e := rq.NewPoly()
	defer func() {
		for _, c := range e.Coeffs {
			clear(c)
		}
	}()
	for i, q := range rq.ModuliChain()[:level+1] {
		// v - B mod q, with v in [0, 2B]: both v mod q and B mod q are
		// below q < 2^63, so the sum cannot overflow.
		bq := q - u.bound%q
		c := e.Coeffs[i]
		for j, v := range vals {
			x := v%q + bq
			if x >= q {
				x -= q
			}
			c[j] = x
		}
	}
	if isNTT {
		rq.NTT(e, e)
	}
	rq.Add(p, e, p)
	return nil
}

// checkFlooding checks that the flooding of a key switch by `members`
// parties at level fits the noise budget: members·B must be at most half of
// Q_level/(2T), the largest noise that still decrypts (lattigo's BGV units),
// leaving the other half for the ciphertext's own noise and the key
// switch's encryption noise (both far smaller: ≤ 2^12 for the results of
// package cube, and ≈ 2^8).
func checkFlooding(params Params, level, members int) error {
	if _, err := newUniform(params.FloodBound); err != nil {
		return err
	}
	budget := new(big.Int).SetUint64(1)
	for _, q := range params.Q()[:level+1] {
		budget.Mul(budget, new(big.Int).SetUint64(q))
	}
	budget.Quo(budget, new(big.Int).SetUint64(2*params.PlaintextModulus()))
	need := new(big.Int).SetUint64(params.FloodBound)
	need.Mul(need, big.NewInt(2*int64(members)))
	if need.Cmp(budget) > 0 {
		return fmt.Errorf("thhe: %w of %d parties (bound 2^%.1f each) does not fit level %d's noise budget 2^%.1f",
			errFlooding, members, log2Big(new(big.Int).SetUint64(params.FloodBound)), level, log2Big(budget))
	}
	return nil
}

func log2Big(x *big.Int) float64 {
	f, _ := new(big.Float).SetInt(x).Float64()
	return math.Log2(f)
}
