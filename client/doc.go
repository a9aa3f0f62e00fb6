// Package client is the Go client of an embassy network, used by the CLI:
// the custodian's ingest and delete, and look-ups by the custodian or a
// service. It talks to every node directly over libp2p (Noise-secured
// streams authenticated by the roster), so shares travel only between the
// node that holds them and the principal that asked.
//
// Ingest deals each batch of rows into Shamir shares (package protocol's
// BatchBuilder), sends each node its own shares, and counts a row as stored
// only when every node acknowledged a synchronous write, or when at least
// t+1 did and the shares of the absent nodes are held, sealed to those
// nodes' keys, by the nodes that are up. Rows that reached only t nodes are
// "pending": readable, and delivered to the others when they return.
package client
