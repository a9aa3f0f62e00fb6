package cube

import (
	"bytes"
	crand "crypto/rand"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"slices"
	"testing"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/thhe"
)

func TestLayouts(t *testing.T) {
	for _, tc := range []struct {
		registry string
		slots    int
		cube     string
		sizes    []int // padded sizes, entries axis first
		cts      int
	}{
		{"population", 1 << 14, "people", []int{2, 16, 2, 8, 32}, 1},
		{"population", 1 << 12, "people", []int{2, 16, 2, 8, 32}, 4},
		{"land", 1 << 14, "parcels_by_area", []int{16, 16, 8, 8}, 1},
		{"land", 1 << 14, "parcels_by_value", []int{16, 16, 8, 8}, 1},
		{"business", 1 << 14, "firms", []int{8, 16, 8, 4, 8}, 2},
		{"business", 1 << 14, "firms_by_revenue", []int{8, 16, 4, 8}, 1},
		{"business", 1 << 12, "firms_by_age", []int{8, 16, 4, 8}, 1},
	} {
		t.Run(fmt.Sprintf("%s/%s/%d", tc.registry, tc.cube, tc.slots), func(t *testing.T) {
			ls, err := NewLayouts(builtin(t, tc.registry), tc.slots)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(ls, func(l *Layout) bool { return l.Cube == tc.cube })
			if i < 0 {
				t.Fatalf("no cube %s", tc.cube)
			}
			l := ls[i]
			stride, size := 1, 1
			for k, a := range l.Axes {
				if a.Padded != tc.sizes[k] || a.Stride != stride || a.Size > a.Padded || a.Padded >= 2*a.Size && a.Size > 1 {
					t.Fatalf("axis %d %q: size %d padded %d stride %d, want padded %d stride %d", k, a.Name, a.Size, a.Padded, a.Stride, tc.sizes[k], stride)
				}
				stride *= a.Padded
				size *= a.Padded
			}
			if l.Size != size || l.Ciphertexts != tc.cts || l.Axes[0].Kind != AxisEntries || l.Entries[0] != (Entry{}) {
				t.Fatalf("size %d cts %d, want %d %d", l.Size, l.Ciphertexts, size, tc.cts)
			}
		})
	}
	if _, err := NewLayouts(builtin(t, "land"), 1000); err == nil {
		t.Fatal("1000 slots accepted")
	}
}

// cellOf computes, through the registry's own API (not the accumulator's
// fast path), the coordinates of record r in cube l and its measure values.
func cellOf(t testing.TB, s registry.Schema, l *Layout, r registry.Record) (coords []int, vals map[string]int64) {
	t.Helper()
	st := s.Statistics
	vals = map[string]int64{}
	for _, m := range st.Measures {
		v, err := s.MeasureValue(m, r)
		if err != nil {
			t.Fatal(err)
		}
		vals[m.Name] = v
	}
	coords = make([]int, len(l.Axes))
	for k, a := range l.Axes[1:] {
		if d, ok := st.Dimension(a.Name); ok {
			coords[k+1] = d.Bucket(s, r.Values[s.FieldIndex(d.Field)])
		} else {
			m, _ := st.Measure(a.Name)
			coords[k+1] = m.Bin(vals[m.Name])
		}
	}
	return coords, vals
}

