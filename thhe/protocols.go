package thhe

import (
	"fmt"
	"slices"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/multiparty"
)

// ---- Collective public key (CKG) ----

// CKGShare is a party's share of the collective public key.
type CKGShare struct {
	From  int
	Set   ActiveSet
	Seed  Seed
	Share multiparty.PublicKeyGenShare

	params *Params // for MarshalBinary
}

// CKGShare returns this party's public-key share for the instance (set, seed).
func (p *Party) CKGShare(set ActiveSet, seed Seed) (*CKGShare, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sk, err := p.additiveShare(set)
	if err != nil {
		return nil, err
	}
	ckg := multiparty.NewPublicKeyGenProtocol(p.g.Params.Parameters)
	crp := ckg.SampleCRP(seed.crs("ckg", 0))
	s := ckg.AllocateShare()
	ckg.GenShare(sk, crp, &s)
	return &CKGShare{From: p.id, Set: slices.Clone(set), Seed: seed, Share: s, params: &p.g.Params}, nil
}

// AggregateCKG combines the shares of all members of one active set into
// the collective public key.
func AggregateCKG(g Group, seed Seed, shares []*CKGShare) (*rlwe.PublicKey, error) {
	hs := make([]header, len(shares))
	for i, s := range shares {
		if s == nil {
			return nil, fmt.Errorf("thhe: nil CKG share")
		}
		if s.Seed != seed {
			return nil, fmt.Errorf("thhe: CKG share from %d has another seed: %w", s.From, ErrMismatch)
		}
		if err := checkQP(g.Params, s.Share.Value); err != nil {
			return nil, fmt.Errorf("thhe: CKG share from %d: %w", s.From, err)
		}
		hs[i] = header{s.From, s.Set}
	}
	if _, err := checkShares(g, hs); err != nil {
		return nil, err
	}
	ckg := multiparty.NewPublicKeyGenProtocol(g.Params.Parameters)
	crp := ckg.SampleCRP(seed.crs("ckg", 0))
	agg := ckg.AllocateShare()
	for _, s := range shares {
		ckg.AggregateShares(agg, s.Share, &agg)
	}
	pk := rlwe.NewPublicKey(g.Params.Parameters)
	ckg.GenPublicKey(agg, crp, pk)
	return pk, nil
}

// ---- Relinearisation key (RKG, two rounds) ----

type rkgState struct {
	set ActiveSet
	eph *rlwe.SecretKey
}

// RKGShare is a party's share in one round of relinearisation-key
// generation, or (From == 0) the aggregate of round 1 that the aggregator
// sends back to the parties.
type RKGShare struct {
	From  int // 0 for an aggregate
	Round int // 1 or 2
	Set   ActiveSet
	Seed  Seed
	Share multiparty.RelinearizationKeyGenShare

	params *Params // for MarshalBinary
}

// RKGShareRound1 starts relinearisation-key generation for (set, seed). The
// party keeps an ephemeral secret until RKGShareRound2 for the same seed.
// A seed can be used for one round 1 only.
func (p *Party) RKGShareRound1(set ActiveSet, seed Seed) (*RKGShare, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sk, err := p.additiveShare(set)
	if err != nil {
		return nil, err
	}
	if _, ok := p.rkg[seed]; ok {
		return nil, fmt.Errorf("thhe: RKG round 1 already run for this seed: %w", ErrMismatch)
	}
	rkg := multiparty.NewRelinearizationKeyGenProtocol(p.g.Params.Parameters)
	crp := rkg.SampleCRP(seed.crs("rkg", 0))
	eph, r1, _ := rkg.AllocateShare()
	rkg.GenShareRoundOne(sk, crp, eph, &r1)
	p.rkg[seed] = &rkgState{set: slices.Clone(set), eph: eph}
	return &RKGShare{From: p.id, Round: 1, Set: slices.Clone(set), Seed: seed, Share: r1, params: &p.g.Params}, nil
}

func rkgTemplate(params Params, round int) multiparty.RelinearizationKeyGenShare {
	_, r1, r2 := multiparty.NewRelinearizationKeyGenProtocol(params.Parameters).AllocateShare()
	if round == 1 {
		return r1
	}
	return r2
}

