package query

import (
	"encoding/json"
	"math/big"
	"slices"

	"github.com/dataembassy/embassy/registry"
)

// Plan is what the nodes evaluate for one query: it is derived
// deterministically from the query text and the registry schema (every
// node derives it itself; a coordinator never hands one over). All bucket
// indices refer to registry.Dimension.Buckets / registry.Measure.Edges.
type Plan struct {
	Registry string
	// Cube is the name of the registry.Cube that holds every axis the query
	// uses (the smallest such cube, first in schema order on a tie).
	Cube string
	// Filter maps each restricted axis of the cube to the buckets kept,
	// ascending and without repeats, never empty (a query whose conditions
	// exclude every row is refused). An axis that is not a key is not
	// restricted. Conditions on one axis joined by AND intersect. A
	// histogram whose first edge e0 is above 0 restricts its measure to
	// the bins from index(e0) on here too.
	Filter map[string][]int
	// GroupBy is the dimension whose buckets become result rows ("" none).
	GroupBy string
	// Histogram, if set, splits rows by bins of a binned measure.
	Histogram *HistogramPlan
	// Sums lists the measures whose exact sums the result needs (for SUM
	// and AVG), in first-use order, without repeats.
	Sums []string
	// Columns describes the result columns in SELECT order.
	Columns []Column
}

// HistogramPlan is HISTOGRAM(measure, e0, e1, ..., ek): output bin i holds
// the declared bins From..To-1 of the measure, i.e. [e_i, e_{i+1}), and the
// last output bin is [e_k, +inf) (its To is len(Edges)). Rows below e0 are
// not counted: Plan.Filter excludes them as well.
type HistogramPlan struct {
	Measure string
	Bins    []BinRange
	Labels  []string // "[0,10)", ..., "[250,+inf)"
}

// BinRange is a run of declared bins [From, To) of a measure.
type BinRange struct{ From, To int }

// ColumnKind says what a result column holds.
type ColumnKind int

// Column kinds.
const (
	ColumnGroup ColumnKind = iota + 1 // the GROUP BY dimension's bucket label
	ColumnBin                         // the histogram bin label
	ColumnCount                       // COUNT(*), or a histogram's count
	ColumnSum                         // SUM(Measure)
	ColumnAvg                         // AVG(Measure) = SUM/COUNT, computed by the client
)

// Column is one result column.
type Column struct {
	Name    string // as shown: "county", "COUNT(*)", "AVG(birth_year)", ...
	Kind    ColumnKind
	Measure string // for ColumnSum, ColumnAvg, ColumnBin
}

// Cell holds the decrypted aggregates of one output group: the rows that
// fall in group bucket Group (or -1 without GROUP BY) and histogram output
// bin Bin (or -1 without HISTOGRAM).
type Cell struct {
	Group int
	Bin   int
	Count uint64
	Sums  []*big.Int // one per Plan.Sums, same order
}

// Uses lists the dimension and measure names the plan reads (grouping,
// filters, histogram, sums), sorted and without repeats: what an access
// policy checks. The cube's other axes are not read.
func (p *Plan) Uses() []string {
	var out []string
	if p.GroupBy != "" {
		out = append(out, p.GroupBy)
	}
	for axis := range p.Filter {
		out = append(out, axis)
	}
	if p.Histogram != nil {
		out = append(out, p.Histogram.Measure)
	}
	out = append(out, p.Sums...)
	slices.Sort(out)
	return slices.Compact(out)
}

// Fields lists the schema fields behind Uses (a measure derived from a
// date names the date field), sorted and without repeats.
func (p *Plan) Fields(s registry.Schema) []string {
	var out []string
	for _, name := range p.Uses() {
		if s.Statistics == nil {
			break
		}
		if d, ok := s.Statistics.Dimension(name); ok {
			out = append(out, d.Field)
		} else if m, ok := s.Statistics.Measure(name); ok {
			out = append(out, m.Field)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Canonical encodes the plan deterministically (JSON with the Filter keys
// sorted): equal plans give equal bytes, so nodes can compare or hash the
// plans they derived.
func (p *Plan) Canonical() []byte {
	// A Plan holds only strings, ints, slices and a string-keyed map, so
	// encoding cannot fail.
	b, _ := json.Marshal(p)
	return b
}

// String returns the canonical encoding as text.
func (p *Plan) String() string { return string(p.Canonical()) }