// direct answers plan by counting the live records one by one.
func direct(t testing.TB, s registry.Schema, l *Layout, plan *query.Plan, records []registry.Record) []query.Cell {
	t.Helper()
	groups, bins := 1, 1
	if plan.GroupBy != "" {
		groups = l.Axes[l.axis(plan.GroupBy)].Size
	}
	if plan.Histogram != nil {
		bins = len(plan.Histogram.Bins)
	}
	cells := make([]query.Cell, groups*bins)
	for i := range cells {
		cells[i] = query.Cell{Group: i / bins, Bin: i % bins}
		if plan.GroupBy == "" {
			cells[i].Group = -1
		}
		if plan.Histogram == nil {
			cells[i].Bin = -1
		}
		for range plan.Sums {
			cells[i].Sums = append(cells[i].Sums, new(big.Int))
		}
	}
	for _, r := range records {
		coords, vals := cellOf(t, s, l, r)
		ok := true
		for k, a := range l.Axes[1:] {
			if f, has := plan.Filter[a.Name]; has && !slices.Contains(f, coords[k+1]) {
				ok = false
			}
		}
		bin := 0
		if plan.Histogram != nil {
			c := coords[l.axis(plan.Histogram.Measure)]
			bin = slices.IndexFunc(plan.Histogram.Bins, func(b query.BinRange) bool { return c >= b.From && c < b.To })
			ok = ok && bin >= 0
		}
		if !ok {
			continue
		}
		g := 0
		if plan.GroupBy != "" {
			g = coords[l.axis(plan.GroupBy)]
		}
		c := &cells[g*bins+bin]
		c.Count++
		for k, m := range plan.Sums {
			c.Sums[k].Add(c.Sums[k], big.NewInt(vals[m]))
		}
	}
	return cells
}

func equalCells(a, b []query.Cell) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d cells vs %d", len(a), len(b))
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Group != y.Group || x.Bin != y.Bin || x.Count != y.Count || len(x.Sums) != len(y.Sums) {
			return fmt.Errorf("cell %d: %+v vs %+v", i, x, y)
		}
		for k := range x.Sums {
			if x.Sums[k].Cmp(y.Sums[k]) != 0 {
				return fmt.Errorf("cell %d sum %d: %v vs %v", i, k, x.Sums[k], y.Sums[k])
			}
		}
	}
	return nil
}

// randomPlan draws a plan for cube l of schema s.
func randomPlan(rng *mrand.Rand, s registry.Schema, l *Layout) *query.Plan {
	p := &query.Plan{Registry: s.Name, Cube: l.Cube, Filter: map[string][]int{}}
	var dims, binned []int
	for k, a := range l.Axes[1:] {
		if a.Kind == AxisDimension {
			dims = append(dims, k+1)
		} else {
			binned = append(binned, k+1)
		}
		if rng.IntN(3) == 0 {
			var keep []int
			for c := range a.Size {
				if rng.IntN(3) != 0 {
					keep = append(keep, c)
				}
			}
			p.Filter[a.Name] = keep
		}
	}
	if len(dims) > 0 && rng.IntN(2) == 0 {
		p.GroupBy = l.Axes[dims[rng.IntN(len(dims))]].Name
	}
	if len(binned) > 0 && rng.IntN(2) == 0 {
		a := l.Axes[binned[rng.IntN(len(binned))]]
		h := &query.HistogramPlan{Measure: a.Name}
		from := rng.IntN(a.Size)
		oneToOne := rng.IntN(2) == 0
		for from < a.Size {
			to := from + 1
			if !oneToOne {
				to = from + 1 + rng.IntN(a.Size-from)
			}
			h.Bins = append(h.Bins, query.BinRange{From: from, To: to})
			from = to
		}
		p.Histogram = h
	}
	for _, m := range s.Statistics.Measures {
		if rng.IntN(2) == 0 {
			p.Sums = append(p.Sums, m.Name)
		}
	}
	rng.Shuffle(len(p.Sums), func(i, j int) { p.Sums[i], p.Sums[j] = p.Sums[j], p.Sums[i] })
	return p
}

