package thhe

import (
	"fmt"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/ring"
	"github.com/tuneinsight/lattigo/v6/utils/sampling"
)

// Rerandomize returns ct plus an encryption of zero under pk whose
// randomness is drawn from a PRNG keyed by seed (domain-separated), so that
// every node that re-randomises the same ciphertext with the same seed gets
// the same bytes. It changes the ciphertext (and so its CiphertextDigest)
// without changing what it decrypts to: that is how a failover gets a fresh
// key-switch attempt for the same query (seed derived from query and
// attempt).
//
// It does NOT hide anything from whoever knows the seed: the added
// encryption of zero is a public function of (pk, seed, level). Privacy of
// the result's noise comes from the key-switch flooding, not from this.
// The added noise is that of a public-key encryption divided by the special
// prime P (as lattigo's own encryptor does), a few bits at most.
func Rerandomize(params Params, pk *rlwe.PublicKey, ct *rlwe.Ciphertext, seed [32]byte) (*rlwe.Ciphertext, error) {
	if err := checkCiphertext(params, ct); err != nil {
		return nil, err
	}
	if err := checkPublicKey(params, pk); err != nil {
		return nil, err
	}
	if params.PCount() == 0 {
		return nil, fmt.Errorf("thhe: rerandomize needs a special prime P")
	}
	key := append([]byte("embassy/thhe/rerandomize/v1\x00"), seed[:]...)
	prng, err := sampling.NewKeyedPRNG(key)
	if err != nil {
		return nil, fmt.Errorf("thhe: keyed PRNG: %w", err)
	}
	xs, err := ring.NewSampler(prng, params.RingQ(), params.Xs(), false)
	if err != nil {
		return nil, fmt.Errorf("thhe: secret sampler: %w", err)
	}
	xe, err := ring.NewSampler(prng, params.RingQ(), params.Xe(), false)
	if err != nil {
		return nil, fmt.Errorf("thhe: error sampler: %w", err)
	}

	// (u·pk0 + e0, u·pk1 + e1) over QP, then divided by P: the encryption
	// of zero of lattigo's Encryptor.EncryptZero, with our samplers.
	// The polynomials are allocated and sampled at the top level (lattigo
	// v6.1.1's TernarySampler.AtLevel keeps sampling at the level it was
	// made for), and the ring operations use their first levelQ+1 limbs.
	levelQ, levelP := ct.Level(), 0
	rQP := params.RingQP().AtLevel(levelQ, levelP)
	u, e := params.RingQP().NewPoly(), params.RingQP().NewPoly()
	c := [2]ring.Poly{}
	xs.Read(u.Q)
	rQP.ExtendBasisSmallNormAndCenter(u.Q, levelP, u.Q, u.P)
	rQP.NTT(u, u)
	be := ring.NewBasisExtender(params.RingQ(), params.RingP())
	rQ := params.RingQ().AtLevel(levelQ)
	for i := range c {
		ci := params.RingQP().NewPoly()
		rQP.MulCoeffsMontgomery(u, pk.Value[i], ci)
		rQP.INTT(ci, ci)
		xe.Read(e.Q)
		rQP.ExtendBasisSmallNormAndCenter(e.Q, levelP, e.Q, e.P)
		rQP.Add(ci, e, ci)
		c[i] = rQ.NewPoly()
		be.ModDownQPtoQ(levelQ, levelP, ci.Q, ci.P, c[i])
		rQ.NTT(c[i], c[i])
	}
	out := ct.CopyNew()
	for i := range c {
		rQ.Add(out.Value[i], c[i], out.Value[i])
	}
	return out, nil
}
