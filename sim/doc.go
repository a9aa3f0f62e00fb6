// Package sim describes reproducible simulations of embassy networks: a
// scenario file (YAML) names a topology of sites, the nodes and their
// threshold, a workload of clients, and a timeline of events (kill and
// restart nodes, partition sites, degrade links, DDoS and Byzantine nodes,
// random churn). This package parses and validates scenarios, expands
// their timelines into the exact list of actions a run performs, and
// expands --sweep grids. It does not run anything yet.
//
// Guarantees:
//
//   - Load reports every problem of a scenario in one pass, each with its
//     line (an *InvalidError; ErrInvalid); a scenario that loads without
//     error expands without error. An ally leaving or joining is always
//     rejected (ErrNotSupported): it needs resharing, which does not exist.
//   - The same scenario and seed give the same expanded timeline, byte for
//     byte (churn is drawn from math/rand/v2 PCG seeded by the scenario's
//     seed and the entry's index, in whole milliseconds).
//   - No input panics (fuzzed), no I/O, no clocks: the package is pure, and
//     imports only sim/topology and a YAML decoder.
//
// # The simulated network (decision)
//
// Runs will use the real node, coordinator and client code over
// go-libp2p's real QUIC transport, whose UDP sockets are replaced by
// in-process packet connections (quicreuse.OverrideListenUDP, the
// mechanism of go-libp2p's x/simlibp2p), inside a testing/synctest bubble
// so that time is virtual: an hour of scenario passes in seconds, and the
// timings repeat exactly when crypto randomness is seeded
// (testing/cryptotest.SetGlobalRandom). mocknet was rejected: real time
// only (a 1-hour scenario takes an hour; latencies distorted by 2 shared
// cores), no security handshake, no gater hook, stream deadlines that do
// nothing. spike_test.go proves the chosen path carries a real
// transport.Exchange through the roster gater with a configured latency;
// nodes_test.go runs three real nodes (node.Start and node.Run with their
// hosts from sim/simhost, small Badger stores, the federation key setup)
// and a custodian client that ingests and reads back records, all in one
// bubble. docs/sim.md records the evaluation, the node seam, and what the
// run slice must build.
package sim