// ingest simulates three batches for registry s: additions, then
// superseded versions and deletions. It returns the deltas, the plaintext
// total and the live records.
func ingest(t testing.TB, f *fixture, s registry.Schema, rows int, seed uint64) ([]*Delta, *Accumulator, []registry.Record) {
	t.Helper()
	gen, err := registry.NewGenerator(s.Name, seed)
	if err != nil {
		t.Fatal(err)
	}
	rng := mrand.New(mrand.NewPCG(seed, 7))
	total, err := NewAccumulator(s, f.params.Slots())
	if err != nil {
		t.Fatal(err)
	}
	batch, err := NewAccumulator(s, f.params.Slots())
	if err != nil {
		t.Fatal(err)
	}
	add := func(r registry.Record, sign int) {
		for _, a := range []*Accumulator{total, batch} {
			if err := a.Add(r, sign); err != nil {
				t.Fatal(err)
			}
		}
	}
	var live []registry.Record
	var deltas []*Delta
	for b := range 3 {
		for range rows / 3 {
			switch op := rng.IntN(10); {
			case b > 0 && op == 0 && len(live) > 0: // delete
				i := rng.IntN(len(live))
				add(live[i], -1)
				live = slices.Delete(live, i, i+1)
			case b > 0 && op == 1 && len(live) > 0: // supersede
				i := rng.IntN(len(live))
				add(live[i], -1)
				live[i] = gen.Next()
				add(live[i], 1)
			default:
				r := gen.Next()
				add(r, 1)
				live = append(live, r)
			}
		}
		d, err := batch.Encrypt(f.params, f.pk)
		if err != nil {
			t.Fatal(err)
		}
		deltas = append(deltas, d)
		batch.Reset()
	}
	if total.Rows() != int64(len(live)) {
		t.Fatalf("accumulator counts %d rows, %d live", total.Rows(), len(live))
	}
	return deltas, total, live
}

// TestEndToEnd: random records → Accumulator → Encrypt → Fold (two orders)
// → Evaluate → key switch → Decrypt → Decode equals EvaluatePlain equals a
// direct count over the records, for random plans on every built-in cube.
func TestEndToEnd(t *testing.T) {
	f := getFixture(t)
	plansPerCube := 3
	if testing.Short() {
		plansPerCube = 2
	}
	for ri, name := range []string{"population", "land", "business"} {
		t.Run(name, func(t *testing.T) {
			s := builtin(t, name)
			deltas, total, live := ingest(t, f, s, 240, uint64(ri+1))
			st1, err := NewState(f.params, s)
			if err != nil {
				t.Fatal(err)
			}
			st2, _ := NewState(f.params, s)
			for i := range deltas {
				if err := st1.Fold(deltas[i]); err != nil {
					t.Fatal(err)
				}
				if err := st2.Fold(deltas[len(deltas)-1-i]); err != nil {
					t.Fatal(err)
				}
			}
			b1, err := st1.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			b2, _ := st2.MarshalBinary()
			if !bytes.Equal(b1, b2) {
				t.Fatal("states folded in different orders differ")
			}
			st, err := DecodeState(f.params, s, b1)
			if err != nil {
				t.Fatal(err)
			}
			if b3, _ := st.MarshalBinary(); !bytes.Equal(b1, b3) || st.Folds() != uint64(len(deltas)) {
				t.Fatal("state does not round-trip")
			}
			rng := mrand.New(mrand.NewPCG(uint64(ri), 99))
			for _, l := range st.Layouts() {
				for k := range plansPerCube {
					plan := randomPlan(rng, s, l)
					t.Run(fmt.Sprintf("%s/%d", l.Cube, k), func(t *testing.T) {
						checkPlan(t, f, s, st, total, live, plan)
					})
				}
			}
		})
	}
}

func checkPlan(t *testing.T, f *fixture, s registry.Schema, st *State, total *Accumulator, live []registry.Record, plan *query.Plan) {
	t.Helper()
	l, cts, err := st.Cube(plan.Cube)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Evaluate(f.ev, l, plan, cts)
	if err != nil {
		t.Fatalf("evaluate %+v: %v", plan, err)
	}
	rl, err := NewResultLayout(l, plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Ciphertexts) != rl.Ciphertexts || !slices.Equal(res.Layout.Where, rl.Where) {
		t.Fatal("Evaluate's result layout differs from NewResultLayout")
	}
	for _, ct := range res.Ciphertexts {
		if ct.Level() != thhe.MinKeySwitchLevel {
			t.Fatalf("result at level %d", ct.Level())
		}
	}
	// A fresh seed: two random plans can compute the same ciphertext, and
	// a party key-switches each ciphertext once only.
	var seed [32]byte
	if _, err := crand.Read(seed[:]); err != nil {
		t.Fatal(err)
	}
	if err := res.Rerandomize(f.params, f.pk, seed); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(rl, plan, f.decrypt(t, res.Ciphertexts))
	if err != nil {
		t.Fatalf("decode %+v: %v", plan, err)
	}
	plain, err := total.Plain(plan.Cube)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := EvaluatePlain(l, plan, plain)
	if err != nil {
		t.Fatal(err)
	}
	if err := equalCells(got, ref); err != nil {
		t.Fatalf("plan %+v (histogram %+v): encrypted vs plaintext: %v", plan, plan.Histogram, err)
	}
	if err := equalCells(ref, direct(t, s, l, plan, live)); err != nil {
		t.Fatalf("plan %+v (histogram %+v): plaintext vs records: %v", plan, plan.Histogram, err)
	}
}

