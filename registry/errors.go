package registry

import "errors"

// Sentinel errors that callers can branch on with errors.Is. Returned errors
// wrap them with details (the field, the column, the reason).
var (
	// ErrUnknownRegistry is returned by Lookup for a name that is not a
	// built-in registry; the message lists the known names.
	ErrUnknownRegistry = errors.New("unknown registry")
	// ErrBadHeader is returned by NewReader when a CSV header does not hold
	// exactly the schema's field names.
	ErrBadHeader = errors.New("bad header")
	// ErrInvalidRow is wrapped by every validation failure of a row.
	ErrInvalidRow = errors.New("invalid row")
	// ErrMalformedRecord is returned by DecodeRecord for bytes that are not
	// a well-formed record of the schema.
	ErrMalformedRecord = errors.New("malformed record")
	// ErrInvalidSchema is returned by ParseSchema for a schema that is not
	// well formed.
	ErrInvalidSchema = errors.New("invalid schema")
	// ErrUnknownFormat is returned for a file format (or file extension)
	// that is neither CSV nor JSON Lines.
	ErrUnknownFormat = errors.New("unknown format")
	// ErrTooManyRows is returned by Generate when more rows are asked for
	// than the registry's key space allows (see Generator.MaxRows).
	ErrTooManyRows = errors.New("too many rows for unique keys")
)

var (
	errTruncated = errors.New("truncated")
	errBadLength = errors.New("overlong or non-minimal length")
)
