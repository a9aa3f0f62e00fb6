package query

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/dataembassy/embassy/registry"
)

// Compile parses text and plans it against the schema its FROM names.
func Compile(text string, schemas []registry.Schema) (*Plan, error) {
	q, err := Parse(text)
	if err != nil {
		return nil, err
	}
	s, err := q.Schema(schemas)
	if err != nil {
		return nil, err
	}
	return q.Plan(s)
}

// Schema returns the schema the query's FROM names (an exact name, else
// the one name equal up to case). An unknown name is an *Error wrapping
// ErrUnknown that lists the registries.
func (q *Query) Schema(schemas []registry.Schema) (registry.Schema, error) {
	names := make([]string, len(schemas))
	for i, s := range schemas {
		names[i] = s.Name
	}
	i := resolve(names, q.Registry.Name)
	if i < 0 {
		return registry.Schema{}, q.errAt(q.Registry.Pos, q.Registry.Name, ErrUnknown,
			"unknown registry; the registries are %s", strings.Join(names, ", "))
	}
	return schemas[i], nil
}

// resolve finds name among names: exactly, else the one name equal up to
// case; -1 if neither.
func resolve(names []string, name string) int {
	if i := slices.Index(names, name); i >= 0 {
		return i
	}
	found := -1
	for i, n := range names {
		if strings.EqualFold(n, name) {
			if found >= 0 {
				return -1
			}
			found = i
		}
	}
	return found
}

func (q *Query) errAt(pos int, token string, kind error, format string, args ...any) *Error {
	return newError(q.Text, pos, token, kind, format, args...)
}

// planner holds the state of one Plan call.
type planner struct {
	q     *Query
	s     registry.Schema
	st    *registry.Statistics
	plan  *Plan
	axes  []axisUse // axes used by WHERE, GROUP BY and HISTOGRAM, first use first
	empty *Error    // set when the conditions on an axis exclude everything
}

// axisUse is an axis of the query and the token that first used it.
type axisUse struct {
	name  string
	pos   int
	token string
}

// Plan resolves the query against schema s and derives the Plan the nodes
// evaluate: the cube, the buckets kept on each axis, the grouping, the
// histogram bins, the sums and the columns. Errors are *Error values
// located at the offending token, wrapping ErrUnknown, ErrInvalid or
// ErrUnsupported.
//
// A HISTOGRAM's first edge e0 also restricts its measure: rows below e0
// are not counted, and when e0 > 0 Plan.Filter says so (the measure's
// entry keeps only bins from index(e0) on), so that Filter alone says
// which rows count and Histogram only how they split.
//
// Without COUNT(*) in the SELECT list, a query with HISTOGRAM gets a
// trailing COUNT(*) column (the histogram's counts); a query with GROUP BY
// whose SELECT list does not name the dimension gets it as a leading
// column, so that every row says which group it is.
func (q *Query) Plan(s registry.Schema) (*Plan, error) {
	if !strings.EqualFold(q.Registry.Name, s.Name) {
		return nil, q.errAt(q.Registry.Pos, q.Registry.Name, ErrUnknown, "the query reads registry %s, the schema is %s", q.Registry.Name, s.Name)
	}
	if s.Statistics == nil || len(s.Statistics.Cubes) == 0 {
		return nil, q.errAt(q.Registry.Pos, q.Registry.Name, ErrUnsupported, "registry %s declares no statistics to query", s.Name)
	}
	pl := &planner{q: q, s: s, st: s.Statistics, plan: &Plan{Registry: s.Name, Filter: map[string][]int{}}}
	if err := pl.groupBy(); err != nil {
		return nil, err
	}
	if err := pl.items(); err != nil {
		return nil, err
	}
	if err := pl.where(); err != nil {
		return nil, err
	}
	if pl.empty != nil {
		return nil, pl.empty
	}
	if err := pl.cube(); err != nil {
		return nil, err
	}
	return pl.plan, nil
}

