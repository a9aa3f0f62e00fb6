package thhe

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/multiparty"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"
)

// MinKeySwitchLevel is the lowest ciphertext level KeySwitchShare accepts:
// at level 0 only one 56-bit prime is left, too little room for T times the
// flooding noise (Q_0/2T ≈ 2^20).
const MinKeySwitchLevel = 1

// CiphertextDigest is the SHA-256 (domain-separated) of ct's canonical
// encoding (EncodeCiphertext): the identity the once-per-ciphertext rule is
// keyed by.
func CiphertextDigest(params Params, ct *rlwe.Ciphertext) ([32]byte, error) {
	b, err := EncodeCiphertext(params, ct)
	if err != nil {
		return [32]byte{}, err
	}
	return digest("ciphertext", b), nil
}

// PublicKeyDigest identifies a key-switch target (SHA-256 of
// EncodePublicKey).
func PublicKeyDigest(params Params, pk *rlwe.PublicKey) ([32]byte, error) {
	b, err := EncodePublicKey(params, pk)
	if err != nil {
		return [32]byte{}, err
	}
	return digest("publickey", b), nil
}

// KeySwitchShare is a party's share of re-encrypting one ciphertext from the
// collective key to a target public key (PCKS). It carries the digests of
// the ciphertext and target so the aggregator cannot mix shares.
type KeySwitchShare struct {
	From   int
	Set    ActiveSet
	Digest [32]byte // CiphertextDigest of the input ciphertext
	Target [32]byte // PublicKeyDigest of the target key
	Share  multiparty.PublicKeySwitchShare

	params *Params // for MarshalBinary
}

// KeySwitchShare returns this party's PCKS share for ct towards target, as
// a member of set. It releases at most one share per ciphertext, ever: it
// first reserves the ciphertext's digest in the party's ReleaseLog with
// label (the caller's description of the release, kept for audits, e.g.
// "query <id> attempt <n>"), and a ciphertext reserved before — with any
// set, target or label, by this Party object or, with a durable log, by an
// earlier one — gives ErrShareAlreadyReleased, because two shares with
// independent flooding noise for one ciphertext leak information about the
// secret key. The digest is reserved before the share is computed, so even
// a failed attempt uses up the ciphertext; if the log cannot record it, no
// share is released.
//
// The share includes fresh flooding noise: every coefficient uniform in
// [-B, B], B = Params.FloodBound, from crypto/rand (addFlooding). A set
// whose flooding would not fit the ciphertext level's noise budget is
// refused before anything is reserved. Calls may run concurrently; only the
// reservation is serialised (by the log).
func (p *Party) KeySwitchShare(set ActiveSet, ct *rlwe.Ciphertext, target *rlwe.PublicKey, label string) (*KeySwitchShare, error) {
	params := p.g.Params
	if err := checkCiphertext(params, ct); err != nil {
		return nil, err
	}
	if ct.Level() < MinKeySwitchLevel {
		return nil, fmt.Errorf("thhe: ciphertext at level %d, key switching needs ≥ %d", ct.Level(), MinKeySwitchLevel)
	}
	if err := checkPublicKey(params, target); err != nil {
		return nil, err
	}
	if err := checkFlooding(params, ct.Level(), len(set)); err != nil {
		return nil, err
	}
	d, err := CiphertextDigest(params, ct)
	if err != nil {
		return nil, err
	}
	td, err := PublicKeyDigest(params, target)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	sk, err := p.additiveShare(set) // cached per set, never modified: usable unlocked
	p.mu.Unlock()
	if err != nil {
		return nil, err
	}
	// Lattigo's own smudging noise is left at the scheme's small error
	// distribution (σ = 3.2), which its sampler draws faithfully; the
	// flooding is added below with full precision (lattigo's Gaussian
	// sampler takes its normal from a 32-bit ziggurat: at σ = 2^52 its
	// samples would take at most about 2^32 values).
	pcks, err := multiparty.NewPublicKeySwitchProtocol(params.Parameters, params.Xe())
	if err != nil {
		return nil, fmt.Errorf("thhe: key-switch protocol: %w", err)
	}
	if err := p.log.Reserve(d, label); err != nil {
		if errors.Is(err, ErrShareAlreadyReleased) {
			return nil, err
		}
		return nil, fmt.Errorf("thhe: record the release (no share released): %w", err)
	}
	s := pcks.AllocateShare(ct.Level())
	pcks.GenShare(sk, target, ct, &s)
	if err := addFlooding(params, ct.Level(), ct.IsNTT, s.Value[0], rand.Reader); err != nil {
		for _, v := range s.Value { // unflooded: never to leave this function
			for _, c := range v.Coeffs {
				clear(c)
			}
		}
		return nil, fmt.Errorf("thhe: key-switch share not released: %w", err)
	}
	return &KeySwitchShare{From: p.id, Set: slices.Clone(set), Digest: d, Target: td, Share: s, params: &p.g.Params}, nil
}

// AggregateKeySwitch combines the shares of all members of one set for ct
// into a ciphertext under the target key. Fewer shares than the set has
// members give ErrNotEnoughShares, never a wrong ciphertext.
func AggregateKeySwitch(g Group, ct *rlwe.Ciphertext, shares []*KeySwitchShare) (*rlwe.Ciphertext, error) {
	params := g.Params
	if err := checkCiphertext(params, ct); err != nil {
		return nil, err
	}
	d, err := CiphertextDigest(params, ct)
	if err != nil {
		return nil, err
	}
	hs := make([]header, len(shares))
	for i, s := range shares {
		if s == nil {
			return nil, fmt.Errorf("thhe: nil key-switch share")
		}
		if s.Digest != d {
			return nil, fmt.Errorf("thhe: key-switch share from %d is for another ciphertext: %w", s.From, ErrMismatch)
		}
		if s.Target != shares[0].Target {
			return nil, fmt.Errorf("thhe: key-switch shares for different targets: %w", ErrMismatch)
		}
		if len(s.Share.Value) != 2 || s.Share.MetaData == nil {
			return nil, fmt.Errorf("thhe: malformed key-switch share from %d", s.From)
		}
		for _, v := range s.Share.Value {
			if err := checkPoly(params.N(), ct.Level(), v); err != nil {
				return nil, fmt.Errorf("thhe: key-switch share from %d: %w", s.From, err)
			}
		}
		hs[i] = header{s.From, s.Set}
	}
	if _, err := checkShares(g, hs); err != nil {
		return nil, err
	}
	// Aggregation and KeySwitch draw no noise.
	pcks, err := multiparty.NewPublicKeySwitchProtocol(params.Parameters, params.Xe())
	if err != nil {
		return nil, fmt.Errorf("thhe: key-switch protocol: %w", err)
	}
	agg := pcks.AllocateShare(ct.Level())
	for _, s := range shares {
		if err := pcks.AggregateShares(agg, s.Share, &agg); err != nil {
			return nil, fmt.Errorf("thhe: aggregate key-switch shares: %w", err)
		}
	}
	out := bgv.NewCiphertext(params.Parameters, 1, ct.Level())
	pcks.KeySwitch(ct, agg, out)
	return out, nil
}
