// Package registry describes national registry data as it enters Embassy.
//
// It knows the registry schemas (population, land, business), which are
// plain JSON data embedded in the binary; it validates rows against them;
// it reads and writes rows as CSV (RFC 4180) or JSON Lines; it encodes a
// record into the compact, deterministic binary form that is secret-shared
// across nodes, and decodes it strictly; it renders one record as a JSON
// object; and it generates seeded, realistic synthetic data for tests and
// benchmarks.
//
// The package is a leaf: it imports only the standard library and keeps no
// mutable package state.
package registry