// TestFixedPlans covers the shapes random plans may miss on the tiny
// schema: no axis summed, every axis summed, a filter that selects nothing,
// a merging histogram with a GROUP BY, and sums of every measure.
func TestFixedPlans(t *testing.T) {
	f := getFixture(t)
	s := tiny(t)
	var records []registry.Record
	acc, err := NewAccumulator(s, f.params.Slots())
	if err != nil {
		t.Fatal(err)
	}
	rng := mrand.New(mrand.NewPCG(5, 5))
	for i := range 200 {
		r := registry.Record{Values: []string{
			fmt.Sprint(i),
			[]string{"red", "green", "blue"}[rng.IntN(3)],
			fmt.Sprintf("%04d-01-02", 1900+rng.IntN(200)),
			fmt.Sprint([]int{rng.IntN(10), rng.IntN(100000), 99999, 100000}[rng.IntN(4)]),
		}}
		if err := acc.Add(r, 1); err != nil {
			t.Fatal(err)
		}
		records = append(records, r)
	}
	d, err := acc.Encrypt(f.params, f.pk)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := NewState(f.params, s)
	if err := st.Fold(d); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		plan query.Plan
	}{
		{"count", query.Plan{}},
		{"sums", query.Plan{Sums: []string{"year", "n"}}},
		{"nothing selected", query.Plan{Filter: map[string][]int{"color": {}}, Sums: []string{"n"}}},
		{"group", query.Plan{GroupBy: "color", Sums: []string{"n"}}},
		{"group and 1:1 histogram", query.Plan{GroupBy: "color", Histogram: &query.HistogramPlan{Measure: "n", Bins: []query.BinRange{{From: 1, To: 2}, {From: 2, To: 3}, {From: 3, To: 4}, {From: 4, To: 5}}}, Sums: []string{"year"}}},
		{"group and merged histogram", query.Plan{GroupBy: "color", Histogram: &query.HistogramPlan{Measure: "n", Bins: []query.BinRange{{From: 0, To: 2}, {From: 2, To: 3}, {From: 3, To: 5}}}, Sums: []string{"n"}}},
		{"filtered", query.Plan{Filter: map[string][]int{"color": {0, 2}, "n": {4}}, Sums: []string{"n"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := tc.plan
			plan.Registry, plan.Cube = "tiny", "c"
			checkPlan(t, f, s, st, acc, records, &plan)
		})
	}
}

