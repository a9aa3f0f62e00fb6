package shares

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"math"
)

// Domain-separation tags. Each hash in this package starts with one of these
// (or, in the Merkle tree, with a 0x00/0x01 prefix byte), so a digest of one
// kind can never be passed off as another.
const (
	tagShare  = "embassy/share/v1"
	tagRecord = "embassy/record/v1"
	tagLeaf   = "embassy/leaf/v1"
	tagBatch  = "embassy/batch/v1"
)

// SaltSize is the size of the random salt that SealRecord prepends to a
// record inside the shared secret.
const SaltSize = 32

// ErrCommitmentMismatch means a reconstructed secret does not match its
// record commitment. It wraps ErrInvalidShare.
var ErrCommitmentMismatch = fmt.Errorf("%w: record commitment mismatch", ErrInvalidShare)

// Digest is a SHA-256 digest.
type Digest [32]byte

// ShareDigest returns SHA-256("embassy/share/v1" || index (1 byte) || data).
// index should be 1..MaxNodes; any other value is encoded as 0, which no
// valid share uses, so such a digest never equals a valid share's digest.
func ShareDigest(index int, data []byte) Digest {
	h := sha256.New()
	var b [len(tagShare) + 1]byte
	copy(b[:], tagShare)
	if index >= 1 && index <= MaxNodes {
		b[len(tagShare)] = byte(index)
	}
	h.Write(b[:])
	h.Write(data)
	var d Digest
	h.Sum(d[:0])
	return d
}

// RecordCommitment returns SHA-256("embassy/record/v1" || salt || record).
// salt is SaltSize bytes (SealRecord, OpenRecord); because it is secret (it is
// shared along with the record), a node holding the commitment cannot confirm
// a guessed record.
func RecordCommitment(salt, record []byte) Digest {
	h := sha256.New()
	h.Write([]byte(tagRecord))
	h.Write(salt)
	h.Write(record)
	var d Digest
	h.Sum(d[:0])
	return d
}

// LeafDigest returns SHA-256("embassy/leaf/v1" || manifest), the Merkle leaf
// of one record's manifest (which names the record and lists its share
// digests and commitment; its encoding is the caller's).
func LeafDigest(manifest []byte) Digest {
	h := sha256.New()
	h.Write([]byte(tagLeaf))
	h.Write(manifest)
	var d Digest
	h.Sum(d[:0])
	return d
}

// batchMessage is "embassy/batch/v1" || root || uint32 count (big-endian).
func batchMessage(root Digest, count uint32) []byte {
	msg := make([]byte, 0, len(tagBatch)+len(root)+4)
	msg = append(msg, tagBatch...)
	msg = append(msg, root[:]...)
	return binary.BigEndian.AppendUint32(msg, count)
}

// SignBatch returns the custodian's Ed25519 signature over
// "embassy/batch/v1" || root || uint32 count (big-endian), where root is the
// MerkleRoot of the batch's count leaves. It panics if count is outside
// [0, 2^32) or priv is not an Ed25519 private key (programming errors).
func SignBatch(priv ed25519.PrivateKey, root Digest, count int) []byte {
	if count < 0 || uint64(count) > math.MaxUint32 {
		panic("shares: SignBatch: count out of range")
	}
	return ed25519.Sign(priv, batchMessage(root, uint32(count)))
}

// VerifyBatch reports whether sig is pub's batch signature for (root, count).
// It returns false (never panics) on a malformed key, signature or count.
func VerifyBatch(pub ed25519.PublicKey, root Digest, count int, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	if count < 0 || uint64(count) > math.MaxUint32 {
		return false
	}
	return ed25519.Verify(pub, batchMessage(root, uint32(count)), sig)
}

// SealRecord returns the secret to split, salt || record with a fresh
// SaltSize-byte salt from the dealer's CSPRNG, and the record commitment
// RecordCommitment(salt, record).
func (d *Dealer) SealRecord(record []byte) (secret []byte, commitment Digest) {
	secret = make([]byte, SaltSize+len(record))
	_, _ = d.rng.Read(secret[:SaltSize]) // ChaCha8.Read never fails
	copy(secret[SaltSize:], record)
	return secret, RecordCommitment(secret[:SaltSize], record)
}

// OpenRecord splits a reconstructed secret into salt and record and checks the
// commitment. The returned record aliases secret. A secret shorter than the
// salt is ErrInvalidShare; a mismatch is ErrCommitmentMismatch (which also
// matches ErrInvalidShare with errors.Is).
func OpenRecord(secret []byte, commitment Digest) (record []byte, err error) {
	if len(secret) < SaltSize {
		return nil, fmt.Errorf("%w: sealed secret of %d bytes is shorter than the %d-byte salt", ErrInvalidShare, len(secret), SaltSize)
	}
	got := RecordCommitment(secret[:SaltSize], secret[SaltSize:])
	if subtle.ConstantTimeCompare(got[:], commitment[:]) != 1 {
		return nil, ErrCommitmentMismatch
	}
	return secret[SaltSize:], nil
}
