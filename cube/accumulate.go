package cube

import (
	"fmt"
	"strconv"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/thhe"
)

// Accumulator sums the contributions of records to every cube of a
// registry, in the clear, on the custodian's side: one batch's worth, to
// be encrypted as a Delta. It is not safe for concurrent use.
type Accumulator struct {
	schema  registry.Schema
	layouts []*Layout
	id      [8]byte
	meas    []measureReader
	dims    []dimReader
	cubes   [][]axisRef // per cube: its non-entries axes
	cells   [][]int64   // per cube: Layout.Size cells
	rows    int64       // net records added (+1 per Add, -1 per removal)

	vals  []int64 // scratch: measure values of the current record
	coord []int   // scratch: dimension buckets, then measure bins
}

type measureReader struct {
	name  string
	field int
	year  bool
	max   int64
	m     registry.Measure
	entry int // entries-axis coordinate of limb 0
	limbs int
}

type dimReader struct {
	name    string
	field   int
	buckets map[string]int
	other   int // bucket of values not listed (country dimensions), -1 for enums
}

// axisRef says where a cube axis takes its coordinate from: coord[src].
type axisRef struct {
	src    int
	stride int
}

// NewAccumulator returns an empty accumulator for the cubes of s, laid out
// for ciphertexts of slots slots (thhe.Params.Slots()).
func NewAccumulator(s registry.Schema, slots int) (*Accumulator, error) {
	ls, err := NewLayouts(s, slots)
	if err != nil {
		return nil, err
	}
	st := s.Statistics
	a := &Accumulator{schema: s, layouts: ls, id: ls[0].set}
	for _, m := range st.Measures {
		f := s.FieldIndex(m.Field)
		if f < 0 {
			return nil, fmt.Errorf("cube: measure %q: no field %q", m.Name, m.Field)
		}
		a.meas = append(a.meas, measureReader{
			name: m.Name, field: f, year: m.Derive == "year", max: m.Max(), m: m,
			entry: ls[0].entry(m.Name, 0), limbs: m.Limbs(),
		})
	}
	for _, d := range st.Dimensions {
		f := s.FieldIndex(d.Field)
		if f < 0 {
			return nil, fmt.Errorf("cube: dimension %q: no field %q", d.Name, d.Field)
		}
		r := dimReader{name: d.Name, field: f, buckets: map[string]int{}, other: -1}
		if s.Fields[f].Type == registry.TypeEnum {
			for i, v := range s.Fields[f].Values {
				r.buckets[v] = i
			}
		} else {
			for i, v := range d.Values {
				r.buckets[v] = i
			}
			r.other = len(d.Values)
		}
		a.dims = append(a.dims, r)
	}
	for _, l := range ls {
		var refs []axisRef
		for _, ax := range l.Axes[1:] {
			src := -1
			for i, d := range a.dims {
				if d.name == ax.Name {
					src = i
				}
			}
			if src < 0 {
				for i, m := range a.meas {
					if m.name == ax.Name {
						src = len(a.dims) + i
					}
				}
			}
			refs = append(refs, axisRef{src: src, stride: ax.Stride})
		}
		a.cubes = append(a.cubes, refs)
		a.cells = append(a.cells, make([]int64, l.Size))
	}
	a.vals = make([]int64, len(a.meas))
	a.coord = make([]int, len(a.dims)+len(a.meas))
	return a, nil
}

// Layouts returns the layouts of the accumulator's cubes (shared; do not
// modify).
func (a *Accumulator) Layouts() []*Layout { return a.layouts }

// Rows is the net number of records added since the last Reset (additions
// minus removals).
func (a *Accumulator) Rows() int64 { return a.rows }

// Reset empties the accumulator for the next batch.
func (a *Accumulator) Reset() {
	for _, c := range a.cells {
		clear(c)
	}
	a.rows = 0
}

