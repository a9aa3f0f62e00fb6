// Package testnet lays out and runs a local embassy network on 127.0.0.1:
// keys for n nodes, the custodian and one service, a custodian-signed
// roster, one config file per node and a client.toml (Init), and starts and
// stops the nodes as background processes with pid files and logs (Up,
// Down). It is what `embassy testnet` runs, and what the demo, the
// benchmarks and the end-to-end tests build on.
package testnet
