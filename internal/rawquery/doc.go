// Package rawquery runs the homomorphic work of one encrypted query in a
// single process, with no network, storage, signatures or policy checks:
// the "raw HE" reference that `embassy bench query` compares the end-to-end
// latency with.
//
// A Group is an in-process threshold group of n thhe parties (threshold t)
// that has run the same key protocols as the nodes (collective public key,
// the Galois keys of thhe.InnerSumGaloisElements), plus a querier's key
// pair. Fold encrypts the statistics of a set of records under the group's
// key and folds them into a cube.State (one delta: Evaluate's work depends
// on the plan and the layout only, not on how many deltas were folded).
// Run then does, for one plan, what the nodes and the querier do:
//
//   - on one node: cube.Evaluate, Result.Rerandomize, and for every result
//     ciphertext its encoding and a key-switch share (thhe) towards the
//     querier's key, marshalled — as node/query.go does;
//   - on the coordinator and the querier: decoding the t shares of each
//     ciphertext, aggregating them, decrypting and decoding the cells
//     (cube.Decode).
//
// Every member of the active set computes its shares here, one after the
// other; Timing.Share is their mean, the time one node spends. Timing.Total
// is the critical path when the t nodes work in parallel: one node's work
// plus the combination. The cells Run returns are exact (the caller checks
// them against a plaintext reference).
//
// Nothing here is for production: the group's secret shares all live in
// one process.
package rawquery
