package cube

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/thhe"
)

// MaxFolds is how many deltas a State accepts. The noise of a folded
// ciphertext grows with every delta; the flooding noise of the key switch
// (thhe.DefaultFloodBound) is sized for results computed from at most this
// many (doc.go, "Noise").
const MaxFolds = 1 << 20

// Delta is one batch's encrypted contribution to every cube of a registry:
// what a custodian sends and signs. It is made by Accumulator.Encrypt or
// DecodeDelta only, and holds its canonical encoding.
type Delta struct {
	params   thhe.Params
	registry string
	layouts  []*Layout
	id       [8]byte
	cubes    [][]*rlwe.Ciphertext
	enc      []byte
}

// Registry names the delta's registry.
func (d *Delta) Registry() string { return d.registry }

// MarshalBinary returns the delta's canonical encoding.
func (d *Delta) MarshalBinary() ([]byte, error) { return bytes.Clone(d.enc), nil }

// Digest is SHA-256 (domain-separated) of the canonical encoding: what the
// custodian signs and nodes log.
func (d *Delta) Digest() [32]byte {
	h := sha256.New()
	h.Write([]byte("embassy/cube/delta/v1\x00"))
	h.Write(d.enc)
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

func (d *Delta) encode() error {
	b, err := encodeCubes(d.params, kindDelta, d.registry, d.id, 0, d.layouts, d.cubes)
	d.enc = b
	return err
}

// DecodeDelta decodes a delta for registry s under params. It refuses
// (ErrMalformed, ErrMismatch) bytes made for another registry, schema
// version or parameter set, with the wrong cubes or ciphertext counts, or
// with ciphertexts of the wrong shape, level or scale. It never panics.
func DecodeDelta(params thhe.Params, s registry.Schema, data []byte) (*Delta, error) {
	ls, err := NewLayouts(s, params.Slots())
	if err != nil {
		return nil, err
	}
	id := ls[0].set
	_, cubes, err := decodeCubes(params, kindDelta, s.Name, id, ls, data)
	if err != nil {
		return nil, err
	}
	return &Delta{params: params, registry: s.Name, layouts: ls, id: id, cubes: cubes, enc: bytes.Clone(data)}, nil
}

// State is a node's folded sum of deltas for one registry: per cube, the
// encrypted cells of every record ingested so far. Folding is addition mod
// q, which commutes: nodes that folded the same set of deltas, in any
// order, hold byte-identical states. A State is not safe for concurrent
// use.
type State struct {
	params   thhe.Params
	registry string
	layouts  []*Layout
	id       [8]byte
	folds    uint64
	cubes    [][]*rlwe.Ciphertext
}

// NewState returns the empty state (every cube an encryption of zero) for
// registry s under params.
func NewState(params thhe.Params, s registry.Schema) (*State, error) {
	ls, err := NewLayouts(s, params.Slots())
	if err != nil {
		return nil, err
	}
	st := &State{params: params, registry: s.Name, layouts: ls, id: ls[0].set}
	for _, l := range ls {
		cts := make([]*rlwe.Ciphertext, l.Ciphertexts)
		for i := range cts {
			if cts[i], err = thhe.ZeroCiphertext(params, params.MaxLevel()); err != nil {
				return nil, err
			}
		}
		st.cubes = append(st.cubes, cts)
	}
	return st, nil
}

// Folds is the number of deltas folded in.
func (st *State) Folds() uint64 { return st.folds }

// Layouts returns the layouts of the state's cubes (shared; do not modify).
func (st *State) Layouts() []*Layout { return st.layouts }

// Cube returns the layout and the ciphertexts of the named cube. The
// ciphertexts are the state's own: read them, do not modify them.
func (st *State) Cube(name string) (*Layout, []*rlwe.Ciphertext, error) {
	for i, l := range st.layouts {
		if l.Cube == name {
			return l, slices.Clone(st.cubes[i]), nil
		}
	}
	return nil, nil, fmt.Errorf("cube: registry %q has no cube %q: %w", st.registry, name, ErrInvalidPlan)
}

// Fold adds a delta to the state. It refuses a delta of another registry,
// schema version or parameter set (ErrMismatch), and more than MaxFolds
// deltas (ErrTooManyFolds).
func (st *State) Fold(d *Delta) error {
	if d == nil {
		return fmt.Errorf("cube: nil delta")
	}
	if d.registry != st.registry || d.id != st.id || d.params.ID() != st.params.ID() {
		return fmt.Errorf("cube: delta for %q does not fit the state of %q: %w", d.registry, st.registry, ErrMismatch)
	}
	if st.folds >= MaxFolds {
		return fmt.Errorf("cube: %d deltas folded already: %w", st.folds, ErrTooManyFolds)
	}
	rq := st.params.RingQ().AtLevel(st.params.MaxLevel())
	for c := range st.cubes {
		for i, ct := range st.cubes[c] {
			dct := d.cubes[c][i]
			for k := range ct.Value {
				rq.Add(ct.Value[k], dct.Value[k], ct.Value[k])
			}
		}
	}
	st.folds++
	return nil
}

// MarshalBinary encodes the state (for persistence).
func (st *State) MarshalBinary() ([]byte, error) {
	return encodeCubes(st.params, kindState, st.registry, st.id, st.folds, st.layouts, st.cubes)
}

// DecodeState decodes what State.MarshalBinary produced, with the checks of
// DecodeDelta. It never panics.
func DecodeState(params thhe.Params, s registry.Schema, data []byte) (*State, error) {
	ls, err := NewLayouts(s, params.Slots())
	if err != nil {
		return nil, err
	}
	id := ls[0].set
	folds, cubes, err := decodeCubes(params, kindState, s.Name, id, ls, data)
	if err != nil {
		return nil, err
	}
	if folds > MaxFolds {
		return nil, fmt.Errorf("cube: state with %d folds, at most %d: %w", folds, MaxFolds, ErrMalformed)
	}
	return &State{params: params, registry: s.Name, layouts: ls, id: id, folds: folds, cubes: cubes}, nil
}

// Wire format (integers big-endian):
//
//	"ECUB" | version=1 | kind (1 delta, 2 state) | params ID (8) |
//	layouts ID (8) | registry (u8 length, bytes) | folds (u64, state only) |
//	cube count (u8) | per cube: name (u8 length, bytes), ciphertext count
//	(u16), per ciphertext: length (u32), thhe.EncodeCiphertext bytes
//
// Every ciphertext is at the top level with the default scale. The decoder
// derives every count and length from the schema and the parameters and
// compares; nothing read from the input sizes an allocation.
const (
	wireVersion byte = 1
	kindDelta   byte = 1
	kindState   byte = 2
)

func encodeCubes(params thhe.Params, kind byte, reg string, id [8]byte, folds uint64, ls []*Layout, cubes [][]*rlwe.Ciphertext) ([]byte, error) {
	if len(reg) > 255 || len(ls) > 255 {
		return nil, fmt.Errorf("cube: registry name or cube count too long to encode")
	}
	b := append([]byte("ECUB"), wireVersion, kind)
	pid := params.ID()
	b = append(b, pid[:]...)
	b = append(b, id[:]...)
	b = append(b, byte(len(reg)))
	b = append(b, reg...)
	if kind == kindState {
		b = binary.BigEndian.AppendUint64(b, folds)
	}
	b = append(b, byte(len(ls)))
	for c, l := range ls {
		if len(l.Cube) > 255 || len(cubes[c]) > 65535 {
			return nil, fmt.Errorf("cube: cube %q too large to encode", l.Cube)
		}
		b = append(b, byte(len(l.Cube)))
		b = append(b, l.Cube...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(cubes[c])))
		for _, ct := range cubes[c] {
			e, err := thhe.EncodeCiphertext(params, ct)
			if err != nil {
				return nil, fmt.Errorf("cube: cube %s: %w", l.Cube, err)
			}
			b = binary.BigEndian.AppendUint32(b, uint32(len(e)))
			b = append(b, e...)
		}
	}
	return b, nil
}

