// Package e2e holds Embassy's end-to-end acceptance tests. They build the
// embassy binary once, lay out local 5-node testnets (threshold 3) on
// 127.0.0.1 in temporary directories, run the nodes as real background
// processes with `embassy testnet up`, and drive them only through the
// command line (ingest, get, delete, testnet up/down) and signals (kill -9),
// comparing what `get` prints byte for byte with the rows of the input file.
//
// TestQuery (query_test.go) does the same for encrypted aggregate queries:
// `embassy query` through the testnet's coordinator must print exactly what
// the plaintext oracle (query.Oracle over the input files) gives, with
// nodes killed too; queries signed in the test and posted to the
// coordinator's HTTP API check the refusals (unknown key, expired, replay,
// policy); and with the network stopped it audits every node's
// once-per-ciphertext release record (`embassy node releases`) and
// searches the nodes' data and logs for the input's values and the answers.
//
// The tests are skipped with -short. Every test stops its network in a
// cleanup, so no node process outlives it:
//
//	go test ./e2e/ -count=1 -v
package e2e
