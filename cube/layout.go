package cube

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/bits"

	"github.com/dataembassy/embassy/registry"
)

// MaxCubeSlots bounds the padded size of one cube (slots over all its
// ciphertexts), so that a schema cannot make a node allocate without limit.
const MaxCubeSlots = 1 << 22

// AxisKind says what an axis of a cube indexes.
type AxisKind int

// Axis kinds.
const (
	// AxisEntries is the innermost axis of every cube: the row count, then
	// the limbs of every measure of the registry (Layout.Entries).
	AxisEntries AxisKind = iota + 1
	// AxisDimension indexes the buckets of a dimension
	// (registry.Dimension.Buckets).
	AxisDimension
	// AxisBins indexes the bins of a binned measure (registry.Measure.Edges).
	AxisBins
)

// Axis is one axis of a cube's slot layout.
type Axis struct {
	Name   string // dimension or measure name; "" for the entries axis
	Kind   AxisKind
	Labels []string // per coordinate: bucket labels, bin labels ("[10,50)"), or entry names ("count", "area_m2#0")
	Size   int      // real coordinates: entries, buckets or bins
	Padded int      // Size rounded up to a power of two
	Stride int      // slot index step of one coordinate
}

// shift is log2(Stride).
func (a Axis) shift() int { return bits.TrailingZeros(uint(a.Stride)) }

// coord returns the axis coordinate of global slot index p.
func (a Axis) coord(p int) int { return (p >> a.shift()) & (a.Padded - 1) }

// Entry is one coordinate of the entries axis.
type Entry struct {
	Measure string // "" for the row count
	Limb    int    // limb of the measure, 0 = least significant LimbBits bits
}

// Layout places the cells of one cube in ciphertext slots. The axes are
// listed innermost first: Axes[0] is the entries axis, then the cube's axes
// in declared order. A cell's global slot index is Σ coordinate·stride; it
// lives in ciphertext index/Slots, slot index%Slots.
type Layout struct {
	Registry    string
	Cube        string
	Slots       int // slots per ciphertext (N)
	Axes        []Axis
	Entries     []Entry
	Size        int // padded cells: the product of all Axes[i].Padded
	Ciphertexts int // ceil(Size / Slots)

	set [8]byte // fingerprint of all layouts of the registry (layoutsID)
}

// NewLayouts returns the layout of every cube of s, in declared order, for
// ciphertexts of slots slots (a power of two ≥ 4).
func NewLayouts(s registry.Schema, slots int) ([]*Layout, error) {
	if slots < 4 || bits.OnesCount(uint(slots)) != 1 {
		return nil, fmt.Errorf("cube: %d slots per ciphertext, want a power of two ≥ 4", slots)
	}
	st := s.Statistics
	if st == nil || len(st.Cubes) == 0 {
		return nil, fmt.Errorf("cube: registry %q declares no cubes", s.Name)
	}
	entries := []Entry{{}}
	for _, m := range st.Measures {
		for l := range m.Limbs() {
			entries = append(entries, Entry{Measure: m.Name, Limb: l})
		}
	}
	out := make([]*Layout, 0, len(st.Cubes))
	for _, c := range st.Cubes {
		l := &Layout{Registry: s.Name, Cube: c.Name, Slots: slots, Entries: entries}
		axes := []Axis{{Kind: AxisEntries, Labels: entryLabels(entries), Size: len(entries)}}
		for _, name := range c.Axes {
			if d, ok := st.Dimension(name); ok {
				if f := s.FieldIndex(d.Field); f < 0 {
					return nil, fmt.Errorf("cube: dimension %q: no field %q", name, d.Field)
				}
				b := d.Buckets(s)
				axes = append(axes, Axis{Name: name, Kind: AxisDimension, Labels: b, Size: len(b)})
				continue
			}
			m, ok := st.Measure(name)
			if !ok || len(m.Edges) == 0 {
				return nil, fmt.Errorf("cube: cube %q: axis %q is neither a dimension nor a binned measure", c.Name, name)
			}
			axes = append(axes, Axis{Name: name, Kind: AxisBins, Labels: m.BinLabels(), Size: len(m.Edges)})
		}
		size := 1
		for i := range axes {
			if axes[i].Size < 1 {
				return nil, fmt.Errorf("cube: cube %q: axis %q is empty", c.Name, axes[i].Name)
			}
			axes[i].Padded = 1 << bits.Len(uint(axes[i].Size-1))
			axes[i].Stride = size
			if size > MaxCubeSlots/axes[i].Padded {
				return nil, fmt.Errorf("cube: cube %q has more than %d padded cells", c.Name, MaxCubeSlots)
			}
			size *= axes[i].Padded
		}
		l.Axes, l.Size = axes, size
		l.Ciphertexts = (size + slots - 1) / slots
		out = append(out, l)
	}
	id := layoutsID(s, out)
	for _, l := range out {
		l.set = id
	}
	return out, nil
}

func entryLabels(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = "count"
		if e.Measure != "" {
			out[i] = fmt.Sprintf("%s#%d", e.Measure, e.Limb)
		}
	}
	return out
}

// axis returns the index of the named axis (not the entries axis), or -1.
func (l *Layout) axis(name string) int {
	for i := 1; i < len(l.Axes); i++ {
		if l.Axes[i].Name == name {
			return i
		}
	}
	return -1
}

// entry returns the entries-axis coordinate of limb of measure m, or -1.
func (l *Layout) entry(m string, limb int) int {
	for i, e := range l.Entries {
		if e.Measure == m && e.Limb == limb {
			return i
		}
	}
	return -1
}

// limbs returns how many limbs measure m has in the layout.
func (l *Layout) limbs(m string) int {
	n := 0
	for _, e := range l.Entries {
		if e.Measure == m {
			n++
		}
	}
	return n
}

// layoutsID fingerprints a registry's layouts (names, shapes, labels and
// so bin edges, slots): it
// is carried in every delta and state so that bytes made for another
// schema version are refused instead of being added to the wrong cells.
func layoutsID(s registry.Schema, ls []*Layout) [8]byte {
	h := sha256.New()
	h.Write([]byte("embassy/cube/layout/v1\x00"))
	// Statistics is plain data: marshalling cannot fail (and an error
	// would only make the fingerprint differ).
	stats, _ := json.Marshal(s.Statistics)
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(stats))))
	h.Write(stats)
	str := func(s string) {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(s))))
		h.Write([]byte(s))
	}
	num := func(n int) { h.Write(binary.BigEndian.AppendUint64(nil, uint64(n))) }
	num(len(ls))
	for _, l := range ls {
		str(l.Registry)
		str(l.Cube)
		num(l.Slots)
		num(len(l.Axes))
		for _, a := range l.Axes {
			str(a.Name)
			num(int(a.Kind))
			num(a.Size)
			for _, lb := range a.Labels {
				str(lb)
			}
		}
		num(len(l.Entries))
		for _, e := range l.Entries {
			str(e.Measure)
			num(e.Limb)
		}
	}
	var id [8]byte
	copy(id[:], h.Sum(nil))
	return id
}
