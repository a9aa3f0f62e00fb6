package shares

import (
	"bytes"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
)

var (
	// ErrThresholdNotMet means fewer than t usable shares were supplied.
	ErrThresholdNotMet = errors.New("threshold not met")
	// ErrInvalidShare means malformed share bytes, an index out of range,
	// mismatched lengths, conflicting duplicates, or a reconstruction whose
	// framing does not decode (which is what inconsistent shares produce).
	ErrInvalidShare = errors.New("invalid share")
	// ErrInvalidParams means t < 1, t > n, n > MaxNodes, a nil random
	// source, an oversized secret, and the like.
	ErrInvalidParams = errors.New("invalid parameters")
)

const (
	// MaxNodes is the largest number of shares (the evaluation points are
	// 1..MaxNodes and an index is encoded in one byte).
	MaxNodes = 255
	// ElementBytes is how many secret bytes are packed into one field element.
	ElementBytes = 7
	// ShareElementBytes is the encoded size of one field element in Share.Data.
	ShareElementBytes = 8
	// PadBytes is the framing granularity: the framed secret (4-byte length
	// prefix + secret + zero padding) is a multiple of PadBytes, so a share's
	// size only reveals the secret length rounded up to 56 bytes.
	PadBytes = 56
	// elementsPerPad is the number of field elements in one PadBytes block.
	elementsPerPad = PadBytes / ElementBytes
	// MaxSecretLen bounds the secret accepted by Split.
	MaxSecretLen = 1 << 30
	// lenPrefix is the size of the length prefix in the framed secret.
	lenPrefix = 4
	// low56 masks the 7 bytes of an element.
	low56 = 1<<56 - 1
)

// Params are the sharing parameters: any Threshold of the Nodes shares
// reconstruct, fewer learn nothing.
type Params struct {
	Threshold, Nodes int
}

// Validate checks 1 <= Threshold <= Nodes <= MaxNodes.
func (p Params) Validate() error {
	switch {
	case p.Threshold < 1:
		return fmt.Errorf("%w: threshold %d < 1", ErrInvalidParams, p.Threshold)
	case p.Nodes < p.Threshold:
		return fmt.Errorf("%w: threshold %d > nodes %d", ErrInvalidParams, p.Threshold, p.Nodes)
	case p.Nodes > MaxNodes:
		return fmt.Errorf("%w: nodes %d > %d", ErrInvalidParams, p.Nodes, MaxNodes)
	}
	return nil
}

// Share is one node's share of a secret.
type Share struct {
	// Index is the evaluation point, 1..n (1..MaxNodes).
	Index int
	// Data holds the share's field elements, 8 bytes each, little-endian,
	// each < Prime. Its length is SharedSize(len(secret)).
	Data []byte
}

// Validate checks that the share is well-formed: index in 1..MaxNodes, data a
// non-empty whole number of padding blocks, every element < Prime.
func (s Share) Validate() error {
	if s.Index < 1 || s.Index > MaxNodes {
		return fmt.Errorf("%w: index %d out of range 1..%d", ErrInvalidShare, s.Index, MaxNodes)
	}
	if len(s.Data) == 0 || len(s.Data)%(elementsPerPad*ShareElementBytes) != 0 {
		return fmt.Errorf("%w: data length %d is not a positive multiple of %d", ErrInvalidShare, len(s.Data), elementsPerPad*ShareElementBytes)
	}
	for k := 0; k < len(s.Data); k += ShareElementBytes {
		if binary.LittleEndian.Uint64(s.Data[k:]) >= Prime {
			return fmt.Errorf("%w: element %d not reduced", ErrInvalidShare, k/ShareElementBytes)
		}
	}
	return nil
}

// MarshalBinary encodes the share as one index byte followed by Data.
func (s Share) MarshalBinary() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	out := make([]byte, 1+len(s.Data))
	out[0] = byte(s.Index)
	copy(out[1:], s.Data)
	return out, nil
}

// UnmarshalBinary decodes a share encoded by MarshalBinary. Data is copied.
func (s *Share) UnmarshalBinary(b []byte) error {
	d, err := DecodeShare(b)
	if err != nil {
		return err
	}
	*s = d
	return nil
}

// DecodeShare decodes and validates a share encoded by Share.MarshalBinary.
// The returned Data does not alias b.
func DecodeShare(b []byte) (Share, error) {
	if len(b) < 1 {
		return Share{}, fmt.Errorf("%w: empty encoding", ErrInvalidShare)
	}
	s := Share{Index: int(b[0]), Data: b[1:]}
	if err := s.Validate(); err != nil {
		return Share{}, err
	}
	s.Data = bytes.Clone(s.Data)
	return s, nil
}