func TestEvaluateDeterministic(t *testing.T) {
	f := getFixture(t)
	s := builtin(t, "population")
	deltas, _, _ := ingest(t, f, s, 30, 9)
	st, _ := NewState(f.params, s)
	for _, d := range deltas {
		if err := st.Fold(d); err != nil {
			t.Fatal(err)
		}
	}
	l, cts, _ := st.Cube("people")
	plan := &query.Plan{Registry: "population", Cube: "people", GroupBy: "county", Sums: []string{"birth_year"},
		Histogram: &query.HistogramPlan{Measure: "birth_year", Bins: []query.BinRange{{From: 20, To: 24}, {From: 24, To: 27}}}}
	enc := func(res *Result) [][]byte {
		var out [][]byte
		for _, ct := range res.Ciphertexts {
			b, err := thhe.EncodeCiphertext(f.params, ct)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
		return out
	}
	// A second evaluator with the same keys, as on another node.
	r1, err := Evaluate(f.ev, l, plan, cts)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := Evaluate(f.ev, l, plan, cts)
	if err != nil {
		t.Fatal(err)
	}
	e1 := enc(r1)
	if !slices.EqualFunc(e1, enc(r2), bytes.Equal) {
		t.Fatal("two evaluations differ")
	}
	seed := [32]byte{1}
	for _, r := range []*Result{r1, r2} {
		if err := r.Rerandomize(f.params, f.pk, seed); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.EqualFunc(enc(r1), enc(r2), bytes.Equal) {
		t.Fatal("re-randomising with one seed gives different ciphertexts")
	}
	if slices.EqualFunc(enc(r1), e1, bytes.Equal) {
		t.Fatal("re-randomising changed nothing")
	}
	if err := r2.Rerandomize(f.params, f.pk, [32]byte{2}); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(enc(r1)[0], enc(r2)[0]) {
		t.Fatal("two seeds give the same ciphertext")
	}
}

func TestAccumulatorAdd(t *testing.T) {
	s := tiny(t)
	a, err := NewAccumulator(s, 4096)
	if err != nil {
		t.Fatal(err)
	}
	good := registry.Record{Values: []string{"x", "green", "1987-05-06", "4097"}}
	if err := a.Add(good, 1); err != nil {
		t.Fatal(err)
	}
	if err := a.Add(good, 1); err != nil {
		t.Fatal(err)
	}
	before, _ := a.Plain("c")
	l := a.Layouts()[0]
	// green = bucket 1, 4097 is in bin [1000,10000) = 3.
	base := 1*l.Axes[1].Stride + 3*l.Axes[2].Stride
	want := map[int]int64{base: 2, base + l.entry("n", 0): 2 * 1, base + l.entry("n", 1): 2 * 1, base + l.entry("year", 0): 2 * 1987}
	for p, v := range before[0] {
		if v != want[p] {
			t.Fatalf("slot %d = %d, want %d", p, v, want[p])
		}
	}
	for _, tc := range []struct {
		name string
		r    registry.Record
		sign int
	}{
		{"sign 0", good, 0},
		{"sign 2", good, 2},
		{"short", registry.Record{Values: []string{"x", "green", "1987-05-06"}}, 1},
		{"unknown enum", registry.Record{Values: []string{"x", "pink", "1987-05-06", "1"}}, 1},
		{"not a number", registry.Record{Values: []string{"x", "red", "1987-05-06", "1e3"}}, 1},
		{"negative", registry.Record{Values: []string{"x", "red", "1987-05-06", "-1"}}, 1},
		{"too many bits", registry.Record{Values: []string{"x", "red", "1987-05-06", "131072"}}, 1},
		{"bad date", registry.Record{Values: []string{"x", "red", "19870506", "1"}}, -1},
		{"bad year", registry.Record{Values: []string{"x", "red", "19x7-05-06", "1"}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := a.Add(tc.r, tc.sign); err == nil {
				t.Fatal("accepted")
			} else if tc.sign == 1 && !errors.Is(err, registry.ErrInvalidRow) {
				t.Fatalf("err = %v, want ErrInvalidRow", err)
			}
			after, _ := a.Plain("c")
			if !slices.Equal(after[0], before[0]) || a.Rows() != 2 {
				t.Fatal("a refused record changed the accumulator")
			}
		})
	}
	if err := a.Add(good, -1); err != nil {
		t.Fatal(err)
	}
	a.Reset()
	if after, _ := a.Plain("c"); slices.ContainsFunc(after[0], func(v int64) bool { return v != 0 }) || a.Rows() != 0 {
		t.Fatal("Reset left cells")
	}
	if _, err := a.Plain("nope"); err == nil {
		t.Fatal("unknown cube accepted")
	}
}

// TestAccumulatorMatchesRegistry checks the accumulator's fast field
// parsing against the registry's own functions on generated records.
func TestAccumulatorMatchesRegistry(t *testing.T) {
	for _, name := range []string{"population", "land", "business"} {
		s := builtin(t, name)
		a, err := NewAccumulator(s, 1<<12)
		if err != nil {
			t.Fatal(err)
		}
		gen, _ := registry.NewGenerator(name, 3)
		for range 300 {
			r := gen.Next()
			for c, l := range a.Layouts() {
				before := slices.Clone(a.cells[c])
				if err := a.Add(r, 1); err != nil {
					t.Fatal(err)
				}
				coords, vals := cellOf(t, s, l, r)
				base := 0
				for k, ax := range l.Axes {
					base += coords[k] * ax.Stride
				}
				for p := range a.cells[c] {
					want := before[p]
					if p >= base && p < base+len(l.Entries) {
						e := l.Entries[p-base]
						if e.Measure == "" {
							want++
						} else {
							want += (vals[e.Measure] >> (registry.LimbBits * e.Limb)) & limbMax
						}
					}
					if a.cells[c][p] != want {
						t.Fatalf("%s/%s slot %d = %d, want %d", name, l.Cube, p, a.cells[c][p], want)
					}
				}
				if err := a.Add(r, -1); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

func TestInvalidPlans(t *testing.T) {
	s := tiny(t)
	ls, err := NewLayouts(s, 4096)
	if err != nil {
		t.Fatal(err)
	}
	l := ls[0]
	hist := func(bins ...query.BinRange) *query.HistogramPlan {
		return &query.HistogramPlan{Measure: "n", Bins: bins}
	}
	for _, tc := range []struct {
		name string
		plan query.Plan
	}{
		{"other registry", query.Plan{Registry: "land"}},
		{"other cube", query.Plan{Cube: "d"}},
		{"unknown sum", query.Plan{Sums: []string{"color"}}},
		{"sum twice", query.Plan{Sums: []string{"n", "n"}}},
		{"filter unknown axis", query.Plan{Filter: map[string][]int{"year": {0}}}},
		{"filter out of range", query.Plan{Filter: map[string][]int{"color": {3}}}},
		{"filter padding", query.Plan{Filter: map[string][]int{"n": {5}}}},
		{"filter negative", query.Plan{Filter: map[string][]int{"n": {-1}}}},
		{"filter unsorted", query.Plan{Filter: map[string][]int{"color": {1, 0}}}},
		{"filter repeated", query.Plan{Filter: map[string][]int{"color": {1, 1}}}},
		{"group by measure", query.Plan{GroupBy: "n"}},
		{"group by unknown", query.Plan{GroupBy: "size"}},
		{"histogram of dimension", query.Plan{Histogram: &query.HistogramPlan{Measure: "color", Bins: []query.BinRange{{From: 0, To: 1}}}}},
		{"histogram of unbinned", query.Plan{Histogram: &query.HistogramPlan{Measure: "year", Bins: []query.BinRange{{From: 0, To: 1}}}}},
		{"histogram without bins", query.Plan{Histogram: hist()}},
		{"empty bin", query.Plan{Histogram: hist(query.BinRange{From: 2, To: 2})}},
		{"overlapping bins", query.Plan{Histogram: hist(query.BinRange{From: 0, To: 3}, query.BinRange{From: 2, To: 4})}},
		{"bin past the end", query.Plan{Histogram: hist(query.BinRange{From: 3, To: 6})}},
		{"negative bin", query.Plan{Histogram: hist(query.BinRange{From: -1, To: 1})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.plan
			if p.Registry == "" {
				p.Registry = "tiny"
			}
			if p.Cube == "" {
				p.Cube = "c"
			}
			if _, err := NewResultLayout(l, &p); !errors.Is(err, ErrInvalidPlan) {
				t.Fatalf("err = %v, want ErrInvalidPlan", err)
			}
			if _, err := EvaluatePlain(l, &p, make([][]int64, 1)); !errors.Is(err, ErrInvalidPlan) {
				t.Fatalf("EvaluatePlain: err = %v, want ErrInvalidPlan", err)
			}
		})
	}
}

// TestDecodeRefuses builds decrypted results by hand from a result layout.
func TestDecodeRefuses(t *testing.T) {
	s := tiny(t)
	ls, _ := NewLayouts(s, 4096)
	plan := &query.Plan{Registry: "tiny", Cube: "c", GroupBy: "color", Sums: []string{"n"}}
	rl, err := NewResultLayout(ls[0], plan)
	if err != nil {
		t.Fatal(err)
	}
	if rl.Ciphertexts != 1 || rl.Groups != 3 || rl.Bins != 1 || !slices.Equal(rl.Limbs, []int{2}) || len(rl.Where) != 9 {
		t.Fatalf("result layout %+v", rl)
	}
	T := int64(thhe.PlaintextModulus)
	make1 := func(vals ...int64) [][]int64 { // count, limb0, limb1 per group
		d := [][]int64{make([]int64, 4096)}
		for k, w := range rl.Where {
			v := vals[k%len(vals)]
			if v > thhe.MaxSlotValue {
				v -= T // as thhe.Decrypt returns it
			}
			d[0][w.Index] = v
		}
		return d
	}
	cells, err := Decode(rl, plan, make1(3, 4095, 7))
	if err != nil {
		t.Fatal(err)
	}
	want := big.NewInt(4095 + 7<<12)
	if len(cells) != 3 || cells[2].Group != 2 || cells[2].Bin != -1 || cells[2].Count != 3 || cells[2].Sums[0].Cmp(want) != 0 {
		t.Fatalf("cells %+v", cells)
	}
	// The largest exact count decodes; one more is refused.
	big := int64(MaxExactRows - 1)
	if _, err := Decode(rl, plan, make1(big, big*limbMax, big*limbMax)); err != nil {
		t.Fatalf("count %d: %v", big, err)
	}
	if _, err := Decode(rl, plan, make1(big+1, 0, 0)); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("count %d: err = %v, want ErrOutOfRange", big+1, err)
	}
	// Without sums, large counts are fine.
	countOnly := &query.Plan{Registry: "tiny", Cube: "c"}
	rl2, _ := NewResultLayout(ls[0], countOnly)
	d := [][]int64{make([]int64, 4096)}
	d[0][rl2.Where[0].Index] = -5 // T-5 rows
	if cells, err := Decode(rl2, countOnly, d); err != nil || cells[0].Count != uint64(T-5) || cells[0].Group != -1 {
		t.Fatalf("count only: %+v %v", cells, err)
	}
	stray := make1(1, 1, 1)
	stray[0][4095] = 1
	overLimb := make1(1, 4096, 0)
	for _, tc := range []struct {
		name string
		d    [][]int64
		want error
	}{
		{"stray slot", stray, ErrCorrupt},
		{"limb above count", overLimb, ErrCorrupt},
		{"two ciphertexts", append(make1(1, 1, 1), make([]int64, 4096)), ErrCorrupt},
		{"short ciphertext", [][]int64{make([]int64, 100)}, ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Decode(rl, plan, tc.d); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := Decode(rl, &query.Plan{Registry: "tiny", Cube: "c"}, make1(1, 1, 1)); !errors.Is(err, ErrInvalidPlan) {
		t.Fatalf("plan without sums: %v", err)
	}
}

func TestDeltaCodec(t *testing.T) {
	f := getFixture(t)
	s := tiny(t)
	a, _ := NewAccumulator(s, f.params.Slots())
	if err := a.Add(registry.Record{Values: []string{"x", "red", "2001-01-01", "5"}}, 1); err != nil {
		t.Fatal(err)
	}
	d, err := a.Encrypt(f.params, f.pk)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := d.MarshalBinary()
	d2, err := DecodeDelta(f.params, s, b)
	if err != nil {
		t.Fatal(err)
	}
	if d2.Digest() != d.Digest() || d.Registry() != "tiny" {
		t.Fatal("digest changed in a round trip")
	}
	// The digest depends on every byte.
	b[len(b)-1] ^= 1
	if d3, err := DecodeDelta(f.params, s, b); err == nil && d3.Digest() == d.Digest() {
		t.Fatal("digest ignores the last byte")
	}
	b[len(b)-1] ^= 1

	other := tiny(t)
	other.Statistics.Measures[0].Edges = []int64{0, 10, 100, 1000, 20000}
	renamed := tiny(t)
	renamed.Name = "tiny2"
	prod, err := thhe.ProductionParams()
	if err != nil {
		t.Fatal(err)
	}
	stateBytes := func() []byte {
		st, _ := NewState(f.params, s)
		out, _ := st.MarshalBinary()
		return out
	}()
	mut := func(i int, v byte) []byte { c := bytes.Clone(b); c[i] = v; return c }
	cubeName := bytes.Index(b, []byte{1, 'c'}) // u8 length + name of cube "c"
	for _, tc := range []struct {
		name   string
		params thhe.Params
		s      registry.Schema
		data   []byte
		want   error
	}{
		{"empty", f.params, s, nil, ErrMalformed},
		{"truncated", f.params, s, b[:len(b)-1], ErrMalformed},
		{"trailing", f.params, s, append(bytes.Clone(b), 0), ErrMalformed},
		{"magic", f.params, s, mut(0, 'X'), ErrMalformed},
		{"state as delta", f.params, s, stateBytes, ErrMalformed},
		{"other schema version", f.params, other, b, ErrMismatch},
		{"other registry", f.params, renamed, b, ErrMismatch},
		{"other parameters", prod, s, b, ErrMismatch},
		{"cube name", f.params, s, mut(cubeName+1, 'd'), ErrMalformed},
		{"cube count", f.params, s, mut(cubeName-1, 2), ErrMalformed},
		{"ciphertext count", f.params, s, mut(cubeName+3, 2), ErrMalformed},
		{"ciphertext length", f.params, s, mut(cubeName+5, 9), ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := DecodeDelta(tc.params, tc.s, tc.data); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// A ciphertext at a lower level (well-formed, wrong shape for a delta).
	ct, _ := thhe.ZeroCiphertext(f.params, 1)
	low, _ := thhe.EncodeCiphertext(f.params, ct)
	bad := bytes.Clone(b[:cubeName+4])
	bad = append(bad, byte(len(low)>>24), byte(len(low)>>16), byte(len(low)>>8), byte(len(low)))
	bad = append(bad, low...)
	if _, err := DecodeDelta(f.params, s, bad); !errors.Is(err, ErrMalformed) {
		t.Fatalf("low-level ciphertext: %v", err)
	}

	// Folding refuses deltas of another registry.
	st, _ := NewState(f.params, builtin(t, "land"))
	if err := st.Fold(d); !errors.Is(err, ErrMismatch) {
		t.Fatalf("fold of a tiny delta into land: %v", err)
	}
	if err := st.Fold(nil); err == nil {
		t.Fatal("nil delta folded")
	}
	if _, err := DecodeState(f.params, s, b); !errors.Is(err, ErrMalformed) {
		t.Fatalf("delta as state: %v", err)
	}
	ts, _ := NewState(f.params, s)
	ts.folds = MaxFolds
	if err := ts.Fold(d); !errors.Is(err, ErrTooManyFolds) {
		t.Fatalf("fold past MaxFolds: %v", err)
	}
	if _, _, err := ts.Cube("nope"); err == nil {
		t.Fatal("unknown cube")
	}
}

// TestEvaluateRefuses: wrong ciphertext counts or levels.
func TestEvaluateRefuses(t *testing.T) {
	f := getFixture(t)
	s := tiny(t)
	st, _ := NewState(f.params, s)
	l, cts, _ := st.Cube("c")
	plan := &query.Plan{Registry: "tiny", Cube: "c"}
	low, _ := thhe.ZeroCiphertext(f.params, MinInputLevel-1)
	for _, tc := range []struct {
		name string
		cts  []*rlwe.Ciphertext
	}{
		{"none", nil},
		{"two", append(slices.Clone(cts), cts[0])},
		{"nil", []*rlwe.Ciphertext{nil}},
		{"low level", []*rlwe.Ciphertext{low}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Evaluate(f.ev, l, plan, tc.cts); !errors.Is(err, ErrMismatch) {
				t.Fatalf("err = %v, want ErrMismatch", err)
			}
		})
	}
	if _, err := Evaluate(f.ev, l, &query.Plan{Registry: "tiny", Cube: "c", GroupBy: "x"}, cts); !errors.Is(err, ErrInvalidPlan) {
		t.Fatalf("bad plan: %v", err)
	}
}
