// Package topology describes where an embassy network's machines stand and
// how the links between them behave: sites (id, country, city, position),
// a round-trip-time matrix between sites, per-link bandwidth, loss and
// jitter, and the placement of nodes at sites.
//
// The round-trip times come from data shipped inside this package (see
// data/README.md): RIPE Atlas country-to-country means from 2025, with
// Luxembourg derived from Belgium, Germany and France, and the physical
// floor (great-circle distance × 2 at 200,000 km/s, the speed of light in
// fibre) wherever there is no measurement. Nothing is read from outside the
// binary.
//
// Guarantees: every link's RTT is at or above the physical floor between
// its sites, unless a caller sets it lower on purpose with SetLink; links
// are symmetric; every link says where its RTT came from (Link.Source and
// Link.Note); the same sites give the same matrix. The package is pure: no
// I/O, no clocks, no randomness.
package topology