// unknownColumn explains a name that is neither a dimension nor a measure.
func (pl *planner) unknownColumn(id Ident) *Error {
	return pl.q.errAt(id.Pos, id.Name, ErrUnknown, "unknown column; registry %s has %s", pl.s.Name, pl.describe())
}

// describe lists the dimensions and measures.
func (pl *planner) describe() string {
	var dims, meas []string
	for _, d := range pl.st.Dimensions {
		dims = append(dims, d.Name)
	}
	for _, m := range pl.st.Measures {
		meas = append(meas, m.Name)
	}
	return fmt.Sprintf("dimensions %s and measures %s", orNone(dims), orNone(meas))
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}

// lookup resolves a name to a dimension or a measure (one of them set).
func (pl *planner) lookup(id Ident) (*registry.Dimension, *registry.Measure, error) {
	names := make([]string, 0, len(pl.st.Dimensions)+len(pl.st.Measures))
	for _, d := range pl.st.Dimensions {
		names = append(names, d.Name)
	}
	for _, m := range pl.st.Measures {
		names = append(names, m.Name)
	}
	i := resolve(names, id.Name)
	switch {
	case i < 0:
		return nil, nil, pl.unknownColumn(id)
	case i < len(pl.st.Dimensions):
		return &pl.st.Dimensions[i], nil, nil
	default:
		return nil, &pl.st.Measures[i-len(pl.st.Dimensions)], nil
	}
}

func (pl *planner) dimension(id Ident, what string) (*registry.Dimension, error) {
	d, m, err := pl.lookup(id)
	if err != nil {
		return nil, err
	}
	if m != nil {
		return nil, pl.q.errAt(id.Pos, id.Name, ErrInvalid, "%s; %s is a measure (dimensions: %s)", what, m.Name, pl.dimNames())
	}
	return d, nil
}

func (pl *planner) binnedMeasure(id Ident, what string) (*registry.Measure, error) {
	d, m, err := pl.lookup(id)
	if err != nil {
		return nil, err
	}
	if d != nil {
		return nil, pl.q.errAt(id.Pos, id.Name, ErrInvalid, "%s; %s is a dimension (binned measures: %s)", what, d.Name, pl.binnedNames())
	}
	if len(m.Edges) == 0 {
		return nil, pl.q.errAt(id.Pos, id.Name, ErrUnsupported, "%s; measure %s has no bin edges (binned measures: %s)", what, m.Name, pl.binnedNames())
	}
	return m, nil
}

func (pl *planner) dimNames() string {
	var out []string
	for _, d := range pl.st.Dimensions {
		out = append(out, d.Name)
	}
	return orNone(out)
}

func (pl *planner) binnedNames() string {
	var out []string
	for _, m := range pl.st.Measures {
		if len(m.Edges) > 0 {
			out = append(out, m.Name)
		}
	}
	return orNone(out)
}

func (pl *planner) use(name string, pos int, token string) {
	pl.axes = append(pl.axes, axisUse{name, pos, token})
}

func (pl *planner) groupBy() error {
	g := pl.q.GroupBy
	if g == nil {
		return nil
	}
	d, err := pl.dimension(*g, "GROUP BY needs a dimension (split a measure with HISTOGRAM(measure, e0, e1, ...))")
	if err != nil {
		return err
	}
	pl.plan.GroupBy = d.Name
	pl.use(d.Name, g.Pos, g.Name)
	return nil
}

