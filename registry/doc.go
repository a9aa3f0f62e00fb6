// Package registry describes national registry data as it enters Embassy.
//
// Schemas are data: population, land and business are JSON files embedded
// from schemas/ (see Builtin, Lookup and ParseSchema). A schema lists typed
// fields in order and names the key field. Validate checks a row against
// it: every field is required, strings are valid UTF-8 without NUL and at
// most 256 bytes unless the schema says otherwise, ints are canonical
// decimal text, dates are real YYYY-MM-DD dates, and personal codes,
// registry codes, cadastral codes and country codes are checked by their
// own rules, including check digits and, for the population register, the
// agreement of a personal code with the sex and birth date fields.
//
// Rows come in as RFC 4180 CSV with a header (columns in any order) or as
// JSON Lines, through Reader, which reports bad rows with their line
// numbers and carries on; Writer writes both formats.
//
// A Record is encoded for secret sharing by EncodeRecord as a version byte
// (RecordVersion) followed by each value as a uvarint byte length and the
// bytes. The encoding is deterministic, and DecodeRecord accepts exactly
// the encodings EncodeRecord makes. RecordJSON renders a record as one JSON
// object in schema order, with int fields as numbers.
//
// Generator and Generate make seeded synthetic data with realistic shapes
// (county shares, age pyramid, Estonian and Russian names, valid and unique
// codes) for tests and benchmarks.
//
// The package imports only the standard library and keeps no mutable
// package state.
package registry
