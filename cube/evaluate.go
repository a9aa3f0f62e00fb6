package cube

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/thhe"
)

// Result is the encrypted answer to one plan: ciphertexts at
// thhe.MinKeySwitchLevel, every slot zero except the outputs that Layout
// locates.
type Result struct {
	Ciphertexts []*rlwe.Ciphertext
	Layout      ResultLayout
}

// MinInputLevel is the level cube ciphertexts need for Evaluate: two
// rescales (one per mask) and the key-switch level.
const MinInputLevel = thhe.MinKeySwitchLevel + 2

// Evaluate computes the answer to plan from the cube's ciphertexts cts (as
// held by a State): see doc.go for the algorithm and what the result
// reveals. It needs the Galois keys of thhe.InnerSumGaloisElements (no
// relinearisation key) and is deterministic: identical inputs give
// byte-identical results on every node.
func Evaluate(ev *thhe.Evaluator, l *Layout, plan *query.Plan, cts []*rlwe.Ciphertext) (*Result, error) {
	if ev == nil || l == nil {
		return nil, fmt.Errorf("cube: nil evaluator or layout")
	}
	params := ev.Params()
	if params.Slots() != l.Slots {
		return nil, fmt.Errorf("cube: evaluator has %d slots, layout %d: %w", params.Slots(), l.Slots, ErrMismatch)
	}
	if len(cts) != l.Ciphertexts {
		return nil, fmt.Errorf("cube: %d ciphertexts for cube %s, want %d: %w", len(cts), l.Cube, l.Ciphertexts, ErrMismatch)
	}
	for i, ct := range cts {
		if ct == nil || ct.Level() < MinInputLevel {
			return nil, fmt.Errorf("cube: ciphertext %d of cube %s is nil or below level %d: %w", i, l.Cube, MinInputLevel, ErrMismatch)
		}
	}
	r, err := resolve(l, plan)
	if err != nil {
		return nil, err
	}
	n := l.Slots
	logN := bits.TrailingZeros(uint(n))
	summed := r.summedBits()
	ctSummed := summed >> logN
	surv := r.survivors()
	res := &Result{Layout: r.resultLayout()}
	for pass := range r.passes {
		// (a) Select: cells passing the filter, real buckets, wanted entries.
		acc := map[int]*rlwe.Ciphertext{}
		for i, ct := range cts {
			mask, nonzero := r.mask(i, func(ax int) []bool { return r.passAllowed(ax, pass) })
			if !nonzero {
				continue
			}
			x, err := ev.MulPlainRescale(ct, mask)
			if err != nil {
				return nil, fmt.Errorf("cube: select: %w", err)
			}
			// (b) Sum the ciphertext-index bits of the summed axes.
			t := i &^ ctSummed
			if prev := acc[t]; prev != nil {
				if x, err = ev.Add(prev, x); err != nil {
					return nil, fmt.Errorf("cube: sum: %w", err)
				}
			}
			acc[t] = x
		}
		for _, t := range surv {
			x := acc[t]
			if x == nil {
				// Nothing selected: the trivial encryption of zero.
				z, err := thhe.ZeroCiphertext(params, thhe.MinKeySwitchLevel)
				if err != nil {
					return nil, err
				}
				res.Ciphertexts = append(res.Ciphertexts, z)
				continue
			}
			// (b) Sum the in-ciphertext bits: column rotations, row swap.
			for b := range logN {
				if summed&(1<<b) == 0 {
					continue
				}
				var rot *rlwe.Ciphertext
				if b == logN-1 {
					rot, err = ev.RotateRows(x)
				} else {
					rot, err = ev.RotateColumns(x, 1<<b)
				}
				if err != nil {
					return nil, fmt.Errorf("cube: sum: %w", err)
				}
				if x, err = ev.Add(x, rot); err != nil {
					return nil, fmt.Errorf("cube: sum: %w", err)
				}
			}
			// (c) Keep only the result slots: the partial sums the rotations
			// left elsewhere never leave the node.
			sel, _ := r.mask(t, r.resultAllowed)
			if x, err = ev.MulPlainRescale(x, sel); err != nil {
				return nil, fmt.Errorf("cube: select results: %w", err)
			}
			// (d) Down to the key-switch level.
			if x.Level() > thhe.MinKeySwitchLevel {
				if x, err = ev.DropToLevel(x, thhe.MinKeySwitchLevel); err != nil {
					return nil, err
				}
			}
			res.Ciphertexts = append(res.Ciphertexts, x)
		}
	}
	return res, nil
}

// mask returns the 0/1 slot vector of ciphertext i: 1 where every axis
// coordinate is allowed by allowed(axis), and whether any slot is 1.
func (r *resolved) mask(i int, allowed func(ax int) []bool) ([]uint64, bool) {
	l := r.l
	out := make([]uint64, l.Slots)
	al := make([][]bool, len(l.Axes))
	for ax := range l.Axes {
		al[ax] = allowed(ax)
	}
	nonzero := false
	for s := range out {
		p := i*l.Slots + s
		if p >= l.Size {
			break
		}
		ok := true
		for ax, a := range l.Axes {
			if !al[ax][a.coord(p)] {
				ok = false
				break
			}
		}
		if ok {
			out[s] = 1
			nonzero = true
		}
	}
	return out, nonzero
}

// resultAllowed is the final select mask per axis: summed axes at
// coordinate 0, kept axes at their output coordinates.
func (r *resolved) resultAllowed(ax int) []bool {
	a := r.l.Axes[ax]
	out := make([]bool, a.Padded)
	switch {
	case ax == 0:
		for _, e := range r.entries {
			out[e] = true
		}
	case ax == r.group:
		for c := range a.Size {
			out[c] = true
		}
	case ax == r.hist && r.histKep:
		for _, b := range r.bins {
			out[b.From] = true
		}
	default:
		out[0] = true
	}
	return out
}

// Rerandomize re-randomises every result ciphertext (thhe.Rerandomize, one
// seed per ciphertext derived from seed): nodes that evaluated the same
// plan get identical fresh ciphertexts for a new key-switch attempt.
func (res *Result) Rerandomize(params thhe.Params, pk *rlwe.PublicKey, seed [32]byte) error {
	for i, ct := range res.Ciphertexts {
		h := sha256.New()
		h.Write([]byte("embassy/cube/rerandomize/v1\x00"))
		h.Write(seed[:])
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(i)))
		var s [32]byte
		copy(s[:], h.Sum(nil))
		out, err := thhe.Rerandomize(params, pk, ct, s)
		if err != nil {
			return fmt.Errorf("cube: rerandomize result %d: %w", i, err)
		}
		res.Ciphertexts[i] = out
	}
	return nil
}
