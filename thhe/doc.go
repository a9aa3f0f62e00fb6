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
//   - GKG: the Galois keys for InnerSum (summing all N slots).
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
// Work in progress: see the package's later sections once written.
package thhe
