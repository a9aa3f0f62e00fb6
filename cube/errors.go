package cube

import "errors"

// Sentinel errors callers can branch on with errors.Is. Returned errors wrap
// them with the details.
var (
	// ErrInvalidPlan: a query.Plan that does not fit the cube (unknown
	// axis, bucket out of range, unsorted filter, bad histogram bins...).
	ErrInvalidPlan = errors.New("cube: plan does not fit the cube")
	// ErrMalformed: bytes that are not a well-formed delta or state.
	ErrMalformed = errors.New("cube: malformed encoding")
	// ErrMismatch: a delta, state or ciphertext made for another registry,
	// cube layout or parameter set.
	ErrMismatch = errors.New("cube: made for another registry, layout or parameter set")
	// ErrOutOfRange: a result whose limb sums may have wrapped modulo the
	// plaintext modulus (too many rows selected for exact sums).
	ErrOutOfRange = errors.New("cube: result out of the exact range")
	// ErrCorrupt: a decrypted result that cannot be the output of Evaluate
	// (a non-zero slot outside the result slots, a limb sum larger than
	// the row count allows).
	ErrCorrupt = errors.New("cube: corrupted result")
	// ErrTooManyFolds: a State already holds MaxFolds deltas (the bound the
	// noise analysis assumes).
	ErrTooManyFolds = errors.New("cube: too many deltas folded")
)
