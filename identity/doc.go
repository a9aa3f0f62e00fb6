// Package identity holds the long-term keys of one Embassy principal (a node,
// the custodian, or a government service) and their file format.
//
// A principal has a single 32-byte seed. From it come:
//   - an Ed25519 signing key, which is also the libp2p identity (peer ID) and
//     signs rosters and batches;
//   - an HPKE key pair (X-Wing: ML-KEM-768 + X25519), used by others to seal
//     data that only this principal may open, such as shares held for an
//     absent node (hybrid post-quantum, because registry data must stay
//     confidential for decades).
//
// Key files hold the seed in hex on one line with mode 0600. The package does
// no networking.
package identity
