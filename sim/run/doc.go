// Package run runs a scenario: the real embassy nodes (node.Start, their
// Badger stores, every protocol handler), custodian and service clients
// (client.New, with the query coordinator running in the service's
// process) over a simulated packet network (sim/netsim) carrying real
// libp2p QUIC (sim/simhost), all inside one testing/synctest bubble so
// that a scenario's hours pass in virtual time.
//
// What it guarantees:
//   - No protocol is re-implemented: the simulation drives the same code
//     a deployment runs; only the sockets and the clock are simulated.
//   - Every identity, the workload, the churn and the network's random
//     draws come from the scenario's seed (crypto randomness too, when the
//     caller seeds the bubble with cryptotest.SetGlobalRandom; InBubble
//     does). The run's outputs carry virtual times only.
//   - Same seed, same run: run twice in a test binary with InBubble, a
//     scenario gives byte-identical outputs, latencies and byte counts
//     included. The network orders what is sent at one instant itself
//     (sim/netsim); the runner does what it does (start a node or a
//     client, apply an action) at instants of its own; every stream of
//     every host opens, writes and closes at an instant of its own, in a
//     fixed order (isolatedHost); the run has one thread (GOMAXPROCS 1)
//     and crypto randomness restarts from the seed at every settled
//     instant. docs/sim.md, "Determinism", has what it rests on.
//   - Computation is free in virtual time, so CPU work is charged from a
//     cost model of measured production costs (CostModel): node handlers
//     hold one of the node's cores for the modelled time before they
//     answer; clients sleep their own modelled work.
//
// Run must be called inside a synctest bubble: outside one, a scenario's
// hours would take hours.
package run
