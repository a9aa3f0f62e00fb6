package cube

import (
	"fmt"
	"math/bits"
	"sort"

	"github.com/dataembassy/embassy/query"
)

// resolved is a query.Plan checked against a layout and turned into what
// the evaluation needs.
type resolved struct {
	l       *Layout
	entries []int    // entries-axis coordinates of the output: count, then the limbs of each plan.Sums
	limbs   []int    // limbs per plan.Sums
	allowed [][]bool // per axis, per padded coordinate: kept by the first mask (before the pass's histogram restriction)
	keep    []bool   // per axis: not summed (entries, GROUP BY, 1:1 histogram)
	group   int      // axis of GROUP BY, or -1
	groups  int      // output groups (1 without GROUP BY)
	hist    int      // axis of the histogram, or -1
	bins    []query.BinRange
	histKep bool // every output bin is one declared bin: the histogram axis is kept
	passes  int  // evaluation passes: one per output bin of a merging histogram, else 1
}

// resolve checks plan against l.
func resolve(l *Layout, plan *query.Plan) (*resolved, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("cube: %s: %w", fmt.Sprintf(format, args...), ErrInvalidPlan)
	}
	if plan == nil {
		return nil, bad("nil plan")
	}
	if plan.Registry != l.Registry || plan.Cube != l.Cube {
		return nil, bad("plan for %s/%s evaluated on %s/%s", plan.Registry, plan.Cube, l.Registry, l.Cube)
	}
	r := &resolved{l: l, group: -1, hist: -1, groups: 1, passes: 1}
	r.allowed = make([][]bool, len(l.Axes))
	r.keep = make([]bool, len(l.Axes))
	for i, a := range l.Axes {
		r.allowed[i] = make([]bool, a.Padded)
		if i > 0 {
			for c := range a.Size {
				r.allowed[i][c] = true
			}
		}
	}
	// Entries: the count, then the limbs of the sums asked for, and nothing
	// else: a measure the query does not sum is never released.
	r.entries = []int{0}
	seen := map[string]bool{}
	for _, m := range plan.Sums {
		n := l.limbs(m)
		if n == 0 {
			return nil, bad("SUM of %q, not a measure of %s", m, l.Registry)
		}
		if seen[m] {
			return nil, bad("SUM of %q listed twice", m)
		}
		seen[m] = true
		for k := range n {
			r.entries = append(r.entries, l.entry(m, k))
		}
		r.limbs = append(r.limbs, n)
	}
	for _, e := range r.entries {
		r.allowed[0][e] = true
	}
	r.keep[0] = true
	// Filters: buckets kept per axis.
	names := make([]string, 0, len(plan.Filter))
	for name := range plan.Filter {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ax := l.axis(name)
		if ax < 0 {
			return nil, bad("filter on %q, not an axis of cube %s", name, l.Cube)
		}
		keepB := make([]bool, l.Axes[ax].Padded)
		prev := -1
		for _, b := range plan.Filter[name] {
			if b <= prev || b >= l.Axes[ax].Size {
				return nil, bad("filter on %q: bucket %d out of order or outside 0..%d", name, b, l.Axes[ax].Size-1)
			}
			prev = b
			keepB[b] = true
		}
		for c := range r.allowed[ax] {
			r.allowed[ax][c] = r.allowed[ax][c] && keepB[c]
		}
	}
	if plan.GroupBy != "" {
		ax := l.axis(plan.GroupBy)
		if ax < 0 || l.Axes[ax].Kind != AxisDimension {
			return nil, bad("GROUP BY %q, not a dimension of cube %s", plan.GroupBy, l.Cube)
		}
		r.group, r.groups, r.keep[ax] = ax, l.Axes[ax].Size, true
	}
	if h := plan.Histogram; h != nil {
		ax := l.axis(h.Measure)
		if ax < 0 || l.Axes[ax].Kind != AxisBins {
			return nil, bad("histogram of %q, not a binned measure of cube %s", h.Measure, l.Cube)
		}
		if len(h.Bins) == 0 {
			return nil, bad("histogram of %q without bins", h.Measure)
		}
		r.hist, r.bins, r.histKep = ax, h.Bins, true
		prev := 0
		for _, b := range h.Bins {
			if b.From < prev || b.From >= b.To || b.To > l.Axes[ax].Size {
				return nil, bad("histogram of %q: bins must be ascending, disjoint, non-empty runs within 0..%d", h.Measure, l.Axes[ax].Size)
			}
			prev = b.To
			if b.To != b.From+1 {
				r.histKep = false
			}
		}
		inBins := make([]bool, l.Axes[ax].Padded)
		for _, b := range h.Bins {
			for c := b.From; c < b.To; c++ {
				inBins[c] = true
			}
		}
		for c := range r.allowed[ax] {
			r.allowed[ax][c] = r.allowed[ax][c] && inBins[c]
		}
		if r.histKep {
			r.keep[ax] = true
		} else {
			r.passes = len(h.Bins)
		}
	}
	return r, nil
}

