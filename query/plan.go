package query

import "math/big"

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
	// ascending and without repeats. An axis that is not a key is not
	// restricted. Conditions on one axis joined by AND intersect.
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
// last output bin is [e_k, +inf). Rows below e0 are not counted.
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
	ColumnGroup     ColumnKind = iota + 1 // the GROUP BY dimension's bucket label
	ColumnBin                             // the histogram bin label
	ColumnCount                           // COUNT(*), or a histogram's count
	ColumnSum                             // SUM(Measure)
	ColumnAvg                             // AVG(Measure) = SUM/COUNT, computed by the client
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