func (pl *planner) items() error {
	p := pl.plan
	hasCount, hasGroupCol := false, false
	var hist *Item
	for k := range pl.q.Items {
		it := &pl.q.Items[k]
		switch it.Kind {
		case ItemDim:
			d, m, err := pl.lookup(it.Name)
			if err != nil {
				return err
			}
			switch {
			case m != nil:
				return pl.q.errAt(it.Pos, it.Name.Name, ErrInvalid, "a measure is selected through an aggregate: SUM(%s), AVG(%s) or HISTOGRAM(%s, e0, e1, ...)", m.Name, m.Name, m.Name)
			case p.GroupBy == "":
				return pl.q.errAt(it.Pos, it.Name.Name, ErrInvalid, "%s is not aggregated: add GROUP BY %s, or select aggregates only", d.Name, d.Name)
			case d.Name != p.GroupBy:
				return pl.q.errAt(it.Pos, it.Name.Name, ErrInvalid, "%s is not the GROUP BY dimension (%s): only the GROUP BY dimension can be selected beside aggregates", d.Name, p.GroupBy)
			}
			hasGroupCol = true
			p.Columns = append(p.Columns, Column{Name: d.Name, Kind: ColumnGroup})
		case ItemCount:
			hasCount = true
			p.Columns = append(p.Columns, Column{Name: "COUNT(*)", Kind: ColumnCount})
		case ItemSum, ItemAvg:
			d, m, err := pl.lookup(it.Name)
			if err != nil {
				return err
			}
			fn, kind := "SUM", ColumnSum
			if it.Kind == ItemAvg {
				fn, kind = "AVG", ColumnAvg
			}
			if d != nil {
				var ms []string
				for _, m := range pl.st.Measures {
					ms = append(ms, m.Name)
				}
				return pl.q.errAt(it.Name.Pos, it.Name.Name, ErrInvalid, "%s needs a measure; %s is a dimension (measures: %s)", fn, d.Name, orNone(ms))
			}
			if !slices.Contains(p.Sums, m.Name) {
				p.Sums = append(p.Sums, m.Name)
			}
			p.Columns = append(p.Columns, Column{Name: fn + "(" + m.Name + ")", Kind: kind, Measure: m.Name})
		case ItemHistogram:
			if hist != nil {
				return pl.q.errAt(it.Pos, pl.token(it.Pos), ErrUnsupported, "at most one HISTOGRAM per query")
			}
			hist = it
			h, err := pl.histogram(it)
			if err != nil {
				return err
			}
			p.Histogram = h
			p.Columns = append(p.Columns, Column{Name: "HISTOGRAM(" + h.Measure + ")", Kind: ColumnBin, Measure: h.Measure})
		}
	}
	if hist != nil && !hasCount {
		p.Columns = append(p.Columns, Column{Name: "COUNT(*)", Kind: ColumnCount})
	}
	if p.GroupBy != "" && !hasGroupCol {
		p.Columns = append([]Column{{Name: p.GroupBy, Kind: ColumnGroup}}, p.Columns...)
	}
	return nil
}

// token returns the token text at byte offset pos (for error messages on
// items that start with a function name).
func (pl *planner) token(pos int) string {
	end := pos
	for end < len(pl.q.Text) && isIdentPart(pl.q.Text[end]) {
		end++
	}
	return pl.q.Text[pos:end]
}

func (pl *planner) histogram(it *Item) (*HistogramPlan, error) {
	m, err := pl.binnedMeasure(it.Name, "HISTOGRAM needs a binned measure")
	if err != nil {
		return nil, err
	}
	idx := make([]int, len(it.Edges))
	for i, e := range it.Edges {
		j, ok := slices.BinarySearch(m.Edges, e.Value)
		if !ok {
			return nil, pl.q.errAt(e.Pos, e.Text, ErrUnsupported, "%d is not a bin edge of %s; %s (histograms cut only at declared edges: %s)",
				e.Value, m.Name, nearestEdges(m, e.Value), joinInts(m.Edges))
		}
		if i > 0 && e.Value <= it.Edges[i-1].Value {
			return nil, pl.q.errAt(e.Pos, e.Text, ErrInvalid, "histogram edges must increase: %d follows %d", e.Value, it.Edges[i-1].Value)
		}
		idx[i] = j
	}
	h := &HistogramPlan{Measure: m.Name}
	for i, from := range idx {
		to := len(m.Edges)
		label := fmt.Sprintf("[%d,+inf)", it.Edges[i].Value)
		if i+1 < len(idx) {
			to = idx[i+1]
			label = fmt.Sprintf("[%d,%d)", it.Edges[i].Value, it.Edges[i+1].Value)
		}
		h.Bins = append(h.Bins, BinRange{From: from, To: to})
		h.Labels = append(h.Labels, label)
	}
	pl.use(m.Name, it.Name.Pos, it.Name.Name)
	if idx[0] > 0 {
		pl.restrict(m.Name, rangeInts(idx[0], len(m.Edges)), it.Edges[0].Pos, it.Edges[0].Text)
	}
	return h, nil
}