// elementCount is the number of field elements for a secret of length n.
func elementCount(n int) int {
	blocks := (n + lenPrefix + PadBytes - 1) / PadBytes
	return blocks * elementsPerPad
}

// SharedSize returns the length of one share's Data for a secret of secretLen
// bytes: the framed size (4 + secretLen rounded up to PadBytes) / 7 * 8.
// It returns 0 for a negative or oversized length.
func SharedSize(secretLen int) int {
	if secretLen < 0 || secretLen > MaxSecretLen {
		return 0
	}
	return elementCount(secretLen) * ShareElementBytes
}

// Dealer splits secrets into shares.
//
// Randomness: every polynomial coefficient is drawn uniformly from [0, p)
// by rejection sampling 61-bit outputs of a ChaCha8 generator
// (math/rand/v2.ChaCha8, a cryptographically secure PRNG with forward
// secrecy) keyed with 32 bytes from crypto/rand (NewDealer) or from the
// supplied reader (NewDealerWithRand). The coefficients are therefore
// computationally indistinguishable from uniform, which is what makes fewer
// than t shares independent of the secret.
//
// A Dealer is NOT safe for concurrent use: use one Dealer per goroutine
// (they are cheap to create).
type Dealer struct {
	params Params
	rng    *rand.ChaCha8
	coef   []uint64 // scratch: polynomial coefficients
	frame  []byte
}

// NewDealer returns a Dealer for p whose generator is seeded from crypto/rand.
func NewDealer(p Params) (*Dealer, error) {
	return NewDealerWithRand(p, crand.Reader)
}

// NewDealerWithRand returns a Dealer for p whose generator is seeded with 32
// bytes read from r. With a fixed reader the output is deterministic, which
// is only meant for tests; r must be a secure source in production.
func NewDealerWithRand(p Params, r io.Reader) (*Dealer, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, fmt.Errorf("%w: nil random source", ErrInvalidParams)
	}
	var seed [32]byte
	if _, err := io.ReadFull(r, seed[:]); err != nil {
		return nil, fmt.Errorf("shares: seeding dealer: %w", err)
	}
	d := &Dealer{
		params: p,
		rng:    rand.NewChaCha8(seed),
	}
	clear(seed[:])
	return d, nil
}

// Params returns the dealer's parameters.
func (d *Dealer) Params() Params { return d.params }

// element returns a uniform field element.
func (d *Dealer) element() uint64 {
	for {
		// 61 uniform bits are uniform on [0, 2^61) = [0, p]; reject p.
		if v := d.rng.Uint64() >> 3; v != Prime {
			return v
		}
	}
}

// Split frames secret and splits it into n shares with indices 1..n, any t
// of which reconstruct it. The shares' Data share one backing array.
func (d *Dealer) Split(secret []byte) ([]Share, error) {
	if len(secret) > MaxSecretLen {
		return nil, fmt.Errorf("%w: secret of %d bytes exceeds %d", ErrInvalidParams, len(secret), MaxSecretLen)
	}
	n, t := d.params.Nodes, d.params.Threshold
	m := elementCount(len(secret))
	size := m * ShareElementBytes
	buf := make([]byte, n*size)
	out := make([]Share, n)
	for i := range out {
		out[i] = Share{Index: i + 1, Data: buf[i*size : (i+1)*size : (i+1)*size]}
	}

	// Frame: len32 || secret || zeros, plus one slack byte so that every
	// 7-byte element can be loaded with a single 8-byte read.
	fl := m*ElementBytes + 1
	if cap(d.frame) < fl {
		d.frame = make([]byte, fl)
	}
	fr := d.frame[:fl]
	binary.LittleEndian.PutUint32(fr, uint32(len(secret)))
	copy(fr[lenPrefix:], secret)
	clear(fr[lenPrefix+len(secret):])

	// Polynomial k has coefficients poly[k*t : k*t+t]: the secret element
	// first, then t−1 uniform ones.
	if cap(d.coef) < m*t {
		d.coef = make([]uint64, m*t)
	}
	poly := d.coef[:m*t]
	for k := range m {
		p := poly[k*t : k*t+t]
		p[0] = binary.LittleEndian.Uint64(fr[k*ElementBytes:]) & low56
		for j := 1; j < len(p); j++ {
			p[j] = d.element()
		}
	}
	for i := range n {
		x := uint64(i + 1)
		data := out[i].Data[:m*ShareElementBytes]
		for k := range m {
			p := poly[k*t : k*t+t]
			// Horner with lazy reduction: y stays below 2^62 + 2^11.
			y := p[len(p)-1]
			for j := len(p) - 2; j >= 0; j-- {
				y = mulSmallLazy(y, x) + p[j]
			}
			binary.LittleEndian.PutUint64(data[k*ShareElementBytes:], canon(y))
		}
	}
	clear(fr)
	clear(poly)
	return out, nil
}

