// Package protocol defines how Embassy principals talk: versioned stream
// protocol IDs (/embassy/<name>/1.0.0), the protobuf messages in package pb,
// the length-delimited framing with a size bound per protocol, the checks a
// receiver applies to a stored share before relying on it, and the
// pseudonyms that index records.
//
// It does no I/O of its own (it works on io.Reader/io.Writer) and imports
// neither libp2p, Badger nor net; the Transport interface is implemented by
// package transport over libp2p. A test enforces the dependency rule.
//
// Guarantees checked here (VerifyStoredShare): the manifest was signed by the
// custodian (through the batch Merkle root), the share is the one the
// custodian dealt to that node index (its digest is in the manifest), and the
// manifest is for the registry and pseudonym that was asked for.
package protocol
