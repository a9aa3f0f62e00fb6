package cube

import (
	"fmt"
	"math/big"

	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/thhe"
)

// limbMax is the largest value of one limb.
const limbMax = 1<<registry.LimbBits - 1

// MaxExactRows is the largest row count whose limb sums cannot wrap mod T:
// every limb is at most 2^LimbBits-1, so a limb sum over c rows is below T
// while c·(2^LimbBits-1) < T.
const MaxExactRows = (thhe.PlaintextModulus - 1) / limbMax

// Decode turns the decrypted result ciphertexts (thhe.Decrypt of each, in
// order) into one query.Cell per group bucket (in bucket order; Group -1
// without GROUP BY) and histogram output bin (Bin -1 without), zero counts
// included. Slots are read as unsigned values mod T (totals are never
// negative) and sums are rebuilt from their limb sums exactly.
//
// It refuses a result with a non-zero slot outside the output slots or a
// limb sum above count·(2^LimbBits-1) (ErrCorrupt), and one whose sums may
// have wrapped because a cell holds MaxExactRows rows or more
// (ErrOutOfRange).
func Decode(rl ResultLayout, plan *query.Plan, decrypted [][]int64) ([]query.Cell, error) {
	if plan == nil {
		return nil, fmt.Errorf("cube: nil plan: %w", ErrInvalidPlan)
	}
	if len(plan.Sums) != len(rl.Limbs) {
		return nil, fmt.Errorf("cube: plan sums %d measures, the result layout %d: %w", len(plan.Sums), len(rl.Limbs), ErrInvalidPlan)
	}
	wantBins := 1
	if plan.Histogram != nil {
		wantBins = len(plan.Histogram.Bins)
	}
	e := rl.entriesPer()
	if rl.Groups < 1 || rl.Bins != wantBins || (plan.GroupBy == "" && rl.Groups != 1) || len(rl.Where) != rl.Groups*rl.Bins*e {
		return nil, fmt.Errorf("cube: result layout does not fit the plan: %w", ErrInvalidPlan)
	}
	if len(decrypted) != rl.Ciphertexts {
		return nil, fmt.Errorf("cube: %d decrypted ciphertexts, want %d: %w", len(decrypted), rl.Ciphertexts, ErrCorrupt)
	}
	for i, d := range decrypted {
		if len(d) != rl.Slots {
			return nil, fmt.Errorf("cube: decrypted ciphertext %d has %d slots, want %d: %w", i, len(d), rl.Slots, ErrCorrupt)
		}
	}
	isOut := make([][]bool, len(decrypted))
	for i := range isOut {
		isOut[i] = make([]bool, rl.Slots)
	}
	for _, w := range rl.Where {
		if w.Ciphertext < 0 || w.Ciphertext >= rl.Ciphertexts || w.Index < 0 || w.Index >= rl.Slots {
			return nil, fmt.Errorf("cube: result layout points outside the result: %w", ErrInvalidPlan)
		}
		isOut[w.Ciphertext][w.Index] = true
	}
	for i, d := range decrypted {
		for s, v := range d {
			if v != 0 && !isOut[i][s] {
				return nil, fmt.Errorf("cube: slot %d of result ciphertext %d is %d outside the outputs: %w", s, i, v, ErrCorrupt)
			}
		}
	}
	val := func(k int) uint64 {
		w := rl.Where[k]
		v := decrypted[w.Ciphertext][w.Index]
		if v < 0 {
			return uint64(v + int64(thhe.PlaintextModulus))
		}
		return uint64(v)
	}
	cells := make([]query.Cell, 0, rl.Groups*rl.Bins)
	for g := range rl.Groups {
		for b := range rl.Bins {
			base := (g*rl.Bins + b) * e
			c := query.Cell{Group: g, Bin: b, Count: val(base)}
			if plan.GroupBy == "" {
				c.Group = -1
			}
			if plan.Histogram == nil {
				c.Bin = -1
			}
			if len(rl.Limbs) > 0 && c.Count >= MaxExactRows {
				return nil, fmt.Errorf("cube: a result cell holds %d rows; sums are exact for at most %d rows: %w", c.Count, MaxExactRows-1, ErrOutOfRange)
			}
			k := base + 1
			for _, n := range rl.Limbs {
				sum := new(big.Int)
				for l := range n {
					v := val(k)
					k++
					if v > c.Count*limbMax {
						return nil, fmt.Errorf("cube: a limb sum of %d over %d rows: %w", v, c.Count, ErrCorrupt)
					}
					sum.Add(sum, new(big.Int).Lsh(new(big.Int).SetUint64(v), uint(registry.LimbBits*l)))
				}
				c.Sums = append(c.Sums, sum)
			}
			cells = append(cells, c)
		}
	}
	return cells, nil
}