// Combiner reconstructs secrets from shares held at a fixed set of indices,
// with the Lagrange coefficients precomputed. It is immutable and safe for
// concurrent use.
type Combiner struct {
	indices []int
	lambda  []uint64
}

// NewCombiner precomputes the Lagrange coefficients at 0 for the given
// distinct indices (each 1..MaxNodes). The number of indices is the
// threshold t the shares were made with (using more than t is also
// correct; fewer yields garbage that decoding almost always rejects).
func NewCombiner(indices []int) (*Combiner, error) {
	if len(indices) == 0 {
		return nil, fmt.Errorf("%w: no indices", ErrInvalidParams)
	}
	if len(indices) > MaxNodes {
		return nil, fmt.Errorf("%w: %d indices > %d", ErrInvalidParams, len(indices), MaxNodes)
	}
	var seen [MaxNodes + 1]bool
	for _, x := range indices {
		if x < 1 || x > MaxNodes {
			return nil, fmt.Errorf("%w: index %d out of range 1..%d", ErrInvalidShare, x, MaxNodes)
		}
		if seen[x] {
			return nil, fmt.Errorf("%w: duplicate index %d", ErrInvalidShare, x)
		}
		seen[x] = true
	}
	c := &Combiner{indices: append([]int(nil), indices...), lambda: make([]uint64, len(indices))}
	lagrangeAtZero(c.indices, c.lambda)
	return c, nil
}

// invSmall[d] is the inverse of d mod p for 1 <= d <= MaxNodes, by the
// recurrence inv(d) = −⌊p/d⌋ · inv(p mod d).
var invSmall = func() (inv [MaxNodes + 1]uint64) {
	inv[1] = 1
	for d := uint64(2); d <= MaxNodes; d++ {
		inv[d] = fsub(0, fmul(Prime/d, inv[Prime%d]))
	}
	return inv
}()

