// Command embassy is the one binary of Embassy: it runs a node, lays out and
// runs a local testnet, generates synthetic registries, ingests, reads and
// deletes records, runs the demo and the benchmarks, and checks simulation
// scenarios (embassy sim).
//
// Run `embassy help` for the commands and `embassy COMMAND --help` for each.
// Exit codes: 0 success; 1 failure; 2 bad usage, input or configuration;
// 3 record not found; 4 threshold not met (too few nodes answered);
// 5 ingest finished but rejected some rows.
package main