type reader struct{ b []byte }

func (r *reader) take(n int) ([]byte, error) {
	if n < 0 || len(r.b) < n {
		return nil, fmt.Errorf("truncated")
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out, nil
}

func (r *reader) str() (string, error) {
	n, err := r.take(1)
	if err != nil {
		return "", err
	}
	s, err := r.take(int(n[0]))
	return string(s), err
}

func decodeCubes(params thhe.Params, kind byte, reg string, id [8]byte, ls []*Layout, data []byte) (folds uint64, cubes [][]*rlwe.Ciphertext, err error) {
	r := &reader{data}
	malformed := func(format string, args ...any) error {
		return fmt.Errorf("cube: %s: %w", fmt.Sprintf(format, args...), ErrMalformed)
	}
	head, err := r.take(22)
	if err != nil {
		return 0, nil, malformed("header: %v", err)
	}
	if string(head[:4]) != "ECUB" || head[4] != wireVersion || head[5] != kind {
		return 0, nil, malformed("not a version-%d cube encoding of kind %d", wireVersion, kind)
	}
	pid := params.ID()
	if !bytes.Equal(head[6:14], pid[:]) {
		return 0, nil, fmt.Errorf("cube: encoding made under other parameters: %w", ErrMismatch)
	}
	gotReg, err := r.str()
	if err != nil {
		return 0, nil, malformed("registry name: %v", err)
	}
	if gotReg != reg {
		return 0, nil, fmt.Errorf("cube: encoding for registry %q, want %q: %w", gotReg, reg, ErrMismatch)
	}
	if !bytes.Equal(head[14:22], id[:]) {
		return 0, nil, fmt.Errorf("cube: encoding made for another version of the %q cubes: %w", reg, ErrMismatch)
	}
	if kind == kindState {
		f, err := r.take(8)
		if err != nil {
			return 0, nil, malformed("folds: %v", err)
		}
		folds = binary.BigEndian.Uint64(f)
	}
	n, err := r.take(1)
	if err != nil {
		return 0, nil, malformed("cube count: %v", err)
	}
	if int(n[0]) != len(ls) {
		return 0, nil, malformed("%d cubes, registry %q has %d", n[0], reg, len(ls))
	}
	ctLen := 14 + 1 + 8 + 2*(params.MaxLevel()+1)*params.N()*8
	for _, l := range ls {
		name, err := r.str()
		if err != nil {
			return 0, nil, malformed("cube name: %v", err)
		}
		if name != l.Cube {
			return 0, nil, malformed("cube %q where %q belongs", name, l.Cube)
		}
		cnt, err := r.take(2)
		if err != nil {
			return 0, nil, malformed("cube %s: %v", name, err)
		}
		if got := int(binary.BigEndian.Uint16(cnt)); got != l.Ciphertexts {
			return 0, nil, malformed("cube %s has %d ciphertexts, want %d", name, got, l.Ciphertexts)
		}
		cts := make([]*rlwe.Ciphertext, l.Ciphertexts)
		for i := range cts {
			nb, err := r.take(4)
			if err != nil {
				return 0, nil, malformed("cube %s ciphertext %d: %v", name, i, err)
			}
			if got := binary.BigEndian.Uint32(nb); int64(got) != int64(ctLen) {
				return 0, nil, malformed("cube %s ciphertext %d has %d bytes, want %d", name, i, got, ctLen)
			}
			b, err := r.take(ctLen)
			if err != nil {
				return 0, nil, malformed("cube %s ciphertext %d: %v", name, i, err)
			}
			ct, err := thhe.DecodeCiphertext(params, b)
			if err != nil {
				return 0, nil, malformed("cube %s ciphertext %d: %v", name, i, err)
			}
			if ct.Level() != params.MaxLevel() || ct.Scale.Cmp(params.DefaultScale()) != 0 {
				return 0, nil, malformed("cube %s ciphertext %d: level %d or scale not those of a fresh encryption", name, i, ct.Level())
			}
			cts[i] = ct
		}
		cubes = append(cubes, cts)
	}
	if len(r.b) != 0 {
		return 0, nil, malformed("%d trailing bytes", len(r.b))
	}
	return folds, cubes, nil
}