func checkRKGShares(g Group, seed Seed, round int, shares []*RKGShare) (ActiveSet, error) {
	want := rkgTemplate(g.Params, round)
	hs := make([]header, len(shares))
	for i, s := range shares {
		if s == nil {
			return nil, fmt.Errorf("thhe: nil RKG share")
		}
		if s.Seed != seed || s.Round != round || s.From == 0 {
			return nil, fmt.Errorf("thhe: RKG share from %d (round %d) does not belong to round %d of this instance: %w", s.From, s.Round, round, ErrMismatch)
		}
		if err := checkGadget(g.Params, s.Share.GadgetCiphertext, want.GadgetCiphertext); err != nil {
			return nil, fmt.Errorf("thhe: RKG share from %d: %w", s.From, err)
		}
		hs[i] = header{s.From, s.Set}
	}
	return checkShares(g, hs)
}

// AggregateRKGRound1 sums the round-1 shares of all members of one set.
// The result goes back to every member for round 2.
func AggregateRKGRound1(g Group, seed Seed, shares []*RKGShare) (*RKGShare, error) {
	set, err := checkRKGShares(g, seed, 1, shares)
	if err != nil {
		return nil, err
	}
	rkg := multiparty.NewRelinearizationKeyGenProtocol(g.Params.Parameters)
	_, agg, _ := rkg.AllocateShare()
	for _, s := range shares {
		rkg.AggregateShares(agg, s.Share, &agg)
	}
	return &RKGShare{From: 0, Round: 1, Set: set, Seed: seed, Share: agg, params: &g.Params}, nil
}

