package registry

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// LimbBits is the width of one limb of a measure: a measure of B bits is
// summed as ceil(B/LimbBits) separate limb sums, each small enough that a
// cell of up to MaxSumRows rows cannot wrap the 35-bit plaintext modulus.
const LimbBits = 12

// Statistics declares what a registry offers to encrypted aggregate
// queries: measures (numbers that can be summed, each optionally cut into
// bins), dimensions (categorical fields to filter and group by) and cubes
// (which dimensions and binned measures are tabulated together). A query
// can only use axes that one declared cube holds together.
type Statistics struct {
	Measures   []Measure   `json:"measures"`
	Dimensions []Dimension `json:"dimensions"`
	Cubes      []Cube      `json:"cubes"`
}

// Measure is a non-negative integer taken from a field: an int field's
// value, or the year of a date field (Derive "year").
type Measure struct {
	Name   string `json:"name"`
	Field  string `json:"field"`
	Derive string `json:"derive,omitempty"` // "" or "year"
	// Bits bounds the values: every value lies in [0, 2^Bits). An int
	// field's min/max must lie within it (validation rejects other rows).
	Bits int `json:"bits"`
	// Edges are the lower edges of the measure's bins, ascending, the first
	// 0: bin i holds [Edges[i], Edges[i+1]), the last bin [Edges[last], ∞).
	// Range filters and histograms can only cut at these edges. Empty:
	// the measure cannot be binned (a cube cannot name it).
	Edges []int64 `json:"edges,omitempty"`
}

// Dimension is a categorical axis: an enum field (its values, in schema
// order) or a country field (the listed Values plus Other for the rest).
type Dimension struct {
	Name   string   `json:"name"`
	Field  string   `json:"field"`
	Values []string `json:"values,omitempty"` // country fields only
	Other  string   `json:"other,omitempty"`  // country fields only: label of the catch-all bucket
}

// Cube names a set of axes (dimension names and binned measure names)
// tabulated together.
type Cube struct {
	Name string   `json:"name"`
	Axes []string `json:"axes"`
}

// Limbs is how many LimbBits-wide limbs the measure is summed in.
func (m Measure) Limbs() int { return (m.Bits + LimbBits - 1) / LimbBits }

// Max is the largest value the measure can hold.
func (m Measure) Max() int64 { return int64(1)<<m.Bits - 1 }

// Bin returns the index of the bin holding v (v ≥ 0).
func (m Measure) Bin(v int64) int {
	i, found := slices.BinarySearch(m.Edges, v)
	if found {
		return i
	}
	return i - 1
}

// BinLabels names each bin, e.g. "[10,50)" and "[250,+inf)".
func (m Measure) BinLabels() []string {
	out := make([]string, len(m.Edges))
	for i, e := range m.Edges {
		if i+1 < len(m.Edges) {
			out[i] = fmt.Sprintf("[%d,%d)", e, m.Edges[i+1])
		} else {
			out[i] = fmt.Sprintf("[%d,+inf)", e)
		}
	}
	return out
}

// Buckets returns the dimension's bucket labels in bucket order.
func (d Dimension) Buckets(s Schema) []string {
	f := s.Fields[s.FieldIndex(d.Field)]
	if f.Type == TypeEnum {
		return slices.Clone(f.Values)
	}
	return append(slices.Clone(d.Values), d.Other)
}

// Bucket returns the bucket of a field value: its position in Buckets, or
// the Other bucket for a country not listed.
func (d Dimension) Bucket(s Schema, value string) int {
	f := s.Fields[s.FieldIndex(d.Field)]
	if f.Type == TypeEnum {
		return slices.Index(f.Values, value)
	}
	if i := slices.Index(d.Values, value); i >= 0 {
		return i
	}
	return len(d.Values)
}

// Measure returns the named measure.
func (st *Statistics) Measure(name string) (Measure, bool) {
	i := slices.IndexFunc(st.Measures, func(m Measure) bool { return m.Name == name })
	if i < 0 {
		return Measure{}, false
	}
	return st.Measures[i], true
}

// Dimension returns the named dimension.
func (st *Statistics) Dimension(name string) (Dimension, bool) {
	i := slices.IndexFunc(st.Dimensions, func(d Dimension) bool { return d.Name == name })
	if i < 0 {
		return Dimension{}, false
	}
	return st.Dimensions[i], true
}