// nearestEdges names the declared edges around v.
func nearestEdges(m *registry.Measure, v int64) string {
	j, _ := slices.BinarySearch(m.Edges, v)
	switch {
	case j == 0:
		return fmt.Sprintf("the lowest edge is %d", m.Edges[0])
	case j == len(m.Edges):
		return fmt.Sprintf("the highest edge is %d", m.Edges[j-1])
	}
	return fmt.Sprintf("the nearest edges are %d and %d", m.Edges[j-1], m.Edges[j])
}

func joinInts(v []int64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatInt(x, 10)
	}
	return strings.Join(s, ", ")
}

func rangeInts(from, to int) []int {
	out := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// restrict intersects the kept buckets of an axis with keep (ascending);
// the token is blamed if the intersection is empty.
func (pl *planner) restrict(axis string, keep []int, pos int, token string) {
	if prev, ok := pl.plan.Filter[axis]; ok {
		var both []int
		for _, b := range keep {
			if slices.Contains(prev, b) {
				both = append(both, b)
			}
		}
		keep = both
	}
	if keep == nil {
		keep = []int{}
	}
	pl.plan.Filter[axis] = keep
	if len(keep) == 0 && pl.empty == nil {
		pl.empty = pl.q.errAt(pos, token, ErrInvalid, "the conditions on %s exclude every row", axis)
	}
}

func (pl *planner) where() error {
	for _, c := range pl.q.Where {
		var err error
		switch c.Kind {
		case CondEq, CondIn:
			err = pl.values(c)
		case CondBetween:
			err = pl.between(c)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (pl *planner) values(c Cond) error {
	d, err := pl.dimension(c.Name, "= and IN compare a dimension with values (for a measure use measure BETWEEN a AND b)")
	if err != nil {
		return err
	}
	buckets := d.Buckets(pl.s)
	var keep []int
	for _, v := range c.Values {
		i := slices.Index(buckets, v.Value)
		if i < 0 {
			return pl.undeclared(d, buckets, v)
		}
		if !slices.Contains(keep, i) {
			keep = append(keep, i)
		}
	}
	slices.Sort(keep)
	pl.use(d.Name, c.Name.Pos, c.Name.Name)
	pl.restrict(d.Name, keep, c.Name.Pos, c.Name.Name)
	return nil
}

// undeclared explains a value that is not a bucket label of d.
func (pl *planner) undeclared(d *registry.Dimension, buckets []string, v Str) *Error {
	hint := ""
	for _, b := range buckets {
		if strings.EqualFold(b, v.Value) {
			hint = fmt.Sprintf(" (did you mean '%s'? values are case-sensitive)", b)
		}
	}
	if d.Other != "" {
		return pl.q.errAt(v.Pos, v.Text, ErrUnknown, "%s declares %s; %s is not declared: use '%s', which holds every country not listed%s",
			d.Name, strings.Join(d.Values, ", "), v.Value, d.Other, hint)
	}
	return pl.q.errAt(v.Pos, v.Text, ErrUnknown, "not a value of %s; its values are %s%s", d.Name, quoteAll(buckets), hint)
}

func quoteAll(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = quote(v)
	}
	return strings.Join(q, ", ")
}

func (pl *planner) between(c Cond) error {
	m, err := pl.binnedMeasure(c.Name, "BETWEEN needs a binned measure (for a dimension use = or IN)")
	if err != nil {
		return err
	}
	lo, hi := c.Lo.Value, c.Hi.Value
	if lo > hi {
		return pl.q.errAt(c.Lo.Pos, c.Lo.Text, ErrInvalid, "empty range: %d is above %d", lo, hi)
	}
	from, ok := slices.BinarySearch(m.Edges, lo)
	if !ok {
		return pl.q.errAt(c.Lo.Pos, c.Lo.Text, ErrUnsupported, "%d is not a bin edge of %s; %s (a range starts at a declared edge: %s)",
			lo, m.Name, nearestEdges(m, lo), joinInts(m.Edges))
	}
	to := len(m.Edges) // bins [from, to) are kept
	if hi < m.Max() {
		j, ok := slices.BinarySearch(m.Edges, hi+1)
		if !ok {
			return pl.q.errAt(c.Hi.Pos, c.Hi.Text, ErrUnsupported, "a range ends one below a bin edge of %s, or at %d or above; %s (edges: %s)",
				m.Name, m.Max(), nearestEnds(m, hi), joinInts(m.Edges))
		}
		to = j
	}
	pl.use(m.Name, c.Name.Pos, c.Name.Name)
	pl.restrict(m.Name, rangeInts(from, to), c.Name.Pos, c.Name.Name)
	return nil
}

// nearestEnds names the allowed upper bounds around hi (edge-1 values).
func nearestEnds(m *registry.Measure, hi int64) string {
	j, _ := slices.BinarySearch(m.Edges, hi+1)
	below, above := "", ""
	if j > 1 {
		below = strconv.FormatInt(m.Edges[j-1]-1, 10)
	}
	if j < len(m.Edges) {
		above = strconv.FormatInt(m.Edges[j]-1, 10)
	} else {
		above = strconv.FormatInt(m.Max(), 10)
	}
	if below == "" {
		return "the nearest allowed upper bound is " + above
	}
	return "the nearest allowed upper bounds are " + below + " and " + above
}

// cube picks the smallest cube holding every axis used.
func (pl *planner) cube() error {
	slices.SortStableFunc(pl.axes, func(a, b axisUse) int { return a.pos - b.pos })
	var used []string
	cands := pl.st.Cubes
	for _, a := range pl.axes {
		if slices.Contains(used, a.name) {
			continue
		}
		used = append(used, a.name)
		var next []registry.Cube
		for _, c := range cands {
			if slices.Contains(c.Axes, a.name) {
				next = append(next, c)
			}
		}
		if len(next) == 0 {
			var cubes []string
			for _, c := range pl.st.Cubes {
				cubes = append(cubes, fmt.Sprintf("%s (%s)", c.Name, strings.Join(c.Axes, ", ")))
			}
			return pl.q.errAt(a.pos, a.token, ErrUnsupported, "no cube holds %s together; registry %s has cubes %s",
				andList(used), pl.s.Name, strings.Join(cubes, "; "))
		}
		cands = next
	}
	best, bestSize := "", uint64(0)
	for _, c := range cands {
		if size := pl.cubeSize(c); best == "" || size < bestSize {
			best, bestSize = c.Name, size
		}
	}
	pl.plan.Cube = best
	return nil
}

// cubeSize is the product of the axes' bucket counts, saturating.
func (pl *planner) cubeSize(c registry.Cube) uint64 {
	size := uint64(1)
	for _, a := range c.Axes {
		n := uint64(1)
		if d, ok := pl.st.Dimension(a); ok {
			n = uint64(len(d.Buckets(pl.s)))
		} else if m, ok := pl.st.Measure(a); ok {
			n = uint64(len(m.Edges))
		}
		if n != 0 && size > math.MaxUint64/n {
			return math.MaxUint64
		}
		size *= n
	}
	return size
}

func andList(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