// bins is the number of output bins (1 without a histogram).
func (r *resolved) outBins() int {
	if r.hist < 0 {
		return 1
	}
	return len(r.bins)
}

// passAllowed returns the allowed coordinates of axis ax in pass p: the
// merging histogram's axis is restricted to output bin p's run.
func (r *resolved) passAllowed(ax, p int) []bool {
	if ax != r.hist || r.histKep {
		return r.allowed[ax]
	}
	out := make([]bool, len(r.allowed[ax]))
	for c := r.bins[p].From; c < r.bins[p].To; c++ {
		out[c] = r.allowed[ax][c]
	}
	return out
}

// summedBits is the mask of global slot-index bits summed over: the bits
// of every axis that is not kept.
func (r *resolved) summedBits() int {
	m := 0
	for i, a := range r.l.Axes {
		if !r.keep[i] {
			m |= (a.Padded - 1) << a.shift()
		}
	}
	return m
}

// survivors lists, ascending, the ciphertext indices left after summing:
// those whose summed ciphertext-index bits are zero.
func (r *resolved) survivors() []int {
	logN := bits.TrailingZeros(uint(r.l.Slots))
	ctMask := r.summedBits() >> logN
	var out []int
	for i := range r.l.Ciphertexts {
		if i&ctMask == 0 {
			out = append(out, i)
		}
	}
	return out
}

// resultIndex is the global slot index of output (group g, bin b, entry
// k of r.entries) within its pass.
func (r *resolved) resultIndex(g, b, k int) int {
	p := r.entries[k] * r.l.Axes[0].Stride
	if r.group >= 0 {
		p += g * r.l.Axes[r.group].Stride
	}
	if r.hist >= 0 && r.histKep {
		p += r.bins[b].From * r.l.Axes[r.hist].Stride
	}
	return p
}

// ResultLayout says where each output of an evaluated plan sits in the
// result ciphertexts. It is derived from the layout and the plan only
// (NewResultLayout), so a querier computes it without trusting the nodes.
type ResultLayout struct {
	Slots       int   // slots per ciphertext
	Ciphertexts int   // result ciphertexts
	Groups      int   // GROUP BY buckets, 1 without GROUP BY
	Bins        int   // histogram output bins, 1 without a histogram
	Limbs       []int // limbs of each plan.Sums entry
	// Where[(g*Bins+b)*E+k] locates output entry k (0 the count, then the
	// limbs of each sum in order, least significant first; E = 1+ΣLimbs)
	// of group g and bin b.
	Where []Slot
}

// Slot is one slot of one result ciphertext.
type Slot struct{ Ciphertext, Index int }

// entriesPer is E, the number of entries per output cell.
func (rl ResultLayout) entriesPer() int {
	e := 1
	for _, n := range rl.Limbs {
		e += n
	}
	return e
}

// NewResultLayout returns where Evaluate puts the outputs of plan on a cube
// of layout l.
func NewResultLayout(l *Layout, plan *query.Plan) (ResultLayout, error) {
	r, err := resolve(l, plan)
	if err != nil {
		return ResultLayout{}, err
	}
	return r.resultLayout(), nil
}

func (r *resolved) resultLayout() ResultLayout {
	surv := r.survivors()
	rank := map[int]int{}
	for i, c := range surv {
		rank[c] = i
	}
	rl := ResultLayout{
		Slots:       r.l.Slots,
		Ciphertexts: r.passes * len(surv),
		Groups:      r.groups,
		Bins:        r.outBins(),
		Limbs:       append([]int(nil), r.limbs...),
	}
	for g := range rl.Groups {
		for b := range rl.Bins {
			pass := 0
			if r.passes > 1 {
				pass = b
			}
			for k := range r.entries {
				p := r.resultIndex(g, b, k)
				rl.Where = append(rl.Where, Slot{Ciphertext: pass*len(surv) + rank[p/r.l.Slots], Index: p % r.l.Slots})
			}
		}
	}
	return rl
}