// lagrangeAtZero sets lambda[i] = Π_{j≠i} x_j / (x_j − x_i) for distinct
// indices x in 1..MaxNodes, so that f(0) = Σ lambda[i]·f(x_i) for any
// polynomial f of degree < len(x).
func lagrangeAtZero(x []int, lambda []uint64) {
	for i, xi := range x {
		l := uint64(1)
		for j, xj := range x {
			if i == j {
				continue
			}
			inv := invSmall[abs(xj-xi)]
			if xj < xi {
				inv = Prime - inv
			}
			l = fmul(l, fmul(uint64(xj), inv))
		}
		lambda[i] = l
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// Indices returns a copy of the combiner's indices.
func (c *Combiner) Indices() []int { return append([]int(nil), c.indices...) }

// Combine reconstructs the secret from shares, which must be for exactly c's
// indices in the same order and of equal, well-formed length.
func (c *Combiner) Combine(shares []Share) ([]byte, error) {
	if len(shares) < len(c.indices) {
		return nil, fmt.Errorf("%w: %d shares for %d indices", ErrThresholdNotMet, len(shares), len(c.indices))
	}
	if len(shares) > len(c.indices) {
		return nil, fmt.Errorf("%w: %d shares for %d indices", ErrInvalidShare, len(shares), len(c.indices))
	}
	for i, s := range shares {
		if s.Index != c.indices[i] {
			return nil, fmt.Errorf("%w: share %d has index %d, combiner expects %d", ErrInvalidShare, i, s.Index, c.indices[i])
		}
	}
	return interpolate(shares, c.lambda)
}

// interpolate checks that the shares have equal, well-formed lengths and
// returns the decoded secret Σ lambda[i]·share_i, element by element.
func interpolate(shares []Share, lambda []uint64) ([]byte, error) {
	size := len(shares[0].Data)
	if size == 0 || size%(elementsPerPad*ShareElementBytes) != 0 {
		return nil, fmt.Errorf("%w: data length %d is not a positive multiple of %d", ErrInvalidShare, size, elementsPerPad*ShareElementBytes)
	}
	for _, s := range shares {
		if len(s.Data) != size {
			return nil, fmt.Errorf("%w: share lengths differ (%d and %d)", ErrInvalidShare, size, len(s.Data))
		}
	}
	m := size / ShareElementBytes
	out := make([]byte, m*ElementBytes+1) // +1: slack for 8-byte stores
	for k := range m {
		off := k * ShareElementBytes
		var acc uint64
		for i := range shares {
			y := binary.LittleEndian.Uint64(shares[i].Data[off:])
			if y >= Prime {
				return nil, fmt.Errorf("%w: share %d element %d not reduced", ErrInvalidShare, shares[i].Index, k)
			}
			acc = fadd(acc, fmul(lambda[i], y))
		}
		if acc > low56 {
			return nil, fmt.Errorf("%w: reconstructed element %d out of range (inconsistent shares)", ErrInvalidShare, k)
		}
		binary.LittleEndian.PutUint64(out[k*ElementBytes:], acc)
	}
	return unframe(out[:m*ElementBytes])
}

// unframe strictly decodes len32 || secret || zero padding.
func unframe(fr []byte) ([]byte, error) {
	if len(fr) < lenPrefix || len(fr)%PadBytes != 0 {
		return nil, fmt.Errorf("%w: framed length %d", ErrInvalidShare, len(fr))
	}
	l := binary.LittleEndian.Uint32(fr)
	if uint64(l) > uint64(len(fr)-lenPrefix) {
		return nil, fmt.Errorf("%w: length prefix %d exceeds %d available bytes", ErrInvalidShare, l, len(fr)-lenPrefix)
	}
	n := int(l)
	if elementCount(n)*ElementBytes != len(fr) {
		return nil, fmt.Errorf("%w: %d bytes of padding for a %d-byte secret", ErrInvalidShare, len(fr)-lenPrefix-n, n)
	}
	for _, b := range fr[lenPrefix+n:] {
		if b != 0 {
			return nil, fmt.Errorf("%w: non-zero padding", ErrInvalidShare)
		}
	}
	return fr[lenPrefix : lenPrefix+n : lenPrefix+n], nil
}

// Combine reconstructs the secret from shares made with threshold t, using
// the first t distinct indices given (Lagrange interpolation at 0). A repeated
// index whose data equals the first occurrence is skipped; one with different
// data is ErrInvalidShare. Shares after the first t distinct ones are not
// examined. Fewer than t distinct shares is ErrThresholdNotMet.
//
// Shamir sharing alone does not authenticate shares: a wrong share yields a
// wrong secret, which the strict framing rejects with high probability but
// not always. Use Reconstruct with signed digests to detect and exclude bad
// shares.
func Combine(shares []Share, t int) ([]byte, error) {
	if t < 1 || t > MaxNodes {
		return nil, fmt.Errorf("%w: threshold %d out of range 1..%d", ErrInvalidParams, t, MaxNodes)
	}
	sel, err := selectDistinct(shares, t)
	if err != nil {
		return nil, err
	}
	// selectDistinct guarantees distinct indices in range.
	var xs [MaxNodes]int
	var lambda [MaxNodes]uint64
	for i, s := range sel {
		xs[i] = s.Index
	}
	lagrangeAtZero(xs[:t], lambda[:t])
	return interpolate(sel, lambda[:t])
}

// selectDistinct returns the first t shares with distinct indices.
func selectDistinct(shares []Share, t int) ([]Share, error) {
	var pos [MaxNodes + 1]int // 1 + position in sel, 0 = unseen
	sel := make([]Share, 0, t)
	for _, s := range shares {
		if s.Index < 1 || s.Index > MaxNodes {
			return nil, fmt.Errorf("%w: index %d out of range 1..%d", ErrInvalidShare, s.Index, MaxNodes)
		}
		if p := pos[s.Index]; p != 0 {
			if !bytes.Equal(sel[p-1].Data, s.Data) {
				return nil, fmt.Errorf("%w: conflicting duplicates of index %d", ErrInvalidShare, s.Index)
			}
			continue
		}
		sel = append(sel, s)
		pos[s.Index] = len(sel)
		if len(sel) == t {
			return sel, nil
		}
	}
	return nil, fmt.Errorf("%w: %d distinct shares, %d needed", ErrThresholdNotMet, len(sel), t)
}
