package thhe

import "sync"

// ReleaseLog is a party's once-per-ciphertext record: the digests
// (CiphertextDigest) of the ciphertexts it has released a key-switch share
// for. Party.KeySwitchShare reserves the digest before it computes a share.
//
// Implementations must be safe for concurrent use and:
//
//   - Reserve returns an error wrapping ErrShareAlreadyReleased if digest
//     was reserved before (with any label), and records nothing then; of
//     several concurrent calls for one digest exactly one succeeds;
//   - when Reserve returns nil the record is durable (synced to stable
//     storage, for a party that outlives its process): a restarted party
//     with the same log must refuse the digest;
//   - any other error means the party must not release a share.
//
// The label is the caller's description of the release (for audits, e.g.
// "query <id> attempt <n>"); the log keeps it but does not interpret it.
// Package releaselogtest checks these rules.
type ReleaseLog interface {
	Reserve(digest [32]byte, label string) error
}

// MemReleaseLog is a ReleaseLog in memory. It is lost with the process, so
// it suits tests and parties that never outlive their process (NewParty
// uses one); a node's party needs a durable log.
type MemReleaseLog struct {
	mu sync.Mutex
	m  map[[32]byte]string
}

// NewMemReleaseLog returns an empty in-memory log.
func NewMemReleaseLog() *MemReleaseLog {
	return &MemReleaseLog{m: map[[32]byte]string{}}
}

// Reserve implements ReleaseLog.
func (l *MemReleaseLog) Reserve(digest [32]byte, label string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.m[digest]; ok {
		return ErrShareAlreadyReleased
	}
	l.m[digest] = label
	return nil
}

// Label returns the label digest was reserved with, if it was.
func (l *MemReleaseLog) Label(digest [32]byte) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.m[digest]
	return s, ok
}

// Len is the number of reserved digests.
func (l *MemReleaseLog) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