// RKGShareRound2 finishes this party's part of the instance that agg1 (the
// round-1 aggregate) belongs to and erases the ephemeral secret.
func (p *Party) RKGShareRound2(agg1 *RKGShare) (*RKGShare, error) {
	if agg1 == nil || agg1.From != 0 || agg1.Round != 1 {
		return nil, fmt.Errorf("thhe: RKG round 2 needs the round-1 aggregate: %w", ErrMismatch)
	}
	if err := checkGadget(p.g.Params, agg1.Share.GadgetCiphertext, rkgTemplate(p.g.Params, 1).GadgetCiphertext); err != nil {
		return nil, fmt.Errorf("thhe: RKG round-1 aggregate: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.rkg[agg1.Seed]
	if !ok || st.eph == nil {
		return nil, fmt.Errorf("thhe: no RKG round 1 pending for this seed: %w", ErrMismatch)
	}
	if !slices.Equal(st.set, agg1.Set) {
		return nil, fmt.Errorf("thhe: RKG round 2 for set %v, round 1 was for %v: %w", []int(agg1.Set), []int(st.set), ErrMismatch)
	}
	sk, err := p.additiveShare(st.set)
	if err != nil {
		return nil, err
	}
	rkg := multiparty.NewRelinearizationKeyGenProtocol(p.g.Params.Parameters)
	_, _, r2 := rkg.AllocateShare()
	rkg.GenShareRoundTwo(st.eph, sk, agg1.Share, &r2)
	zero(st.eph)
	st.eph = nil // keep the entry so the seed cannot be reused
	return &RKGShare{From: p.id, Round: 2, Set: slices.Clone(st.set), Seed: agg1.Seed, Share: r2, params: &p.g.Params}, nil
}

// AggregateRKG combines the round-1 aggregate and all round-2 shares into
// the relinearisation key.
func AggregateRKG(g Group, agg1 *RKGShare, shares []*RKGShare) (*rlwe.RelinearizationKey, error) {
	if agg1 == nil || agg1.From != 0 || agg1.Round != 1 {
		return nil, fmt.Errorf("thhe: AggregateRKG needs the round-1 aggregate: %w", ErrMismatch)
	}
	if err := checkGadget(g.Params, agg1.Share.GadgetCiphertext, rkgTemplate(g.Params, 1).GadgetCiphertext); err != nil {
		return nil, fmt.Errorf("thhe: RKG round-1 aggregate: %w", err)
	}
	set, err := checkRKGShares(g, agg1.Seed, 2, shares)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(set, agg1.Set) {
		return nil, fmt.Errorf("thhe: round-2 set %v differs from round-1 set %v: %w", []int(set), []int(agg1.Set), ErrMismatch)
	}
	rkg := multiparty.NewRelinearizationKeyGenProtocol(g.Params.Parameters)
	_, _, agg2 := rkg.AllocateShare()
	for _, s := range shares {
		rkg.AggregateShares(agg2, s.Share, &agg2)
	}
	rlk := rlwe.NewRelinearizationKey(g.Params.Parameters)
	rkg.GenRelinearizationKey(agg1.Share, agg2, rlk)
	return rlk, nil
}

// ---- Galois keys for the inner sum (GKG) ----

// InnerSumGaloisElements lists the Galois elements InnerSum needs, ascending,
// without the identity element (which needs no key).
func InnerSumGaloisElements(params Params) []uint64 {
	els := params.GaloisElementsForInnerSum(1, params.N()>>1)
	els = append(els, params.GaloisElementForRowRotation())
	out := make([]uint64, 0, len(els))
	for _, e := range els {
		if e != 1 && !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	slices.Sort(out)
	return out
}

// CheckGaloisElement accepts the elements a Galois key can be made for:
// odd, above 1 (the identity needs no key) and below 2N.
func CheckGaloisElement(params Params, galEl uint64) error {
	if galEl <= 1 || galEl%2 == 0 || galEl >= params.RingQ().NthRoot() {
		return fmt.Errorf("thhe: %d is not a Galois element of this ring (odd, 1 < el < %d)", galEl, params.RingQ().NthRoot())
	}
	return nil
}

// GKGShare is a party's share of the Galois key for one Galois element.
// The key for each element is a separate one-round instance, so a caller
// can make, move and store the keys one at a time (each share is a gadget
// ciphertext of degree 0: 1.25 MiB at ProductionParams).
type GKGShare struct {
	From          int
	Set           ActiveSet
	Seed          Seed
	GaloisElement uint64
	Share         multiparty.GaloisKeyGenShare

	params *Params // for MarshalBinary
}

// GKGShare returns this party's share of the Galois key for galEl in the
// instance (set, seed). The common random polynomial is derived from seed
// and galEl, so one seed may serve every element. Each call samples fresh
// noise: a caller that may be asked twice for one instance must answer with
// the share it gave (or refuse), not make a second one.
func (p *Party) GKGShare(set ActiveSet, seed Seed, galEl uint64) (*GKGShare, error) {
	if err := CheckGaloisElement(p.g.Params, galEl); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	sk, err := p.additiveShare(set)
	if err != nil {
		return nil, err
	}
	gkg := multiparty.NewGaloisKeyGenProtocol(p.g.Params.Parameters)
	s := gkg.AllocateShare()
	if err := gkg.GenShare(sk, galEl, gkg.SampleCRP(seed.crs("gkg", galEl)), &s); err != nil {
		return nil, fmt.Errorf("thhe: Galois share for %d: %w", galEl, err)
	}
	return &GKGShare{From: p.id, Set: slices.Clone(set), Seed: seed, GaloisElement: galEl, Share: s, params: &p.g.Params}, nil
}

func gkgTemplate(params Params) multiparty.GaloisKeyGenShare {
	return multiparty.NewGaloisKeyGenProtocol(params.Parameters).AllocateShare()
}

func checkGKGShare(params Params, s *GKGShare) error {
	if s.Share.GaloisElement != s.GaloisElement {
		return fmt.Errorf("share for Galois element %d labelled %d", s.Share.GaloisElement, s.GaloisElement)
	}
	if err := CheckGaloisElement(params, s.GaloisElement); err != nil {
		return err
	}
	return checkGadget(params, s.Share.GadgetCiphertext, gkgTemplate(params).GadgetCiphertext)
}

// AggregateGKG combines the shares of all members of one set for Galois
// element galEl into its Galois key.
func AggregateGKG(g Group, seed Seed, galEl uint64, shares []*GKGShare) (*rlwe.GaloisKey, error) {
	if err := CheckGaloisElement(g.Params, galEl); err != nil {
		return nil, err
	}
	hs := make([]header, len(shares))
	for i, s := range shares {
		if s == nil {
			return nil, fmt.Errorf("thhe: nil Galois share")
		}
		if s.Seed != seed || s.GaloisElement != galEl {
			return nil, fmt.Errorf("thhe: Galois share from %d is for another seed or element (%d, want %d): %w", s.From, s.GaloisElement, galEl, ErrMismatch)
		}
		if err := checkGKGShare(g.Params, s); err != nil {
			return nil, fmt.Errorf("thhe: Galois share from %d: %w", s.From, err)
		}
		hs[i] = header{s.From, s.Set}
	}
	if _, err := checkShares(g, hs); err != nil {
		return nil, err
	}
	gkg := multiparty.NewGaloisKeyGenProtocol(g.Params.Parameters)
	agg := gkg.AllocateShare()
	agg.GaloisElement = galEl
	for _, s := range shares {
		if err := gkg.AggregateShares(agg, s.Share, &agg); err != nil {
			return nil, fmt.Errorf("thhe: aggregate Galois shares: %w", err)
		}
	}
	key := rlwe.NewGaloisKey(g.Params.Parameters)
	if err := gkg.GenGaloisKey(agg, gkg.SampleCRP(seed.crs("gkg", galEl)), key); err != nil {
		return nil, fmt.Errorf("thhe: Galois key %d: %w", galEl, err)
	}
	return key, nil
}
