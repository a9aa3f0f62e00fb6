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
//   - Noise flooding: each key-switch share carries Gaussian noise of
//     standard deviation Params.FloodSigma (DefaultFloodSigma = 2^52,
//     bound 6σ). It hides the noise of the ciphertext being switched, which
//     depends on the secret key and on data the result does not reveal
//     (e.g. the cells a plaintext mask zeroed). Sizing, for the results of
//     package cube (the circuit keys are switched for): their noise at the
//     key-switch level is measured at 2^8.0–2^8.3 at ProductionParams (16
//     folded deltas, realistic and worst-case uniform slot values) and
//     bounded by 2^12 (it is dominated by the rounding of the last rescale
//     as long as the folded input noise stays below 2^21, i.e. for any
//     realistic number of folded deltas); σ = 2^40·2^12 gives statistical
//     distance about 2^-40 per coefficient against that bound (2^-44 against
//     the measured noise). Headroom: level 1 decrypts while the noise stays
//     below Q_1/2T ≈ 2^75; the result noise plus the flooding of MaxParties
//     parties (255·6σ ≈ 2^62.6) and the target-key encryption noise stays
//     below 2^63. σ cannot grow past 2^52 with lattigo's sampler as used
//     now: its small-σ path reduces a sample mod each prime by one
//     conditional subtraction, so 6σ must stay below the smallest prime
//     (≈ 2^55); TestFloodingFitsSampler checks it.
//     CAVEAT, open: lattigo v6.1.1's Gaussian sampler draws the normal from
//     a 32-bit ziggurat (ring/sampler_gaussian.go, normFloat64: x =
//     j·wn[i] with j < 2^31), so at σ = 2^52 its samples take at most 2^32
//     distinct values spread over ±2^55: given the decrypted noise e+flood
//     and |e| ≤ 2^12, only about one candidate e fits. Until the key switch
//     samples its flooding with full precision (e.g. adds noise uniform in
//     ±2^52 drawn from 64-bit CSPRNG words, whose statistical distance from
//     its shift by e is |e|/2^53), the flooding does not smudge as sized.
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
//   - The Gaussian sampler's small-σ path (σ ≤ 2^53) reduces a sample by one
//     conditional subtraction per prime: 6σ must stay below every prime.
//   - Lattigo's UnmarshalBinary/ReadFrom allocate lengths read from the
//     input and its arithmetic panics on mis-shaped polynomials, so neither
//     sees untrusted input here.
//   - Lattigo v6.1.1 imports github.com/stretchr/testify (and so net/http)
//     from non-test files (utils/buffer/utils.go, schemes/bgv/test_utils.go);
//     this package itself imports no networking. See deps_test.go.
package thhe
