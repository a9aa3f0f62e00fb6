package thhe

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/multiparty"
	"github.com/tuneinsight/lattigo/v6/ring"
	"github.com/tuneinsight/lattigo/v6/ring/ringqp"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"
)

// Wire format of every share (all integers big-endian except coefficients):
//
//	"THHE" | version=1 | kind | params ID (8) | from (2) | set size (1) |
//	set members (2 each) | kind-specific header | coefficients
//
// The coefficients are the RNS limbs of the share's polynomials in a fixed
// order, each coefficient a little-endian uint64 reduced mod its prime. The
// shape (how many polynomials, limbs and coefficients) is never read from
// the input: the decoder derives it from the Group's parameters and the
// header, checks the exact length, and only then allocates. Lattigo's own
// decoders read lengths from the input and allocate them, so garbage can
// make them panic or exhaust memory; they are not used for shares.

const wireVersion = 1

const (
	kindThreshold byte = 1 + iota
	kindCKG
	kindRKG
	kindGKG
	kindKeySwitch
)

var errShort = errors.New("thhe: truncated share")

// limbs lists the coefficient rows of a share with the prime of each row.
type limbs struct {
	rows   [][]uint64
	moduli []uint64
}

func (l *limbs) poly(p ring.Poly, moduli []uint64) {
	for k, row := range p.Coeffs {
		l.rows = append(l.rows, row)
		l.moduli = append(l.moduli, moduli[k])
	}
}

func (l *limbs) qp(params Params, p ringqp.Poly) {
	l.poly(p.Q, params.Q())
	l.poly(p.P, params.P())
}

func (l *limbs) gadget(params Params, g rlwe.GadgetCiphertext) {
	for i := range g.Value {
		for j := range g.Value[i] {
			for k := range g.Value[i][j] {
				l.qp(params, g.Value[i][j][k])
			}
		}
	}
}

func (l *limbs) size() int {
	n := 0
	for _, r := range l.rows {
		n += 8 * len(r)
	}
	return n
}

func (l *limbs) put(b []byte) []byte {
	for i, row := range l.rows {
		q := l.moduli[i]
		for _, c := range row {
			b = binary.LittleEndian.AppendUint64(b, c%q)
		}
	}
	return b
}

func (l *limbs) get(b []byte) error {
	if len(b) != l.size() {
		return fmt.Errorf("thhe: share payload has %d bytes, want %d", len(b), l.size())
	}
	off := 0
	for i, row := range l.rows {
		q := l.moduli[i]
		for j := range row {
			row[j] = binary.LittleEndian.Uint64(b[off:]) % q
			off += 8
		}
	}
	return nil
}

// header encoding

func putHeader(params Params, kind byte, from int, set ActiveSet) []byte {
	b := append([]byte("THHE"), wireVersion, kind)
	id := params.ID()
	b = append(b, id[:]...)
	b = binary.BigEndian.AppendUint16(b, uint16(from))
	b = append(b, byte(len(set)))
	for _, m := range set {
		b = binary.BigEndian.AppendUint16(b, uint16(m))
	}
	return b
}

type reader struct{ b []byte }

