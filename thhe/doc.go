// Package thhe is the pure-math core of Embassy's encrypted queries:
// threshold homomorphic encryption (BGV) on lattigo v6's multiparty package.
//
// # What it does
//
// N embassy nodes ("parties", numbered 1..N) jointly hold a BGV secret key
// that no single node ever has: each party samples its own contribution
// sk_i, the collective key is s = Σ sk_i, and each party Shamir-shares its
// sk_i (degree T-1) among all parties, so that every party ends up with a
// T-of-N share of s and erases sk_i (no dealer). Any T parties — an
// ActiveSet — turn their threshold shares into additive shares of s
// (Lagrange weighting, lattigo's Combiner) and run a protocol:
//
//   - CKG: the collective public key, under which registry values are
//     encrypted (Encrypt).
//   - RKG (two rounds): the relinearisation key, for ciphertext products
//     (Evaluator.Mul, FilteredSum).
//   - GKG: the Galois keys for InnerSum (summing all N slots), one
//     one-round instance per Galois element (Party.GKGShare,
//     AggregateGKG, EncodeGaloisKey), so that a caller can make, move and
//     store them one at a time: 14 keys of 2.5 MiB at ProductionParams.
//   - PCKS (KeySwitchShare / AggregateKeySwitch): re-encrypt a result from
//     the collective key to a querier's own public key; only the querier
//     can then decrypt (Decrypt).
//
// All types are sans-IO: a Party method returns a share, a package-level
// Aggregate function combines the shares of all members of one active set.
// Every protocol instance takes an agreed Seed from which all common random
// polynomials are derived (domain-separated per protocol and Galois
// element); all members of an instance must use the same ActiveSet (sorted,
// exactly T members) for every round.
//
// # Guarantees
//
//   - Passive (honest-but-curious) security only, as lattigo's multiparty
//     protocols: a coalition of at most T-1 parties that follows the
//     protocol learns nothing about the collective secret key (Shamir
//     shares of degree T-1; RLWE for everything public). Nothing here
//     detects a party that sends a malformed-but-well-shaped share: the
//     result is then simply wrong. Shape checks only stop panics.
//   - Threshold: every Aggregate function refuses (ErrNotEnoughShares)
//     unless it has exactly one share from each of the T members of one
//     active set; fewer shares never produce a wrong key or plaintext.
//   - Once per ciphertext: a Party releases at most one key-switch share
//     per ciphertext (SHA-256 of its canonical encoding), whatever the
//     active set, target or label; a second request returns
//     ErrShareAlreadyReleased. Two shares of one ciphertext, each with
//     fresh flooding noise, leak information about the key share. The
//     record is the party's ReleaseLog: KeySwitchShare reserves the digest
//     (with the caller's label, e.g. "query <id> attempt <n>") before it
//     computes the share, and releases nothing if the log cannot record it.
//     A party from NewParty uses a MemReleaseLog (gone with the object);
//     AssembleParty takes the caller's log, which must be durable (synced
//     before Reserve returns) for the rule to hold across restarts — the
//     node gives its Badger-backed one. Package releaselogtest is the
//     conformance test every ReleaseLog runs. Re-randomising a
//     ciphertext (adding an encryption of zero) yields a new digest; that is
//     how a failover gets a fresh attempt, and why a node must only
//     key-switch ciphertexts it computed itself from an authorised query.
//   - Noise flooding: each key-switch share carries flooding noise whose N
//     coefficients are independent integers uniform in [-B, B], B =
//     Params.FloodBound (DefaultFloodBound = 2^60), drawn from crypto/rand
//     64-bit words by rejection sampling (a word below 2^64 mod (2B+1) is
//     discarded, so there is no modulo bias; 1 word in 8 at B = 2^60). It
//     is added where lattigo adds its own smudging noise (share.Value[0],
//     reduced mod each prime of the ciphertext's level, NTT domain, not
//     Montgomery, not multiplied by T); lattigo's own noise is left at the
//     scheme's σ = 3.2. It hides the noise e of the ciphertext being
//     switched, which depends on the secret key and on data the result
//     does not reveal (e.g. the cells a plaintext mask zeroed). For the
//     results of package cube, |e| at the key-switch level is measured at
//     2^8.0–2^8.3 at ProductionParams (16 folded deltas) and bounded by
//     2^12 (the rounding of the last rescale dominates while the folded
//     input noise stays below 2^21). What this gives, counting only one
//     honest member's flooding (the querier may know the others'; more
//     independent noise never helps a distinguisher):
//     one coefficient: flooding + e is within statistical distance
//     |e|/(2B+1) of the flooding alone, ≤ 2^-49 for |e| ≤ 2^12 (2^-52.7
//     measured); one ciphertext: ≤ N·max|e|/(2B+1), 2^-35 at N = 2^14
//     (2^-38.7 measured; 2^-37 and 2^-40.7 at TestParams' N = 2^12). The
//     uniform distribution's distance grows linearly in N (Gaussian
//     flooding would give √N); this is the bound, not an estimate. Several
//     ciphertexts: each switched ciphertext has fresh flooding, so a
//     querier who receives K of them whose noise depends on the key (the
//     result ciphertexts of one query, times every attempt — a failover's
//     re-randomised ciphertext carries the same e plus a public r_k) sees
//     them within K·2^-35 of a view simulated from the results alone: 3
//     ciphertexts × 4 attempts ≈ 2^-31.4. Attempts are the caller's policy
//     and must stay few. Headroom: level 1 decrypts while the noise stays
//     below Q_1/2T = 2^75.0 (both parameter sets); the flooding of
//     MaxParties parties is at most 255·2^60 < 2^68, 2^7 below it; the
//     result noise (≤ 2^12) and the key switch's own encryption noise
//     (2^8.2 measured at ProductionParams, flooding left out) add nothing
//     that matters.
//     KeySwitchShare refuses a set whose flooding, |set|·B, exceeds half of
//     Q_level/2T (so level 0, Q_0/2T ≈ 2^20, is refused);
//     TestWorstCaseFloodingDecrypts adds 255·B to every coefficient of a
//     switched level-1 ciphertext and still decrypts exactly. B could go
//     to MaxFloodBound = 2^62 (2 bits more hiding, 2^5 of room left).
//   - Decoders (Group.Decode*, DecodeCiphertext, DecodePublicKey,
//     DecodeRelinKey, DecodeGaloisKey) never
//     panic on arbitrary input (fuzzed) and refuse shares made under other
//     parameters (a fingerprint of the parameters is in every encoding).
//
// Not guaranteed: security against active (malicious) parties, robustness
// (one missing member stalls an instance; start a new one with another
// set and seed), completeness of setup (all N parties must take part; no
// complaints or verifiable secret sharing), forward secrecy, or anything
// about who may ask which query (the caller's policy).
//
// # Parameters
//
// ProductionParams: BGV with N = 2^14 slots, Q = 56+55+55+55 bits and
// P = 55+55 bits, log(QP) ≈ 331, lattigo's default ternary secret and
// Gaussian error (σ = 3.2). The HE standard (homomorphicencryption.org,
// 2018) allows log(QP) ≤ 438 at N = 2^14 for 128-bit classical security, so
// we claim 128-bit security with margin. The plaintext modulus T =
// PlaintextModulus is a 35-bit prime ≡ 1 mod 2^16, so all N slots are
// usable; decoded slots are signed integers in ±MaxSlotValue (≈ 1.7·10^10).
// A SUM beyond that wraps mod T: 2^20-bounded values can be summed over at
// most 2^14 rows per result slot. Larger aggregates must be split (limbs,
// or several ciphertexts combined in the clear by the querier). Depth: two
// rescales from the top level 3 (a ciphertext product, or the two plaintext
// masks of a cube query, each followed by Rescale) down to level 1, the
// lowest level key switching accepts (MinKeySwitchLevel): level 0 — one
// 56-bit prime — has no room for the flooding noise. The fourth prime costs
// a third more bytes per fresh ciphertext (1 MiB at N = 2^14) and buys the
// second rescale: without it a cube query's final select mask multiplies
// the noise by ≈ T·√N ≈ 2^42 with nothing left to divide it by, and the
// result noise (≈ 2^58) leaves no room for 2^40 times it in the flooding.
//
// Slot operations (slots.go): the N slots of a ciphertext form a 2 × N/2
// matrix; the Galois keys (InnerSumGaloisElements) rotate columns by powers
// of two below N/2 and swap the rows. MulPlainRescale multiplies by a
// plaintext vector (a 0/1 mask) and rescales; Rerandomize adds a seeded
// encryption of zero.
//
// TestParams: the same moduli at N = 2^12 — NOT SECURE (the standard allows
// log(QP) ≤ 109 there). It exists so that tests and fuzzing stay fast;
// every behaviour except speed and security is the same.
//
// # Lattigo notes
//
//   - In t < n mode every protocol must use Combiner.GenAdditiveShare for
//     one fixed, identically ordered set; ActiveSet is kept sorted and each
//     party caches one additive share per set.
//   - GaloisElementsForInnerSum includes the identity element; it needs no
//     key and InnerSumGaloisElements leaves it out.
//   - TernarySampler.AtLevel (v6.1.1) keeps sampling at the level the
//     sampler was made for (it copies a method value bound to the original);
//     Rerandomize samples into top-level polynomials and uses their first
//     limbs, as lattigo's own encryptor does.
//   - The Gaussian sampler (v6.1.1, ring/sampler_gaussian.go) draws its
//     normal from a 32-bit ziggurat (x = j·wn[i], j < 2^31), so at large σ
//     its samples take at most about 2^32 values: at σ = 2^52 they repeat
//     after ≈ 2^16 draws (TestLattigoGaussianIsCoarse) and would not hide a
//     2^12 noise. Hence the key-switch flooding is our own (flood.go);
//     lattigo's samplers are used only at σ = 3.2. Its small-σ path also
//     reduces a sample mod each prime by one conditional subtraction.
//   - Lattigo's UnmarshalBinary/ReadFrom allocate lengths read from the
//     input and its arithmetic panics on mis-shaped polynomials, so neither
//     sees untrusted input here.
//   - Lattigo v6.1.1 imports github.com/stretchr/testify (and so net/http)
//     from non-test files (utils/buffer/utils.go, schemes/bgv/test_utils.go);
//     this package itself imports no networking. See deps_test.go.
package thhe
