package thhe

import (
	"fmt"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/ring"
	"github.com/tuneinsight/lattigo/v6/utils/sampling"
)

// TargetKeyFromSeed derives a querier's key pair deterministically from a
// 32-byte secret seed: the secret key is sampled (lattigo's ternary
// distribution, as NewTargetKeyPair) from a PRNG keyed with the seed, so a
// service can rebuild it from its identity file alone. The public key uses
// fresh randomness; any public key of the secret works as a target.
func TargetKeyFromSeed(params Params, seed []byte) (*rlwe.SecretKey, *rlwe.PublicKey, error) {
	if len(seed) != 32 {
		return nil, nil, fmt.Errorf("thhe: target key seed is %d bytes, want 32", len(seed))
	}
	prng, err := sampling.NewKeyedPRNG(append([]byte("embassy/thhe/target/v1\x00"), seed...))
	if err != nil {
		return nil, nil, fmt.Errorf("thhe: target key prng: %w", err)
	}
	rp := params.Parameters.Parameters
	xs, err := ring.NewSampler(prng, rp.RingQ(), rp.Xs(), false)
	if err != nil {
		return nil, nil, fmt.Errorf("thhe: target key sampler: %w", err)
	}
	sk := rlwe.NewSecretKey(rp)
	xs.AtLevel(sk.LevelQ()).Read(sk.Value.Q)
	ringQP := rp.RingQP().AtLevel(sk.LevelQ(), sk.LevelP())
	if levelP := sk.LevelP(); levelP > -1 {
		ringQP.ExtendBasisSmallNormAndCenter(sk.Value.Q, levelP, sk.Value.Q, sk.Value.P)
	}
	ringQP.NTT(sk.Value, sk.Value)
	ringQP.MForm(sk.Value, sk.Value)
	pk := rlwe.NewKeyGenerator(rp).GenPublicKeyNew(sk)
	return sk, pk, nil
}
