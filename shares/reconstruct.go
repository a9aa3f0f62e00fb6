package shares

import (
	"fmt"
)

// Candidate is a share offered for reconstruction together with the digest
// the custodian signed for its index (taken from a manifest whose Merkle
// proof and batch signature the caller has verified) and where it came from.
type Candidate struct {
	Share  Share
	Digest Digest // the signed expected ShareDigest for Share.Index
	Source string // e.g. the node name, reported if the share is bad
}

// Reconstruct keeps the candidates whose share is well-formed and whose
// ShareDigest equals their signed Digest, reports the Source of every other
// candidate in bad (in input order), and combines the first t good shares
// with distinct indices.
//
// With too few good shares the error wraps ErrThresholdNotMet and says
// "k good of t needed"; bad is returned in every case. If the good shares do
// not decode (which means the custodian signed inconsistent shares), the
// error wraps ErrInvalidShare.
func Reconstruct(cands []Candidate, t int) (secret []byte, bad []string, err error) {
	if t < 1 || t > MaxNodes {
		return nil, nil, fmt.Errorf("%w: threshold %d out of range 1..%d", ErrInvalidParams, t, MaxNodes)
	}
	var have [MaxNodes + 1]bool
	good := make([]Share, 0, t)
	for _, c := range cands {
		if c.Share.Validate() != nil || ShareDigest(c.Share.Index, c.Share.Data) != c.Digest {
			bad = append(bad, c.Source)
			continue
		}
		// A second good share at the same index has the same digest and so
		// (SHA-256 being collision resistant) the same data: skip it.
		if have[c.Share.Index] || len(good) == t {
			continue
		}
		have[c.Share.Index] = true
		good = append(good, c.Share)
	}
	if len(good) < t {
		return nil, bad, fmt.Errorf("%w: %d good of %d needed", ErrThresholdNotMet, len(good), t)
	}
	secret, err = Combine(good, t)
	return secret, bad, err
}