// EvaluatePlain computes the answer to plan from the plaintext cells of a
// cube (per ciphertext, Slots values each, as Accumulator.Plain returns
// them), the simple way: walk every cell, test it against the plan, add it
// to its output. It is the reference Evaluate and Decode are tested
// against. Totals are exact (no modulus); a negative count is an error.
func EvaluatePlain(l *Layout, plan *query.Plan, plain [][]int64) ([]query.Cell, error) {
	r, err := resolve(l, plan)
	if err != nil {
		return nil, err
	}
	if len(plain) != l.Ciphertexts {
		return nil, fmt.Errorf("cube: %d plaintext slices, want %d", len(plain), l.Ciphertexts)
	}
	for i := range plain {
		if len(plain[i]) != l.Slots {
			return nil, fmt.Errorf("cube: plaintext slice %d has %d values, want %d", i, len(plain[i]), l.Slots)
		}
	}
	at := func(p int) int64 { return plain[p/l.Slots][p%l.Slots] }
	type acc struct {
		count *big.Int
		sums  []*big.Int
	}
	outs := make([]acc, r.groups*r.outBins())
	for i := range outs {
		outs[i].count = new(big.Int)
		for range plan.Sums {
			outs[i].sums = append(outs[i].sums, new(big.Int))
		}
	}
	// Walk every cell (all coordinates of the non-entries axes).
	coords := make([]int, len(l.Axes))
	for {
		ok := true
		for ax := 1; ax < len(l.Axes); ax++ {
			c := coords[ax]
			if c >= l.Axes[ax].Size || !inFilter(plan, l.Axes[ax].Name, c) {
				ok = false
			}
		}
		bin := 0
		if ok && r.hist >= 0 {
			bin = -1
			for j, b := range r.bins {
				if coords[r.hist] >= b.From && coords[r.hist] < b.To {
					bin = j
				}
			}
			ok = bin >= 0
		}
		if ok {
			g := 0
			if r.group >= 0 {
				g = coords[r.group]
			}
			o := &outs[g*r.outBins()+bin]
			base := 0
			for ax := 1; ax < len(l.Axes); ax++ {
				base += coords[ax] * l.Axes[ax].Stride
			}
			o.count.Add(o.count, big.NewInt(at(base)))
			for k, m := range plan.Sums {
				for e, ent := range l.Entries {
					if ent.Measure == m {
						v := new(big.Int).Lsh(big.NewInt(at(base+e)), uint(registry.LimbBits*ent.Limb))
						o.sums[k].Add(o.sums[k], v)
					}
				}
			}
		}
		// Next coordinate vector (odometer over the padded sizes).
		ax := 1
		for ; ax < len(l.Axes); ax++ {
			coords[ax]++
			if coords[ax] < l.Axes[ax].Padded {
				break
			}
			coords[ax] = 0
		}
		if ax == len(l.Axes) {
			break
		}
	}
	cells := make([]query.Cell, 0, len(outs))
	for i, o := range outs {
		if o.count.Sign() < 0 || !o.count.IsUint64() {
			return nil, fmt.Errorf("cube: output %d has count %v", i, o.count)
		}
		c := query.Cell{Group: i / r.outBins(), Bin: i % r.outBins(), Count: o.count.Uint64(), Sums: o.sums}
		if r.group < 0 {
			c.Group = -1
		}
		if r.hist < 0 {
			c.Bin = -1
		}
		cells = append(cells, c)
	}
	return cells, nil
}

// inFilter reports whether plan's filter keeps bucket c of the named axis.
func inFilter(plan *query.Plan, axis string, c int) bool {
	f, ok := plan.Filter[axis]
	if !ok {
		return true
	}
	for _, b := range f {
		if b == c {
			return true
		}
	}
	return false
}
