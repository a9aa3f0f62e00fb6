//go:build race

package run_test

// raceEnabled: under the race detector a scenario runs 5–10 times slower;
// the long acceptance runs are left to the second, race-free pass of
// ./scripts/test.
const raceEnabled = true
