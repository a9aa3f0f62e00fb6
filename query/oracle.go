package query

import (
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/dataembassy/embassy/registry"
)

// Oracle evaluates a parsed query over plaintext records, directly from
// the query's text semantics and not from its Plan: a condition compares
// a record's value (a dimension's label, a measure's value) with the
// literals, a histogram bin is the last edge e_i ≤ value, and rows below
// e0 are left out. A country not listed by the dimension has the label of
// its Other bucket. It is the reference that the planner and the encrypted
// evaluator are tested against.
//
// The cells cover the whole output grid, zero counts included: group
// buckets in order (Group -1 alone without GROUP BY), and within each the
// histogram bins in order (Bin -1 alone without HISTOGRAM). Sums follow
// the order of Plan.Sums (SUM and AVG measures in first-use order).
//
// Oracle resolves names as Plan does but checks nothing else: call Plan
// first to know whether the query is answerable. Records must be valid
// rows of s; an unreadable measure or an unknown label is an error.
func Oracle(q *Query, s registry.Schema, records []registry.Record) ([]Cell, error) {
	o, err := newOracle(q, s)
	if err != nil {
		return nil, err
	}
	groups, bins := max(1, len(o.groups)), max(1, len(o.edges))
	cells := make([]Cell, groups*bins)
	for i := range cells {
		cells[i] = Cell{Group: -1, Bin: -1, Sums: make([]*big.Int, len(o.sums))}
		if o.group != nil {
			cells[i].Group = i / bins
		}
		if o.hist != nil {
			cells[i].Bin = i % bins
		}
		for j := range cells[i].Sums {
			cells[i].Sums[j] = new(big.Int)
		}
	}
	var v big.Int
	for n, r := range records {
		keep, group, bin, err := o.place(r)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", n, err)
		}
		if !keep {
			continue
		}
		c := &cells[max(group, 0)*bins+max(bin, 0)]
		c.Count++
		for j, m := range o.sums {
			x, err := s.MeasureValue(m, r)
			if err != nil {
				return nil, fmt.Errorf("record %d: %w", n, err)
			}
			c.Sums[j].Add(c.Sums[j], v.SetInt64(x))
		}
	}
	return cells, nil
}

type oracle struct {
	s      registry.Schema
	group  *registry.Dimension
	groups []string // the group dimension's labels
	hist   *registry.Measure
	edges  []int64 // as written in HISTOGRAM
	sums   []registry.Measure
	conds  []oracleCond
}

type oracleCond struct {
	dim    *registry.Dimension
	values []string
	m      *registry.Measure
	lo, hi int64
}

func newOracle(q *Query, s registry.Schema) (*oracle, error) {
	if s.Statistics == nil {
		return nil, fmt.Errorf("%w: registry %s declares no statistics", ErrUnsupported, s.Name)
	}
	o := &oracle{s: s}
	st := s.Statistics
	dim := func(id Ident) (*registry.Dimension, error) {
		names := make([]string, len(st.Dimensions))
		for i, d := range st.Dimensions {
			names[i] = d.Name
		}
		if i := resolve(names, id.Name); i >= 0 {
			return &st.Dimensions[i], nil
		}
		return nil, fmt.Errorf("%w: %s is not a dimension", ErrUnknown, id.Name)
	}
	measure := func(id Ident) (*registry.Measure, error) {
		names := make([]string, len(st.Measures))
		for i, m := range st.Measures {
			names[i] = m.Name
		}
		if i := resolve(names, id.Name); i >= 0 {
			return &st.Measures[i], nil
		}
		return nil, fmt.Errorf("%w: %s is not a measure", ErrUnknown, id.Name)
	}
	var err error
	if q.GroupBy != nil {
		if o.group, err = dim(*q.GroupBy); err != nil {
			return nil, err
		}
		o.groups = o.group.Buckets(s)
	}
	for _, it := range q.Items {
		switch it.Kind {
		case ItemSum, ItemAvg:
			m, err := measure(it.Name)
			if err != nil {
				return nil, err
			}
			if !slices.ContainsFunc(o.sums, func(x registry.Measure) bool { return x.Name == m.Name }) {
				o.sums = append(o.sums, *m)
			}
		case ItemHistogram:
			if o.hist, err = measure(it.Name); err != nil {
				return nil, err
			}
			o.edges = o.edges[:0]
			for _, e := range it.Edges {
				o.edges = append(o.edges, e.Value)
			}
		}
	}
	for _, c := range q.Where {
		var oc oracleCond
		if c.Kind == CondBetween {
			if oc.m, err = measure(c.Name); err != nil {
				return nil, err
			}
			oc.lo, oc.hi = c.Lo.Value, c.Hi.Value
		} else {
			if oc.dim, err = dim(c.Name); err != nil {
				return nil, err
			}
			for _, v := range c.Values {
				oc.values = append(oc.values, v.Value)
			}
		}
		o.conds = append(o.conds, oc)
	}
	return o, nil
}

// label is the bucket label of record r on dimension d.
func (o *oracle) label(d *registry.Dimension, r registry.Record) (string, error) {
	i := o.s.FieldIndex(d.Field)
	if i < 0 || i >= len(r.Values) {
		return "", fmt.Errorf("dimension %s: no field %q in the record", d.Name, d.Field)
	}
	v := r.Values[i]
	if d.Other != "" && !slices.Contains(d.Values, v) {
		return d.Other, nil
	}
	return v, nil
}

// place says whether r counts and in which group and bin (-1 for none).
func (o *oracle) place(r registry.Record) (keep bool, group, bin int, err error) {
	for _, c := range o.conds {
		if c.dim != nil {
			l, err := o.label(c.dim, r)
			if err != nil {
				return false, 0, 0, err
			}
			if !slices.Contains(c.values, l) {
				return false, 0, 0, nil
			}
			continue
		}
		v, err := o.s.MeasureValue(*c.m, r)
		if err != nil {
			return false, 0, 0, err
		}
		if v < c.lo || v > c.hi {
			return false, 0, 0, nil
		}
	}
	group, bin = -1, -1
	if o.group != nil {
		l, err := o.label(o.group, r)
		if err != nil {
			return false, 0, 0, err
		}
		if group = slices.Index(o.groups, l); group < 0 {
			return false, 0, 0, fmt.Errorf("dimension %s: %q is none of %s", o.group.Name, l, strings.Join(o.groups, ", "))
		}
	}
	if o.hist != nil {
		v, err := o.s.MeasureValue(*o.hist, r)
		if err != nil {
			return false, 0, 0, err
		}
		for i, e := range o.edges {
			if v >= e {
				bin = i
			}
		}
		if bin < 0 {
			return false, 0, 0, nil
		}
	}
	return true, group, bin, nil
}

// PlainAnswer is the answer to text over plaintext records, computed by
// Oracle and assembled as a client assembles a decrypted answer (groups
// of fewer than k rows suppressed): the reference that encrypted answers
// are checked against.
func PlainAnswer(text string, schemas []registry.Schema, records []registry.Record, k int) (*Result, error) {
	q, err := Parse(text)
	if err != nil {
		return nil, err
	}
	s, err := q.Schema(schemas)
	if err != nil {
		return nil, err
	}
	plan, err := q.Plan(s)
	if err != nil {
		return nil, err
	}
	cells, err := Oracle(q, s, records)
	if err != nil {
		return nil, err
	}
	return Assemble(plan, s, cells, k)
}
