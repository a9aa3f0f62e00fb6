package query

import (
	"math/big"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/dataembassy/embassy/registry"
)

// records makes n synthetic records of a built-in registry.
func records(t testing.TB, name string, n int, seed uint64) (registry.Schema, []registry.Record) {
	t.Helper()
	s, err := registry.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	g, err := registry.NewGenerator(name, seed)
	if err != nil {
		t.Fatal(err)
	}
	rs := make([]registry.Record, n)
	for i := range rs {
		rs[i] = g.Next()
	}
	return s, rs
}

func runOracle(t *testing.T, s registry.Schema, rs []registry.Record, text string) []Cell {
	t.Helper()
	q, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Plan(s); err != nil {
		t.Fatal(err)
	}
	cells, err := Oracle(q, s, rs)
	if err != nil {
		t.Fatal(err)
	}
	return cells
}

func field(s registry.Schema, r registry.Record, name string) string {
	return r.Values[s.FieldIndex(name)]
}

func atoi(t *testing.T, v string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// sumCell is a cell with its sums given as int64s.
func sumCell(group, bin int, count uint64, sums ...int64) Cell {
	c := Cell{Group: group, Bin: bin, Count: count, Sums: make([]*big.Int, len(sums))}
	for i, v := range sums {
		c.Sums[i] = big.NewInt(v)
	}
	return c
}

// The oracle against loops written out for each query over raw values.
func TestOracleBruteForce(t *testing.T) {
	t.Run("population", func(t *testing.T) {
		s, rs := records(t, "population", 3000, 1)
		var females uint64
		byCit := make([]uint64, 7) // EST RUS UKR FIN LVA BLR other
		var n, sum int64
		for _, r := range rs {
			if field(s, r, "sex") == "F" {
				females++
			}
			switch c := field(s, r, "citizenship"); c {
			case "EST", "RUS", "UKR", "FIN", "LVA", "BLR":
				byCit[slices.Index([]string{"EST", "RUS", "UKR", "FIN", "LVA", "BLR"}, c)]++
			default:
				byCit[6]++
			}
			if y := atoi(t, field(s, r, "birth_date")[:4]); 1950 <= y && y <= 1999 && field(s, r, "county") == "Tartu maakond" {
				n++
				sum += y
			}
		}
		if females == 0 || byCit[6] == 0 || n == 0 {
			t.Fatalf("degenerate data: %d women, %d other citizens, %d born 1950-1999 in Tartu", females, byCit[6], n)
		}
		if got, want := runOracle(t, s, rs, "SELECT COUNT(*) FROM population WHERE sex = 'F'"), []Cell{sumCell(-1, -1, females)}; !reflect.DeepEqual(got, want) {
			t.Errorf("women: got %v, want %v", got, want)
		}
		var want []Cell
		for i, c := range byCit {
			want = append(want, sumCell(i, -1, c))
		}
		if got := runOracle(t, s, rs, "SELECT citizenship, COUNT(*) FROM population GROUP BY citizenship"); !reflect.DeepEqual(got, want) {
			t.Errorf("by citizenship: got %v, want %v", got, want)
		}
		got := runOracle(t, s, rs, "SELECT AVG(birth_year), SUM(birth_year) FROM population WHERE birth_year BETWEEN 1950 AND 1999 AND county = 'Tartu maakond'")
		if want := []Cell{sumCell(-1, -1, uint64(n), sum)}; !reflect.DeepEqual(got, want) {
			t.Errorf("born 1950-1999 in Tartu: got %v, want %v", got, want)
		}
	})
	t.Run("business", func(t *testing.T) {
		s, rs := records(t, "business", 3000, 2)
		want := []Cell{sumCell(-1, 0, 0, 0), sumCell(-1, 1, 0, 0), sumCell(-1, 2, 0, 0)}
		for _, r := range rs {
			if field(s, r, "status") != "active" {
				continue
			}
			e := atoi(t, field(s, r, "employees"))
			var bin int
			switch {
			case e < 1:
				continue
			case e < 10:
				bin = 0
			case e < 250:
				bin = 1
			default:
				bin = 2
			}
			want[bin].Count++
			want[bin].Sums[0].Add(want[bin].Sums[0], big.NewInt(atoi(t, field(s, r, "revenue_eur"))))
		}
		if want[0].Count == 0 || want[1].Count == 0 {
			t.Fatalf("degenerate data: %v", want)
		}
		got := runOracle(t, s, rs, "SELECT HISTOGRAM(employees, 1, 10, 250), SUM(revenue_eur) FROM business WHERE status = 'active'")
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("land", func(t *testing.T) {
		s, rs := records(t, "land", 3000, 3)
		counties := s.Fields[s.FieldIndex("county")].Values
		var want []Cell
		for i := range counties {
			want = append(want, sumCell(i, -1, 0, 0))
		}
		for _, r := range rs {
			if p := field(s, r, "purpose"); p != "forest" && p != "agricultural" {
				continue
			}
			c := &want[slices.Index(counties, field(s, r, "county"))]
			c.Count++
			c.Sums[0].Add(c.Sums[0], big.NewInt(atoi(t, field(s, r, "area_m2"))))
		}
		got := runOracle(t, s, rs, "SELECT county, AVG(area_m2) FROM land WHERE purpose IN ('forest','agricultural') GROUP BY county")
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}

// cube is the plaintext tabulation of one declared cube: per cell (a
// mixed-radix index over the axes' buckets) the row count and the sum of
// every measure. It is what the encrypted evaluator computes under
// encryption, built here by the registry's own bucket functions.
type cube struct {
	axes   []string
	sizes  []int
	counts []uint64
	sums   [][]*big.Int // [cell][measure in schema order]
}

func tabulate(t *testing.T, s registry.Schema, c registry.Cube, rs []registry.Record) *cube {
	st := s.Statistics
	cb := &cube{axes: c.Axes}
	n := 1
	for _, a := range c.Axes {
		if d, ok := st.Dimension(a); ok {
			cb.sizes = append(cb.sizes, len(d.Buckets(s)))
		} else if m, ok := st.Measure(a); ok {
			cb.sizes = append(cb.sizes, len(m.Edges))
		}
		n *= cb.sizes[len(cb.sizes)-1]
	}
	cb.counts = make([]uint64, n)
	cb.sums = make([][]*big.Int, n)
	for i := range cb.sums {
		cb.sums[i] = make([]*big.Int, len(st.Measures))
		for j := range cb.sums[i] {
			cb.sums[i][j] = new(big.Int)
		}
	}
	for _, r := range rs {
		cell := 0
		for k, a := range c.Axes {
			var b int
			if d, ok := st.Dimension(a); ok {
				b = d.Bucket(s, field(s, r, d.Field))
			} else {
				m, _ := st.Measure(a)
				v, err := s.MeasureValue(m, r)
				if err != nil {
					t.Fatal(err)
				}
				b = m.Bin(v)
			}
			cell = cell*cb.sizes[k] + b
		}
		cb.counts[cell]++
		for j, m := range st.Measures {
			v, err := s.MeasureValue(m, r)
			if err != nil {
				t.Fatal(err)
			}
			cb.sums[cell][j].Add(cb.sums[cell][j], big.NewInt(v))
		}
	}
	return cb
}

// fold applies a plan to a tabulated cube: keep the cells whose buckets
// Filter keeps, and add them into the output cell of their GroupBy bucket
// and histogram bin. The grid is the oracle's: every group, every bin.
func fold(t *testing.T, s registry.Schema, p *Plan, cb *cube) []Cell {
	st := s.Statistics
	groups, bins := 1, 1
	if p.GroupBy != "" {
		d, _ := st.Dimension(p.GroupBy)
		groups = len(d.Buckets(s))
	}
	if p.Histogram != nil {
		bins = len(p.Histogram.Bins)
	}
	out := make([]Cell, groups*bins)
	for i := range out {
		out[i] = Cell{Group: -1, Bin: -1, Sums: make([]*big.Int, len(p.Sums))}
		if p.GroupBy != "" {
			out[i].Group = i / bins
		}
		if p.Histogram != nil {
			out[i].Bin = i % bins
		}
		for j := range out[i].Sums {
			out[i].Sums[j] = new(big.Int)
		}
	}
	for axis := range p.Filter {
		if !slices.Contains(cb.axes, axis) {
			t.Fatalf("plan filters %s, not an axis of cube %s", axis, p.Cube)
		}
	}
	buckets := make([]int, len(cb.axes))
cells:
	for cell := range cb.counts {
		rest := cell
		for k := len(cb.axes) - 1; k >= 0; k-- {
			buckets[k] = rest % cb.sizes[k]
			rest /= cb.sizes[k]
		}
		group, bin := 0, 0
		for k, a := range cb.axes {
			if keep, ok := p.Filter[a]; ok && !slices.Contains(keep, buckets[k]) {
				continue cells
			}
			if a == p.GroupBy {
				group = buckets[k]
			}
			if p.Histogram != nil && a == p.Histogram.Measure {
				bin = -1
				for i, r := range p.Histogram.Bins {
					if r.From <= buckets[k] && buckets[k] < r.To {
						bin = i
					}
				}
				if bin < 0 {
					continue cells
				}
			}
		}
		o := &out[group*bins+bin]
		o.Count += cb.counts[cell]
		for j, name := range p.Sums {
			m := slices.IndexFunc(st.Measures, func(m registry.Measure) bool { return m.Name == name })
			o.Sums[j].Add(o.Sums[j], cb.sums[cell][m])
		}
	}
	return out
}

// The planner against the oracle: for random queries, folding the
// plaintext cube by the Plan gives exactly the oracle's cells.
func TestPlanAgreesWithOracle(t *testing.T) {
	rounds := 300
	if testing.Short() {
		rounds = 50
	}
	for i, name := range registry.BuiltinNames() {
		s, rs := records(t, name, 2000, uint64(10+i))
		cubes := map[string]*cube{}
		for _, c := range s.Statistics.Cubes {
			cubes[c.Name] = tabulate(t, s, c, rs)
		}
		rng := rand.New(rand.NewPCG(uint64(i), 99))
		nonzero := 0
		for range rounds {
			text := Generate(rng, s)
			q, err := Parse(text)
			if err != nil {
				t.Fatal(err)
			}
			p, err := q.Plan(s)
			if err != nil {
				t.Fatal(err)
			}
			want, err := Oracle(q, s, rs)
			if err != nil {
				t.Fatal(err)
			}
			got := fold(t, s, p, cubes[p.Cube])
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s:\nplan %s\ncube fold %v\noracle    %v", text, p, got, want)
			}
			for _, c := range want {
				if c.Count > 0 {
					nonzero++
					break
				}
			}
		}
		if nonzero < rounds/4 {
			t.Errorf("%s: only %d of %d queries count any row", name, nonzero, rounds)
		}
	}
}

// A plan that cut between declared edges would disagree with the oracle;
// this checks that the comparison notices (the test can fail).
func TestFoldDetectsWrongFilter(t *testing.T) {
	s, rs := records(t, "business", 500, 4)
	c := s.Statistics.Cubes[0]
	cb := tabulate(t, s, c, rs)
	q, err := Parse("SELECT COUNT(*) FROM business WHERE employees BETWEEN 1 AND 9")
	if err != nil {
		t.Fatal(err)
	}
	p, err := q.Plan(s)
	if err != nil {
		t.Fatal(err)
	}
	p.Filter["employees"] = []int{1, 2} // one bin too many
	want, err := Oracle(q, s, rs)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(fold(t, s, p, cb), want) {
		t.Fatal("a wrong filter went unnoticed")
	}
}

func TestOracleErrors(t *testing.T) {
	s, rs := records(t, "population", 10, 5)
	for _, text := range []string{
		"SELECT COUNT(*) FROM population GROUP BY nope",
		"SELECT SUM(nope) FROM population",
		"SELECT COUNT(*) FROM population WHERE nope = 'x'",
		"SELECT COUNT(*) FROM population WHERE nope BETWEEN 0 AND 1",
	} {
		q, err := Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Oracle(q, s, rs); err == nil {
			t.Errorf("Oracle(%q) succeeded", text)
		}
	}
	q, _ := Parse("SELECT SUM(birth_year) FROM population")
	bad := []registry.Record{{Values: slices.Clone(rs[0].Values)}}
	bad[0].Values[s.FieldIndex("birth_date")] = "not a date"
	if _, err := Oracle(q, s, bad); err == nil {
		t.Error("Oracle over a record with a bad date succeeded")
	}
}
