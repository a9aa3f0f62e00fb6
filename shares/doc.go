// Package shares is the pure mathematics of Embassy: Shamir secret sharing
// of registry records, the commitments that make a tampered share
// detectable and attributable, and the batch signatures that authenticate
// those commitments. It does no I/O and imports only the standard library.
//
// # Sharing
//
// A record is split t-of-n with Shamir's scheme over the prime field
// GF(2^61 − 1). The secret is framed as a 4-byte little-endian length, the
// secret, and zero padding up to a multiple of PadBytes (56) bytes, then cut
// into 7-byte little-endian field elements; each element is the constant term
// of its own random polynomial of degree t−1, and share i (Index i, 1..n)
// holds every polynomial evaluated at x = i, 8 bytes per element.
//
// Who learns what:
//   - Any t shares determine the secret (Combine, Combiner, Reconstruct).
//   - Any t−1 or fewer shares are, for every secret of the same padded
//     length, identically distributed: a node or a coalition of fewer than t
//     nodes learns nothing about the record except its length rounded up to
//     56 bytes. This is information-theoretic given uniform coefficients; the
//     coefficients come from ChaCha8 (math/rand/v2) keyed from crypto/rand, so
//     in practice the guarantee is computational in the strength of that
//     CSPRNG, which is a standard cryptographic assumption.
//   - Once the manifest (every share's digest and the record commitment) is
//     visible to the nodes, secrecy against fewer than t nodes becomes
//     computational: a coalition could test a guessed secret against the
//     digest of a share it does not hold. The 32-byte random salt at the start
//     of the shared secret (SealRecord) makes every such guess include 256
//     unknown bits, so this is infeasible; sharing a record without the salt
//     while publishing digests would let low-entropy records be brute-forced.
//   - t = 1 gives every node the record (no secrecy); use t >= 2.
//
// Shamir sharing does not by itself detect a wrong share: interpolation
// with a tampered share yields a different "secret". The strict framing
// (length prefix, zero padding, 7-byte elements) rejects such a result with
// high probability, but detection and attribution come from commitments.
//
// # Commitments
//
// At ingest the custodian (the registry office) computes for each record
//   - ShareDigest(i, share_i) for every node i: SHA-256 over a
//     domain-separation tag, the index and the share bytes;
//   - RecordCommitment(salt, record): SHA-256 over a tag, a fresh 32-byte
//     random salt and the record. The salt is part of the shared secret
//     (SealRecord shares salt || record), so the commitment, which every node
//     sees, does not let a node confirm a guessed record: registry records
//     are low-entropy and an unsalted hash could be brute-forced;
//   - a manifest (encoded by the caller) binding the record's identity, the n
//     share digests and the record commitment, hashed by LeafDigest.
//
// The manifests' leaf digests form an RFC 6962 Merkle tree per batch of
// about a thousand records, and the custodian signs only the root and leaf
// count with Ed25519 (SignBatch). One signature per record would cost more
// than the whole sharing pipeline; one per batch plus a logarithmic Merkle
// proof per record (MerkleTree) amortises it to almost nothing while still
// authenticating every share digest individually.
//
// What that proves: given the custodian's public key, a verified batch
// signature, a Merkle proof and the manifest, a reader knows exactly which
// bytes the custodian dealt to each node. A node that serves anything else is
// caught and named (Reconstruct reports its Source), and the record is rebuilt
// from the remaining good shares as long as t of them are left. After
// reconstruction OpenRecord checks the record commitment, which also catches
// a custodian that signed share digests of inconsistent shares. The
// commitments say nothing about whether the custodian's record is true, and
// they do not hide which records exist or their sizes (to 56 bytes).
//
// # Randomness and concurrency
//
// A Dealer owns its CSPRNG and scratch space and must be used by one
// goroutine at a time; create one per worker with NewDealer. Combiner and
// the package-level functions are safe for concurrent use.
package shares