// Add adds (sign +1) or removes (sign -1, for a superseded or deleted
// version) one record's contributions: in every cube, at the record's cell,
// the count moves by sign and every measure limb entry by sign·limb. The
// record must be valid for the schema; one whose statistics fields cannot
// be read (wrong arity, unparsable number or date, value outside the
// measure's bits, unknown enum value) is refused with an error wrapping
// registry.ErrInvalidRow, and nothing is added.
func (a *Accumulator) Add(r registry.Record, sign int) error {
	if sign != 1 && sign != -1 {
		return fmt.Errorf("cube: sign %d, want +1 or -1", sign)
	}
	if len(r.Values) != len(a.schema.Fields) {
		return fmt.Errorf("%w: %d values, the schema has %d fields", registry.ErrInvalidRow, len(r.Values), len(a.schema.Fields))
	}
	for i := range a.meas {
		m := &a.meas[i]
		v, err := m.read(r.Values[m.field])
		if err != nil {
			return fmt.Errorf("%w: measure %s: %w", registry.ErrInvalidRow, m.name, err)
		}
		a.vals[i] = v
		a.coord[len(a.dims)+i] = -1
		if len(m.m.Edges) > 0 {
			a.coord[len(a.dims)+i] = m.m.Bin(v)
		}
	}
	for i := range a.dims {
		d := &a.dims[i]
		b, ok := d.buckets[r.Values[d.field]]
		if !ok {
			if d.other < 0 {
				return fmt.Errorf("%w: dimension %s: %q is not a value of the enum", registry.ErrInvalidRow, d.name, r.Values[d.field])
			}
			b = d.other
		}
		a.coord[i] = b
	}
	s := int64(sign)
	for c, refs := range a.cubes {
		base := 0
		for _, ax := range refs {
			base += a.coord[ax.src] * ax.stride
		}
		cells := a.cells[c]
		cells[base] += s
		for i := range a.meas {
			m := &a.meas[i]
			v := a.vals[i]
			for l := range m.limbs {
				cells[base+m.entry+l] += s * ((v >> (registry.LimbBits * l)) & (1<<registry.LimbBits - 1))
			}
		}
	}
	a.rows += s
	return nil
}

// read parses a measure from its field's text: a decimal int, or the year
// of a YYYY-MM-DD date.
func (m *measureReader) read(s string) (int64, error) {
	var v int64
	if m.year {
		if len(s) != 10 || s[4] != '-' || s[7] != '-' {
			return 0, fmt.Errorf("%q is not a YYYY-MM-DD date", s)
		}
		for i := range 4 {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("%q is not a YYYY-MM-DD date", s)
			}
			v = v*10 + int64(c-'0')
		}
	} else {
		var err error
		if v, err = strconv.ParseInt(s, 10, 64); err != nil {
			return 0, fmt.Errorf("%q is not an integer", s)
		}
	}
	if v < 0 || v > m.max {
		return 0, fmt.Errorf("%d outside [0, %d]", v, m.max)
	}
	return v, nil
}

// Plain returns the accumulated cells of the named cube, one slice of
// Slots values per ciphertext (a copy): what Encrypt would encrypt.
func (a *Accumulator) Plain(cube string) ([][]int64, error) {
	for c, l := range a.layouts {
		if l.Cube == cube {
			return split(a.cells[c], l), nil
		}
	}
	return nil, fmt.Errorf("cube: registry %q has no cube %q", a.schema.Name, cube)
}

func split(cells []int64, l *Layout) [][]int64 {
	out := make([][]int64, l.Ciphertexts)
	for i := range out {
		out[i] = make([]int64, l.Slots)
		copy(out[i], cells[min(i*l.Slots, len(cells)):])
	}
	return out
}

// Encrypt encrypts every cube (all its ciphertexts, all-zero ones included,
// so that a delta's shape reveals nothing but the registry) under the
// collective public key pk. Cell values are reduced mod T: negative ones
// (a batch that removes more than it adds to a cell) are fine.
func (a *Accumulator) Encrypt(params thhe.Params, pk *rlwe.PublicKey) (*Delta, error) {
	if params.Slots() != a.layouts[0].Slots {
		return nil, fmt.Errorf("cube: parameters have %d slots, the layout %d: %w", params.Slots(), a.layouts[0].Slots, ErrMismatch)
	}
	d := &Delta{params: params, registry: a.schema.Name, layouts: a.layouts, id: a.id}
	t := int64(thhe.PlaintextModulus)
	vals := make([]int64, params.Slots())
	for c, l := range a.layouts {
		cts := make([]*rlwe.Ciphertext, l.Ciphertexts)
		for i := range cts {
			clear(vals)
			for j, v := range a.cells[c][min(i*l.Slots, l.Size):min((i+1)*l.Slots, l.Size)] {
				v %= t
				if v > thhe.MaxSlotValue {
					v -= t
				} else if v < -thhe.MaxSlotValue {
					v += t
				}
				vals[j] = v
			}
			ct, err := thhe.Encrypt(params, pk, vals)
			if err != nil {
				return nil, fmt.Errorf("cube: encrypt cube %s: %w", l.Cube, err)
			}
			cts[i] = ct
		}
		d.cubes = append(d.cubes, cts)
	}
	if err := d.encode(); err != nil {
		return nil, err
	}
	return d, nil
}