// MeasureValue returns measure m of a valid record r.
func (s Schema) MeasureValue(m Measure, r Record) (int64, error) {
	i := s.FieldIndex(m.Field)
	if i < 0 || i >= len(r.Values) {
		return 0, fmt.Errorf("measure %s: no field %q in the record", m.Name, m.Field)
	}
	v := r.Values[i]
	var n int64
	switch m.Derive {
	case "year":
		d, err := parseDate(v)
		if err != nil {
			return 0, fmt.Errorf("measure %s: %q: %w", m.Name, v, err)
		}
		n = int64(d.year)
	default:
		var err error
		if n, err = strconv.ParseInt(v, 10, 64); err != nil {
			return 0, fmt.Errorf("measure %s: %q is not an integer", m.Name, v)
		}
	}
	if n < 0 || n > m.Max() {
		return 0, fmt.Errorf("measure %s: %d outside [0, 2^%d)", m.Name, n, m.Bits)
	}
	return n, nil
}

// checkStats checks the statistics declaration against the fields.
func (s Schema) checkStats() error {
	st := s.Statistics
	if st == nil {
		return nil
	}
	names := map[string]string{}
	claim := func(name, kind string) error {
		if name == "" {
			return fmt.Errorf("a %s has no name", kind)
		}
		if prev, ok := names[name]; ok {
			return fmt.Errorf("%s %q: name already used by a %s", kind, name, prev)
		}
		names[name] = kind
		return nil
	}
	for _, m := range st.Measures {
		if err := claim(m.Name, "measure"); err != nil {
			return err
		}
		if err := s.checkMeasure(m); err != nil {
			return fmt.Errorf("measure %q: %w", m.Name, err)
		}
	}
	for _, d := range st.Dimensions {
		if err := claim(d.Name, "dimension"); err != nil {
			return err
		}
		if err := s.checkDimension(d); err != nil {
			return fmt.Errorf("dimension %q: %w", d.Name, err)
		}
	}
	for _, c := range st.Cubes {
		if err := claim(c.Name, "cube"); err != nil {
			return err
		}
		if err := st.checkCube(c); err != nil {
			return fmt.Errorf("cube %q: %w", c.Name, err)
		}
	}
	return nil
}

func (s Schema) checkMeasure(m Measure) error {
	i := s.FieldIndex(m.Field)
	if i < 0 {
		return fmt.Errorf("field %q is not a field", m.Field)
	}
	f := s.Fields[i]
	if m.Bits < 1 || m.Bits > 62 {
		return fmt.Errorf("bits %d outside 1..62", m.Bits)
	}
	switch m.Derive {
	case "year":
		if f.Type != TypeDate {
			return fmt.Errorf("derive year needs a date field, %q is %s", f.Name, f.Type)
		}
		if m.Bits < 12 {
			return errors.New("a year needs at least 12 bits")
		}
	case "":
		if f.Type != TypeInt {
			return fmt.Errorf("field %q is %s, want int (or derive year from a date)", f.Name, f.Type)
		}
		if f.Min == nil || *f.Min < 0 || f.Max == nil || *f.Max > m.Max() {
			return fmt.Errorf("field %q needs min ≥ 0 and max ≤ 2^%d-1", f.Name, m.Bits)
		}
	default:
		return fmt.Errorf("unknown derive %q (want year)", m.Derive)
	}
	if len(m.Edges) > 0 {
		if m.Edges[0] != 0 {
			return errors.New("the first edge must be 0")
		}
		for k := 1; k < len(m.Edges); k++ {
			if m.Edges[k] <= m.Edges[k-1] || m.Edges[k] > m.Max() {
				return fmt.Errorf("edge %d: edges must increase and stay ≤ 2^%d-1", m.Edges[k], m.Bits)
			}
		}
	}
	return nil
}

func (s Schema) checkDimension(d Dimension) error {
	i := s.FieldIndex(d.Field)
	if i < 0 {
		return fmt.Errorf("field %q is not a field", d.Field)
	}
	switch f := s.Fields[i]; f.Type {
	case TypeEnum:
		if len(d.Values) > 0 || d.Other != "" {
			return errors.New("values and other are only for country fields (an enum's buckets are its values)")
		}
	case TypeCountry:
		if len(d.Values) == 0 || d.Other == "" {
			return errors.New("a country dimension lists values and names the other bucket")
		}
		if err := checkEnumValues(append(slices.Clone(d.Values), d.Other)); err != nil {
			return err
		}
	default:
		return fmt.Errorf("field %q is %s, want enum or country", f.Name, f.Type)
	}
	return nil
}

func (st *Statistics) checkCube(c Cube) error {
	if len(c.Axes) == 0 {
		return errors.New("no axes")
	}
	seen := map[string]bool{}
	for _, a := range c.Axes {
		if seen[a] {
			return fmt.Errorf("axis %q repeated", a)
		}
		seen[a] = true
		if _, ok := st.Dimension(a); ok {
			continue
		}
		m, ok := st.Measure(a)
		if !ok {
			return fmt.Errorf("axis %q is neither a dimension nor a measure", a)
		}
		if len(m.Edges) == 0 {
			return fmt.Errorf("measure %q has no bin edges", a)
		}
	}
	return nil
}
