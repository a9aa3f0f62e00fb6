// Package coordinator answers a service's signed, encrypted query with the
// help of the nodes, without being able to read anything.
//
// Run takes a SignedQuery and:
//
//  1. Prepare: asks every node to check the query (signature, roster,
//     freshness, policy, plan) and to report the state of the encrypted
//     statistics it would evaluate on (digest and batch count). Nodes that
//     refuse give a coded reason; if any node refuses the query itself
//     (unknown key, bad signature, expired, replayed, outside policy,
//     invalid), Run returns that refusal (ErrRefused).
//  2. Choose: the nodes that report one state form a group; the group with
//     the most folded batches among those with at least t members is used.
//     No such group: ErrThresholdNotMet ("threshold not met: 2 of 3 nodes
//     reachable").
//  3. Evaluate: asks t members (the active set) to evaluate attempt k. Each
//     computes the result from its own ciphertexts, re-randomises it with a
//     seed bound to (query, attempt), and returns the result ciphertexts and
//     one key-switch share per ciphertext towards the service's key. The
//     members' ciphertexts must be byte-identical; the shares are combined
//     (thhe.AggregateKeySwitch) into ciphertexts only the service can
//     decrypt. If a member fails, the next attempt uses another active set
//     (each node refuses to evaluate one (query, attempt) twice, and the
//     re-randomised ciphertexts differ per attempt, so no node ever releases
//     two shares for one ciphertext), up to protocol.MaxQueryAttempts.
//
// Guarantee: the coordinator holds no secret key of any kind (it is built
// from public parameters only; a test checks that this package never
// touches a secret key or decryption), so it cannot read record fields,
// intermediate results or answers. It is trusted for availability only: it
// can drop or delay queries, not read or alter answers undetectably beyond
// making them fail to decode.
//
// Server exposes Run over HTTP: POST /v1/queries and GET /v1/queries/{id}
// (openapi.yaml in this directory).
package coordinator
