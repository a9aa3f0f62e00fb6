// Package roster defines the signed list of who belongs to an embassy
// network: its nodes (index, ally, country, keys, addresses), the threshold
// t of n, the custodian and the government services.
//
// A roster is signed by the custodian's Ed25519 key. Nodes pin that key in
// their configuration and refuse a roster that does not verify; the
// connection gater admits only peers whose keys the verified roster lists.
// The signature covers the exact bytes of the "roster" member of the file,
// so no re-encoding can change what was signed.
package roster
