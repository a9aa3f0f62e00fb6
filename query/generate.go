package query

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/dataembassy/embassy/registry"
)

// Generate returns a random query text over schema s that plans: its axes
// lie in one cube and its conditions never exclude every row. Over many
// calls it uses every aggregate (COUNT(*), SUM, AVG, HISTOGRAM), every
// condition (=, IN, BETWEEN, several on one axis), GROUP BY, and varies
// keyword case, spacing and the final semicolon. s must declare statistics
// with at least one cube (otherwise the query cannot plan).
func Generate(rng *rand.Rand, s registry.Schema) string {
	g := &gen{rng: rng, s: s}
	return g.query()
}

type gen struct {
	rng *rand.Rand
	s   registry.Schema
	b   strings.Builder
}

// kw writes a keyword in a random case.
func (g *gen) kw(k string) string {
	switch g.rng.IntN(4) {
	case 0:
		return strings.ToLower(k)
	case 1:
		var b strings.Builder
		for _, c := range k {
			if g.rng.IntN(2) == 0 {
				b.WriteString(strings.ToLower(string(c)))
			} else {
				b.WriteRune(c)
			}
		}
		return b.String()
	}
	return k
}

// sp is a random separator between tokens.
func (g *gen) sp() string {
	switch g.rng.IntN(8) {
	case 0:
		return "\n  "
	case 1:
		return "  "
	}
	return " "
}

func (g *gen) query() string {
	st := g.s.Statistics
	if st == nil || len(st.Cubes) == 0 {
		return "SELECT COUNT(*) FROM " + g.s.Name
	}
	cube := st.Cubes[g.rng.IntN(len(st.Cubes))]
	var dims []registry.Dimension
	var meas []registry.Measure
	for _, a := range cube.Axes {
		if d, ok := st.Dimension(a); ok {
			dims = append(dims, d)
		} else if m, ok := st.Measure(a); ok {
			meas = append(meas, m)
		}
	}
	// allowed tracks the buckets each axis still keeps, so that a further
	// condition on it always overlaps.
	allowed := map[string][]int{}

	var group *registry.Dimension
	if len(dims) > 0 && g.rng.IntN(2) == 0 {
		group = &dims[g.rng.IntN(len(dims))]
	}
	var items []string
	if group != nil && g.rng.IntN(5) > 0 {
		items = append(items, group.Name)
	}
	if len(meas) > 0 && g.rng.IntN(3) == 0 {
		m := meas[g.rng.IntN(len(meas))]
		// A random ascending subset of the edges, at least one.
		var idx []int
		for len(idx) == 0 {
			for i := range m.Edges {
				if g.rng.IntN(3) == 0 {
					idx = append(idx, i)
				}
			}
		}
		parts := []string{g.kw("HISTOGRAM") + "(" + m.Name}
		for _, i := range idx {
			parts = append(parts, strconv.FormatInt(m.Edges[i], 10))
		}
		items = append(items, strings.Join(parts, ", ")+")")
		allowed[m.Name] = rangeInts(idx[0], len(m.Edges))
	}
	for range g.rng.IntN(4) {
		m := st.Measures[g.rng.IntN(len(st.Measures))]
		fn := "SUM"
		if g.rng.IntN(2) == 0 {
			fn = "AVG"
		}
		items = append(items, g.kw(fn)+"("+m.Name+")")
	}
	if len(items) == 0 || g.rng.IntN(2) == 0 {
		items = append(items, g.kw("COUNT")+"(*)")
	}
	g.rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })

	var conds []string
	for range g.rng.IntN(4) {
		a := cube.Axes[g.rng.IntN(len(cube.Axes))]
		if d, ok := st.Dimension(a); ok {
			conds = append(conds, g.valueCond(d, allowed))
		} else if m, ok := st.Measure(a); ok {
			conds = append(conds, g.between(m, allowed))
		}
	}

	b := &g.b
	b.WriteString(g.kw("SELECT") + " " + strings.Join(items, ","+g.sp()))
	b.WriteString(g.sp() + g.kw("FROM") + " " + g.s.Name)
	for i, c := range conds {
		if i == 0 {
			b.WriteString(g.sp() + g.kw("WHERE") + " ")
		} else {
			b.WriteString(g.sp() + g.kw("AND") + " ")
		}
		b.WriteString(c)
	}
	if group != nil {
		b.WriteString(g.sp() + g.kw("GROUP") + " " + g.kw("BY") + " " + group.Name)
	}
	if g.rng.IntN(3) == 0 {
		b.WriteString(";")
	}
	return b.String()
}

// valueCond makes dim = 'v' or dim IN (...), overlapping what the axis
// still keeps.
func (g *gen) valueCond(d registry.Dimension, allowed map[string][]int) string {
	buckets := d.Buckets(g.s)
	keep, ok := allowed[d.Name]
	if !ok {
		keep = rangeInts(0, len(buckets))
	}
	must := keep[g.rng.IntN(len(keep))]
	if g.rng.IntN(2) == 0 {
		allowed[d.Name] = []int{must}
		return d.Name + " = " + quote(buckets[must])
	}
	set := []int{must}
	for i := range buckets {
		if i != must && g.rng.IntN(3) == 0 {
			set = append(set, i)
		}
	}
	g.rng.Shuffle(len(set), func(i, j int) { set[i], set[j] = set[j], set[i] })
	vals := make([]string, len(set))
	var still []int
	for i, b := range set {
		vals[i] = quote(buckets[b])
		if slices.Contains(keep, b) {
			still = append(still, b)
		}
	}
	slices.Sort(still)
	allowed[d.Name] = still
	return d.Name + " " + g.kw("IN") + " (" + strings.Join(vals, ", ") + ")"
}

// between makes m BETWEEN lo AND hi on bin edges, overlapping what the
// axis still keeps.
func (g *gen) between(m registry.Measure, allowed map[string][]int) string {
	keep, ok := allowed[m.Name]
	if !ok {
		keep = rangeInts(0, len(m.Edges))
	}
	must := keep[g.rng.IntN(len(keep))]
	from := g.rng.IntN(must + 1)
	to := must + g.rng.IntN(len(m.Edges)-must) // last bin kept
	lo := m.Edges[from]
	hi := m.Max()
	if to+1 < len(m.Edges) {
		hi = m.Edges[to+1] - 1
	} else if g.rng.IntN(2) == 0 {
		hi = m.Max() + int64(g.rng.IntN(1000)) // anything from Max up reaches the end
	}
	var still []int
	for _, b := range keep {
		if from <= b && b <= to {
			still = append(still, b)
		}
	}
	allowed[m.Name] = still
	return m.Name + " " + g.kw("BETWEEN") + " " + strconv.FormatInt(lo, 10) + " " + g.kw("AND") + " " + strconv.FormatInt(hi, 10)
}
