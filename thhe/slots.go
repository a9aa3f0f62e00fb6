package thhe

import (
	"fmt"
	"math/bits"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"
)

// Slot-wise operations for evaluating aggregates over packed tables (package
// cube). The N slots of a ciphertext form a 2 × N/2 matrix: slot i < N/2 is
// row 0, column i; slot N/2+i is row 1, column i. Everything here uses only
// the Galois keys of InnerSumGaloisElements (column rotations by powers of
// two below N/2 and the row swap) and is deterministic: the same inputs give
// byte-identical outputs on every node.

// Params returns the evaluator's parameter set.
func (e *Evaluator) Params() Params { return e.params }

// MulPlainRescale returns ct multiplied slot-wise by the plaintext values
// (at most Slots(), the rest zero), then rescaled: one level lower than ct.
// With a 0/1 vector it zeroes the slots not selected. The noise of ct grows
// by about T·√N before the rescale divides it by the dropped prime (see
// doc.go), so ct needs level ≥ 1.
func (e *Evaluator) MulPlainRescale(ct *rlwe.Ciphertext, values []uint64) (*rlwe.Ciphertext, error) {
	if err := checkCiphertext(e.params, ct); err != nil {
		return nil, err
	}
	if ct.Level() < 1 {
		return nil, fmt.Errorf("thhe: no level left to rescale")
	}
	if len(values) > e.params.Slots() {
		return nil, fmt.Errorf("thhe: %d values, a ciphertext holds %d", len(values), e.params.Slots())
	}
	t := e.params.PlaintextModulus()
	for i, v := range values {
		if v >= t {
			return nil, fmt.Errorf("thhe: plaintext value %d at %d not reduced mod T", v, i)
		}
	}
	out, err := e.ev.MulNew(ct, values)
	if err != nil {
		return nil, fmt.Errorf("thhe: multiply by plaintext: %w", err)
	}
	if err := e.ev.Rescale(out, out); err != nil {
		return nil, fmt.Errorf("thhe: rescale: %w", err)
	}
	return out, nil
}

// RotateColumns returns ct with each row rotated left by k columns (slot
// (r, c) receives slot (r, c+k mod N/2)). k must be a power of two below
// N/2: those are the rotations the collective Galois keys cover.
func (e *Evaluator) RotateColumns(ct *rlwe.Ciphertext, k int) (*rlwe.Ciphertext, error) {
	if err := checkCiphertext(e.params, ct); err != nil {
		return nil, err
	}
	if k <= 0 || k >= e.params.Slots()/2 || bits.OnesCount(uint(k)) != 1 {
		return nil, fmt.Errorf("thhe: column rotation by %d: only powers of two below %d have keys", k, e.params.Slots()/2)
	}
	out, err := e.ev.RotateColumnsNew(ct, k)
	if err != nil {
		return nil, fmt.Errorf("thhe: rotate columns by %d: %w", k, err)
	}
	return out, nil
}

// RotateRows returns ct with its two rows swapped.
func (e *Evaluator) RotateRows(ct *rlwe.Ciphertext) (*rlwe.Ciphertext, error) {
	if err := checkCiphertext(e.params, ct); err != nil {
		return nil, err
	}
	out, err := e.ev.RotateRowsNew(ct)
	if err != nil {
		return nil, fmt.Errorf("thhe: rotate rows: %w", err)
	}
	return out, nil
}

// DropToLevel returns a copy of ct reduced to level (no rescale: the noise
// stays, the modulus shrinks). It is how a result is made smaller to send
// once it needs no more levels.
func (e *Evaluator) DropToLevel(ct *rlwe.Ciphertext, level int) (*rlwe.Ciphertext, error) {
	if err := checkCiphertext(e.params, ct); err != nil {
		return nil, err
	}
	if level < 0 || level > ct.Level() {
		return nil, fmt.Errorf("thhe: cannot drop a level-%d ciphertext to level %d", ct.Level(), level)
	}
	out := ct.CopyNew()
	e.ev.DropLevel(out, ct.Level()-level)
	return out, nil
}

// ZeroCiphertext returns the trivial encryption of zero (both polynomials
// zero) at level, with the scale a fresh encryption has: the neutral
// element for Add. It hides nothing and is meant as a starting sum.
func ZeroCiphertext(params Params, level int) (*rlwe.Ciphertext, error) {
	if level < 0 || level > params.MaxLevel() {
		return nil, fmt.Errorf("thhe: level %d out of range 0..%d", level, params.MaxLevel())
	}
	return bgv.NewCiphertext(params.Parameters, 1, level), nil
}
