// Package store keeps a node's shares in Badger on disk.
//
// Layout (all keys are binary; nothing in them is plaintext):
//
//	r/<registry>\x00<pseudonym:32><version:8 BE>  -> pb.StoredShare (one record version)
//	p/<target:1><parcel id:32>                    -> pb.Parcel (sealed shares held for an absent node)
//
// Every version is kept, newest last under its record prefix, so history
// and as-of reads can be added without a migration. Writes are synchronous
// (fsync before a Store is acknowledged) and a request's records are
// written in one transaction: a request is stored whole or not at all.
package store
