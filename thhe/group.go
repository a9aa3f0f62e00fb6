package thhe

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tuneinsight/lattigo/v6/multiparty"
	"github.com/tuneinsight/lattigo/v6/utils/sampling"
)

// Errors callers may test for with errors.Is.
var (
	// ErrShareAlreadyReleased: the party already released a key-switch share
	// for this ciphertext and will never release another.
	ErrShareAlreadyReleased = errors.New("thhe: key-switch share already released for this ciphertext")
	// ErrNotEnoughShares: fewer shares than the active set has members.
	ErrNotEnoughShares = errors.New("thhe: not enough shares")
	// ErrSetupIncomplete: the party has not yet received a threshold share
	// from every party.
	ErrSetupIncomplete = errors.New("thhe: threshold setup incomplete")
	// ErrSetupDone: the threshold setup is finished and the party's own
	// secret contribution has been erased.
	ErrSetupDone = errors.New("thhe: threshold setup already done")
	// ErrMismatch: shares, seeds, sets or ciphertexts do not belong together.
	ErrMismatch = errors.New("thhe: shares do not belong together")
)

// MaxParties bounds n so that party numbers fit the wire format.
const MaxParties = 255

// Group is the public description of a threshold group: the parameters,
// the number of parties N (numbered 1..N; the number is also the party's
// Shamir evaluation point) and the threshold T (any T parties can act, T-1
// learn nothing about the secret key).
type Group struct {
	Params Params
	N, T   int
}

// NewGroup checks 1 ≤ t ≤ n ≤ MaxParties.
func NewGroup(params Params, n, t int) (Group, error) {
	if n < 1 || n > MaxParties || t < 1 || t > n {
		return Group{}, fmt.Errorf("thhe: invalid group n=%d t=%d (need 1 ≤ t ≤ n ≤ %d)", n, t, MaxParties)
	}
	return Group{Params: params, N: n, T: t}, nil
}

// ActiveSet is the set of exactly T parties that run one protocol instance,
// in ascending order. Every member must use the same set for every round of
// an instance: each converts its threshold share into an additive share
// that is only meaningful together with the other members' shares for the
// same set.
type ActiveSet []int

// NewActiveSet sorts ids and checks that they are T distinct parties of g.
func (g Group) NewActiveSet(ids ...int) (ActiveSet, error) {
	s := ActiveSet(slices.Clone(ids))
	slices.Sort(s)
	if err := g.checkSet(s); err != nil {
		return nil, err
	}
	return s, nil
}

func (g Group) checkSet(s ActiveSet) error {
	if len(s) != g.T {
		return fmt.Errorf("thhe: active set %v has %d members, threshold is %d: %w", []int(s), len(s), g.T, ErrNotEnoughShares)
	}
	for i, id := range s {
		if id < 1 || id > g.N {
			return fmt.Errorf("thhe: active set %v: party %d out of range 1..%d", []int(s), id, g.N)
		}
		if i > 0 && s[i-1] >= id {
			return fmt.Errorf("thhe: active set %v is not strictly ascending", []int(s))
		}
	}
	return nil
}

// Contains reports whether id is a member.
func (s ActiveSet) Contains(id int) bool { return slices.Contains(s, id) }

func (s ActiveSet) key() string {
	parts := make([]string, len(s))
	for i, id := range s {
		parts[i] = strconv.Itoa(id)
	}
	return strings.Join(parts, ",")
}

func (s ActiveSet) points() []multiparty.ShamirPublicPoint {
	pts := make([]multiparty.ShamirPublicPoint, len(s))
	for i, id := range s {
		pts[i] = multiparty.ShamirPublicPoint(id)
	}
	return pts
}

// Seed is the agreed public randomness of one protocol instance. Every
// common reference polynomial is derived from it (and the protocol name and
// Galois element), so all parties and the aggregator must use the same
// seed, and a fresh seed should be used for every instance.
type Seed [32]byte

func (s Seed) crs(label string, galEl uint64) sampling.PRNG {
	h := sha256.New()
	h.Write([]byte("embassy/thhe/crs/v1\x00"))
	h.Write([]byte(label))
	h.Write([]byte{0})
	h.Write(s[:])
	h.Write(binary.BigEndian.AppendUint64(nil, galEl))
	prng, err := sampling.NewKeyedPRNG(h.Sum(nil))
	if err != nil {
		// Only fails if blake2b rejects a 32-byte key, which it does not.
		panic(fmt.Sprintf("thhe: keyed PRNG: %v", err))
	}
	return prng
}

// header is what every share says about itself.
type header struct {
	From int       // sender, 1..N
	Set  ActiveSet // the active set the share was made for
}

// checkShares verifies that shares come from exactly the members of one
// valid active set, each once, and returns that set.
func checkShares(g Group, hs []header) (ActiveSet, error) {
	if len(hs) == 0 {
		return nil, fmt.Errorf("thhe: no shares: %w", ErrNotEnoughShares)
	}
	set := hs[0].Set
	if err := g.checkSet(set); err != nil {
		return nil, err
	}
	seen := map[int]bool{}
	for _, h := range hs {
		if !slices.Equal(h.Set, set) {
			return nil, fmt.Errorf("thhe: share from %d is for set %v, not %v: %w", h.From, []int(h.Set), []int(set), ErrMismatch)
		}
		if !set.Contains(h.From) {
			return nil, fmt.Errorf("thhe: share from %d, not a member of %v: %w", h.From, []int(set), ErrMismatch)
		}
		if seen[h.From] {
			return nil, fmt.Errorf("thhe: two shares from party %d: %w", h.From, ErrMismatch)
		}
		seen[h.From] = true
	}
	if len(seen) < len(set) {
		return nil, fmt.Errorf("thhe: %d of %d shares for set %v: %w", len(seen), len(set), []int(set), ErrNotEnoughShares)
	}
	return set, nil
}
