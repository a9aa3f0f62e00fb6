// Package releaselogtest is the conformance test of thhe.ReleaseLog: every
// implementation (thhe's in-memory one, the node's Badger one) runs the
// same checks, so that a party's once-per-ciphertext rule holds whichever
// log it is given.
//
// It checks that a digest is reserved at most once (whatever the label),
// that of concurrent reservations of one digest exactly one succeeds, that
// distinct digests do not interfere, and that reservations survive the
// implementation's notion of a restart. It cannot check that a write was
// synced to disk; implementations state that themselves.
package releaselogtest