func (r *reader) take(n int) ([]byte, error) {
	if n < 0 || len(r.b) < n {
		return nil, errShort
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out, nil
}

func (r *reader) u8() (int, error) {
	b, err := r.take(1)
	if err != nil {
		return 0, err
	}
	return int(b[0]), nil
}

func (r *reader) u16() (int, error) {
	b, err := r.take(2)
	if err != nil {
		return 0, err
	}
	return int(binary.BigEndian.Uint16(b)), nil
}

func (r *reader) u64() (uint64, error) {
	b, err := r.take(8)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint64(b), nil
}

func (r *reader) b32() (out [32]byte, err error) {
	b, err := r.take(32)
	if err == nil {
		copy(out[:], b)
	}
	return out, err
}

// getHeader reads and checks the common header. A share with an empty set
// is only valid for kindThreshold; from == 0 only for an RKG aggregate.
func getHeader(g Group, kind byte, data []byte) (from int, set ActiveSet, r *reader, err error) {
	r = &reader{data}
	pre, err := r.take(6)
	if err != nil {
		return 0, nil, nil, err
	}
	if string(pre[:4]) != "THHE" || pre[4] != wireVersion || pre[5] != kind {
		return 0, nil, nil, fmt.Errorf("thhe: not a version-%d share of kind %d", wireVersion, kind)
	}
	id, err := r.take(8)
	if err != nil {
		return 0, nil, nil, err
	}
	if want := g.Params.ID(); string(id) != string(want[:]) {
		return 0, nil, nil, fmt.Errorf("thhe: share made under other parameters: %w", ErrMismatch)
	}
	if from, err = r.u16(); err != nil {
		return 0, nil, nil, err
	}
	if from > g.N {
		return 0, nil, nil, fmt.Errorf("thhe: share from party %d of %d", from, g.N)
	}
	n, err := r.u8()
	if err != nil {
		return 0, nil, nil, err
	}
	if n > 0 {
		set = make(ActiveSet, n)
		for i := range set {
			if set[i], err = r.u16(); err != nil {
				return 0, nil, nil, err
			}
		}
		if err := g.checkSet(set); err != nil {
			return 0, nil, nil, err
		}
	}
	switch {
	case kind == kindThreshold:
		if set != nil || from < 1 {
			return 0, nil, nil, fmt.Errorf("thhe: malformed threshold share header")
		}
	case set == nil:
		return 0, nil, nil, fmt.Errorf("thhe: share without an active set")
	case from == 0 && kind != kindRKG:
		return 0, nil, nil, fmt.Errorf("thhe: share from party 0")
	case from != 0 && !set.Contains(from):
		return 0, nil, nil, fmt.Errorf("thhe: share from %d, not in its set %v", from, []int(set))
	}
	return from, set, r, nil
}

func needParams(p *Params) error {
	if p == nil {
		return fmt.Errorf("thhe: share was not made by this package (no parameters)")
	}
	return nil
}

// ---- ThresholdShare ----

// MarshalBinary encodes the share. The encoding is SECRET.
func (s *ThresholdShare) MarshalBinary() ([]byte, error) {
	if err := needParams(s.params); err != nil {
		return nil, err
	}
	var l limbs
	l.qp(*s.params, s.Share.Poly)
	b := putHeader(*s.params, kindThreshold, s.From, nil)
	b = binary.BigEndian.AppendUint16(b, uint16(s.To))
	return l.put(b), nil
}

// DecodeThresholdShare decodes a ThresholdShare made for g.
func (g Group) DecodeThresholdShare(data []byte) (*ThresholdShare, error) {
	from, _, r, err := getHeader(g, kindThreshold, data)
	if err != nil {
		return nil, err
	}
	to, err := r.u16()
	if err != nil {
		return nil, err
	}
	if to < 1 || to > g.N {
		return nil, fmt.Errorf("thhe: threshold share for party %d of %d", to, g.N)
	}
	s := &ThresholdShare{From: from, To: to, params: &g.Params}
	s.Share = multiparty.ShamirSecretShare{Poly: g.Params.RingQP().NewPoly()}
	var l limbs
	l.qp(g.Params, s.Share.Poly)
	if err := l.get(r.b); err != nil {
		return nil, err
	}
	return s, nil
}

// ---- CKGShare ----

// MarshalBinary encodes the share.
func (s *CKGShare) MarshalBinary() ([]byte, error) {
	if err := needParams(s.params); err != nil {
		return nil, err
	}
	var l limbs
	l.qp(*s.params, s.Share.Value)
	b := putHeader(*s.params, kindCKG, s.From, s.Set)
	b = append(b, s.Seed[:]...)
	return l.put(b), nil
}

// DecodeCKGShare decodes a CKGShare made for g.
func (g Group) DecodeCKGShare(data []byte) (*CKGShare, error) {
	from, set, r, err := getHeader(g, kindCKG, data)
	if err != nil {
		return nil, err
	}
	seed, err := r.b32()
	if err != nil {
		return nil, err
	}
	s := &CKGShare{From: from, Set: set, Seed: seed, params: &g.Params}
	s.Share = multiparty.NewPublicKeyGenProtocol(g.Params.Parameters).AllocateShare()
	var l limbs
	l.qp(g.Params, s.Share.Value)
	if err := l.get(r.b); err != nil {
		return nil, err
	}
	return s, nil
}

// ---- RKGShare ----

// MarshalBinary encodes the share (or round-1 aggregate).
func (s *RKGShare) MarshalBinary() ([]byte, error) {
	if err := needParams(s.params); err != nil {
		return nil, err
	}
	if err := checkGadget(*s.params, s.Share.GadgetCiphertext, rkgTemplate(*s.params, s.Round).GadgetCiphertext); err != nil || (s.Round != 1 && s.Round != 2) {
		return nil, fmt.Errorf("thhe: malformed RKG share")
	}
	var l limbs
	l.gadget(*s.params, s.Share.GadgetCiphertext)
	b := putHeader(*s.params, kindRKG, s.From, s.Set)
	b = append(b, byte(s.Round))
	b = append(b, s.Seed[:]...)
	return l.put(b), nil
}

// DecodeRKGShare decodes an RKGShare (or round-1 aggregate) made for g.
func (g Group) DecodeRKGShare(data []byte) (*RKGShare, error) {
	from, set, r, err := getHeader(g, kindRKG, data)
	if err != nil {
		return nil, err
	}
	round, err := r.u8()
	if err != nil {
		return nil, err
	}
	if round != 1 && round != 2 || (from == 0 && round != 1) {
		return nil, fmt.Errorf("thhe: RKG share of round %d from %d", round, from)
	}
	seed, err := r.b32()
	if err != nil {
		return nil, err
	}
	s := &RKGShare{From: from, Round: round, Set: set, Seed: seed, params: &g.Params}
	s.Share = rkgTemplate(g.Params, round)
	var l limbs
	l.gadget(g.Params, s.Share.GadgetCiphertext)
	if err := l.get(r.b); err != nil {
		return nil, err
	}
	return s, nil
}

// ---- GKGShare ----

// MarshalBinary encodes the share.
func (s *GKGShare) MarshalBinary() ([]byte, error) {
	if err := needParams(s.params); err != nil {
		return nil, err
	}
	if err := checkGKGShare(*s.params, s); err != nil {
		return nil, fmt.Errorf("thhe: malformed Galois share: %w", err)
	}
	var l limbs
	l.gadget(*s.params, s.Share.GadgetCiphertext)
	b := putHeader(*s.params, kindGKG, s.From, s.Set)
	b = append(b, s.Seed[:]...)
	b = binary.BigEndian.AppendUint64(b, s.GaloisElement)
	return l.put(b), nil
}

// DecodeGKGShare decodes a GKGShare made for g.
func (g Group) DecodeGKGShare(data []byte) (*GKGShare, error) {
	from, set, r, err := getHeader(g, kindGKG, data)
	if err != nil {
		return nil, err
	}
	seed, err := r.b32()
	if err != nil {
		return nil, err
	}
	el, err := r.u64()
	if err != nil {
		return nil, err
	}
	if err := CheckGaloisElement(g.Params, el); err != nil {
		return nil, err
	}
	s := &GKGShare{From: from, Set: set, Seed: seed, GaloisElement: el, Share: gkgTemplate(g.Params), params: &g.Params}
	s.Share.GaloisElement = el
	var l limbs
	l.gadget(g.Params, s.Share.GadgetCiphertext)
	if err := l.get(r.b); err != nil {
		return nil, err
	}
	return s, nil
}

// ---- KeySwitchShare ----

// MarshalBinary encodes the share.
func (s *KeySwitchShare) MarshalBinary() ([]byte, error) {
	if err := needParams(s.params); err != nil {
		return nil, err
	}
	if len(s.Share.Value) != 2 {
		return nil, fmt.Errorf("thhe: malformed key-switch share")
	}
	level := s.Share.Value[0].Level()
	for _, v := range s.Share.Value {
		if level < 0 || level > s.params.MaxLevel() || checkPoly(s.params.N(), level, v) != nil {
			return nil, fmt.Errorf("thhe: malformed key-switch share")
		}
	}
	var l limbs
	for _, v := range s.Share.Value {
		l.poly(v, s.params.Q())
	}
	b := putHeader(*s.params, kindKeySwitch, s.From, s.Set)
	b = append(b, s.Digest[:]...)
	b = append(b, s.Target[:]...)
	b = append(b, byte(level))
	return l.put(b), nil
}

// DecodeKeySwitchShare decodes a KeySwitchShare made for g.
func (g Group) DecodeKeySwitchShare(data []byte) (*KeySwitchShare, error) {
	from, set, r, err := getHeader(g, kindKeySwitch, data)
	if err != nil {
		return nil, err
	}
	d, err := r.b32()
	if err != nil {
		return nil, err
	}
	target, err := r.b32()
	if err != nil {
		return nil, err
	}
	level, err := r.u8()
	if err != nil {
		return nil, err
	}
	if level > g.Params.MaxLevel() {
		return nil, fmt.Errorf("thhe: key-switch share at level %d", level)
	}
	s := &KeySwitchShare{From: from, Set: set, Digest: d, Target: target, params: &g.Params}
	s.Share = multiparty.PublicKeySwitchShare{Element: *rlwe.NewElement(g.Params.Parameters, 1, level)}
	var l limbs
	for _, v := range s.Share.Value {
		l.poly(v, g.Params.Q())
	}
	if err := l.get(r.b); err != nil {
		return nil, err
	}
	return s, nil
}

// ---- ciphertexts and keys ----
//
// Ciphertexts and public keys travel too (coordinator → nodes, querier →
// nodes) and use the same kind of fixed-shape encoding, not lattigo's.

const (
	kindCiphertext byte = 0x10 + iota
	kindPublicKey
	kindRelinKey
	kindGaloisKey
)

func putObjectHeader(params Params, kind byte) []byte {
	b := append([]byte("THHE"), wireVersion, kind)
	id := params.ID()
	return append(b, id[:]...)
}

func getObjectHeader(params Params, kind byte, data []byte) (*reader, error) {
	r := &reader{data}
	pre, err := r.take(14)
	if err != nil {
		return nil, err
	}
	id := params.ID()
	if string(pre[:4]) != "THHE" || pre[4] != wireVersion || pre[5] != kind {
		return nil, fmt.Errorf("thhe: not a version-%d object of kind %d", wireVersion, kind)
	}
	if string(pre[6:]) != string(id[:]) {
		return nil, fmt.Errorf("thhe: object made under other parameters: %w", ErrMismatch)
	}
	return r, nil
}

// EncodeCiphertext encodes a degree-1 BGV ciphertext canonically
// (coefficients reduced, metadata reduced to level and scale). The
// once-per-ciphertext rule is keyed by a hash of this encoding.
func EncodeCiphertext(params Params, ct *rlwe.Ciphertext) ([]byte, error) {
	if err := checkCiphertext(params, ct); err != nil {
		return nil, err
	}
	if !ct.IsBatched || ct.IsMontgomery || ct.LogDimensions != params.LogMaxDimensions() {
		return nil, fmt.Errorf("thhe: ciphertext metadata is not that of a batched BGV ciphertext")
	}
	scale := ct.Scale.Uint64()
	if scale == 0 || scale >= params.PlaintextModulus() {
		return nil, fmt.Errorf("thhe: ciphertext scale %v is not a unit mod T", ct.Scale.Float64())
	}
	b := putObjectHeader(params, kindCiphertext)
	b = append(b, byte(ct.Level()))
	b = binary.BigEndian.AppendUint64(b, scale)
	var l limbs
	for _, v := range ct.Value {
		l.poly(v, params.Q())
	}
	return l.put(b), nil
}

// DecodeCiphertext decodes what EncodeCiphertext produced.
func DecodeCiphertext(params Params, data []byte) (*rlwe.Ciphertext, error) {
	r, err := getObjectHeader(params, kindCiphertext, data)
	if err != nil {
		return nil, err
	}
	level, err := r.u8()
	if err != nil {
		return nil, err
	}
	if level > params.MaxLevel() {
		return nil, fmt.Errorf("thhe: ciphertext level %d", level)
	}
	scale, err := r.u64()
	if err != nil {
		return nil, err
	}
	if scale == 0 || scale >= params.PlaintextModulus() {
		return nil, fmt.Errorf("thhe: ciphertext scale %d is not a unit mod T", scale)
	}
	if want := 2 * (level + 1) * params.N() * 8; len(r.b) != want {
		return nil, fmt.Errorf("thhe: ciphertext payload has %d bytes, want %d", len(r.b), want)
	}
	ct := bgv.NewCiphertext(params.Parameters, 1, level)
	ct.Scale = rlwe.NewScaleModT(scale, params.PlaintextModulus())
	var l limbs
	for _, v := range ct.Value {
		l.poly(v, params.Q())
	}
	if err := l.get(r.b); err != nil {
		return nil, err
	}
	return ct, nil
}

// EncodePublicKey encodes a public key (the collective key, or a querier's
// key-switch target).
func EncodePublicKey(params Params, pk *rlwe.PublicKey) ([]byte, error) {
	if err := checkPublicKey(params, pk); err != nil {
		return nil, err
	}
	var l limbs
	for _, v := range pk.Value {
		l.qp(params, v)
	}
	return l.put(putObjectHeader(params, kindPublicKey)), nil
}

// DecodePublicKey decodes what EncodePublicKey produced.
func DecodePublicKey(params Params, data []byte) (*rlwe.PublicKey, error) {
	r, err := getObjectHeader(params, kindPublicKey, data)
	if err != nil {
		return nil, err
	}
	if want := 2 * (params.QCount() + params.PCount()) * params.N() * 8; len(r.b) != want {
		return nil, fmt.Errorf("thhe: public key payload has %d bytes, want %d", len(r.b), want)
	}
	pk := rlwe.NewPublicKey(params.Parameters)
	var l limbs
	for _, v := range pk.Value {
		l.qp(params, v)
	}
	if err := l.get(r.b); err != nil {
		return nil, err
	}
	return pk, nil
}

// EncodeRelinKey encodes the collective relinearisation key.
func EncodeRelinKey(params Params, rlk *rlwe.RelinearizationKey) ([]byte, error) {
	if rlk == nil {
		return nil, fmt.Errorf("thhe: nil relinearisation key")
	}
	want := rlwe.NewRelinearizationKey(params.Parameters)
	if err := checkGadget(params, rlk.GadgetCiphertext, want.GadgetCiphertext); err != nil {
		return nil, fmt.Errorf("thhe: relinearisation key: %w", err)
	}
	var l limbs
	l.gadget(params, rlk.GadgetCiphertext)
	return l.put(putObjectHeader(params, kindRelinKey)), nil
}

// DecodeRelinKey decodes what EncodeRelinKey produced.
func DecodeRelinKey(params Params, data []byte) (*rlwe.RelinearizationKey, error) {
	r, err := getObjectHeader(params, kindRelinKey, data)
	if err != nil {
		return nil, err
	}
	rlk := rlwe.NewRelinearizationKey(params.Parameters)
	var l limbs
	l.gadget(params, rlk.GadgetCiphertext)
	if err := l.get(r.b); err != nil {
		return nil, err
	}
	return rlk, nil
}

// EncodeGaloisKey encodes a collective Galois key (its element, then the
// gadget ciphertext).
func EncodeGaloisKey(params Params, gk *rlwe.GaloisKey) ([]byte, error) {
	if gk == nil {
		return nil, fmt.Errorf("thhe: nil Galois key")
	}
	if err := CheckGaloisElement(params, gk.GaloisElement); err != nil {
		return nil, err
	}
	want := rlwe.NewGaloisKey(params.Parameters)
	if gk.NthRoot != want.NthRoot {
		return nil, fmt.Errorf("thhe: Galois key for another ring (2N = %d)", gk.NthRoot)
	}
	if err := checkGadget(params, gk.GadgetCiphertext, want.GadgetCiphertext); err != nil {
		return nil, fmt.Errorf("thhe: Galois key: %w", err)
	}
	var l limbs
	l.gadget(params, gk.GadgetCiphertext)
	b := putObjectHeader(params, kindGaloisKey)
	b = binary.BigEndian.AppendUint64(b, gk.GaloisElement)
	return l.put(b), nil
}

// DecodeGaloisKey decodes what EncodeGaloisKey produced.
func DecodeGaloisKey(params Params, data []byte) (*rlwe.GaloisKey, error) {
	r, err := getObjectHeader(params, kindGaloisKey, data)
	if err != nil {
		return nil, err
	}
	el, err := r.u64()
	if err != nil {
		return nil, err
	}
	if err := CheckGaloisElement(params, el); err != nil {
		return nil, err
	}
	gk := rlwe.NewGaloisKey(params.Parameters)
	gk.GaloisElement = el
	var l limbs
	l.gadget(params, gk.GadgetCiphertext)
	if err := l.get(r.b); err != nil {
		return nil, err
	}
	return gk, nil
}
