// Package bubble runs a function inside a testing/synctest bubble from an
// ordinary program, so that `embassy sim run` can run a simulation in
// virtual time without `go test`.
//
// Go 1.26 exports only synctest.Test(t, f), which needs the *testing.T of
// a running test. Run creates one the way a `go test` binary does: it
// calls testing.MainStart with a hand-written implementation of testing's
// internal testDeps interface and one test, then M.Run; the test calls
// synctest.Test, and synctest.Test calls f. MainStart is "not subject to
// the Go 1 compatibility document" and may change in any release, so the
// implementation is built only for the Go version it was checked on
// (go1.26 && !go1.27); on any other version Run returns ErrUnsupportedGo.
// The test TestDemoBinary builds a small program (internal/bubbledemo),
// runs it and checks its exact output: a Go upgrade that breaks the
// mechanism fails there, loudly.
//
// Guarantees of Run (Go 1.26):
//
//   - f runs in a new bubble: time starts at 2000-01-01 00:00:00 UTC and
//     advances only when every goroutine of the bubble is durably blocked;
//     Run returns after f and every goroutine it started have returned.
//   - Run prints nothing. While testing's own code runs (before f starts
//     and after it returns) os.Stdout and os.Stderr point to a pipe that
//     Run drains; what testing writes there ("PASS", "--- FAIL: ...") is
//     discarded, or quoted in the error when something went wrong. While f
//     runs they are the caller's, so f may print.
//   - The caller's os.Args, flag.CommandLine and the values of the
//     testing package's flags are as they were, both while f runs and
//     after Run returns (see "How" below). GOMAXPROCS too.
//   - Run can be called any number of times, one after another, in one
//     process; concurrent calls are serialised.
//   - f's error is returned as it is. A panic in f (in the goroutine that
//     runs f) becomes an error wrapping ErrPanic, with f's stack; a bubble
//     that deadlocks (every goroutine blocked with no timer to wake one,
//     or goroutines left blocked after f returned) becomes ErrDeadlock,
//     with every goroutine's stack; f calling t.Fail, t.Error, t.Fatal,
//     t.Skip and the like becomes ErrTestFailed. A panic in another
//     goroutine that f started still crashes the program, as it would in
//     any program.
//
// Rules for f (the bubble's rules, plus what testing allows):
//
//   - Report failure by returning an error, never with t.Fatal, t.Error,
//     t.FailNow or t.Skip: their output is testing's, which Run discards
//     (t.Log output too: use your own logger).
//   - Do not call t.Run, t.Parallel or t.Deadline (synctest forbids them),
//     and do not call Run from inside f or from any bubble: synctest
//     refuses nested bubbles (Run returns ErrPanic).
//   - t.Context, t.Cleanup (run inside the bubble, before Run returns),
//     t.TempDir (removed when f is done), t.Setenv and t.Chdir work.
//   - No sync.Mutex may be held while waiting for something that needs
//     virtual time to pass (docs/sim.md §2): a goroutine waiting for a
//     mutex is not durably blocked, so the clock stops.
//
// Deterministic crypto randomness: testing/cryptotest.SetGlobalRandom(t,
// seed) works with the t that f receives, but only in a binary for which
// testing.Testing() is true: it panics ("used in a non-test binary")
// otherwise, and Run returns that as ErrPanic. `go test` links its
// binaries with -X testing.testBinary=1; an ordinary program must be built
// the same way (go build -ldflags=-X=testing.testBinary=1) to use it. The
// linker refuses any go:linkname to crypto/internal/rand.SetTestingReader
// or to testing.testBinary from other packages, so there is no way around
// this from inside the program. No dependency of this module reads
// testing.Testing() except testing/cryptotest (checked on Go 1.26.8).
//
// # How
//
// testing.MainStart calls testing.Init, which registers the -test.*
// flags on flag.CommandLine; M.Run parses flag.CommandLine from os.Args
// unless it was already parsed, and reads those flags. Run never touches
// os.Args. If the caller's flag.CommandLine has no -test.* flags (an
// ordinary program), Run lets testing register them on a private
// FlagSet of its own (by pointing flag.CommandLine at it while MainStart
// runs); in a `go test` binary they already exist on flag.CommandLine.
// Either way, while testing's code runs, Run sets the flags that change
// what M.Run does to safe values (no -test.timeout alarm, -test.count=1,
// no -test.v, no profiles, no test log, no -test.paniconexit0, no
// -test.failfast, no shuffle, no fuzzing or benchmarks) and points
// flag.CommandLine at an empty, already parsed FlagSet so that M.Run parses
// nothing; it puts everything back while f runs and when M.Run returns.
// Redirecting only around testing's code, not f, keeps f's output and
// the caller's flags intact; a pipe rather than os.DevNull lets Run quote
// testing's report when f misused t.
//
// Limits: the swaps assign the os.Stdout, os.Stderr and flag.CommandLine
// variables, so no other goroutine of the program may use them while Run
// is starting or finishing (the race detector would report it). M.Run
// sets GOMAXPROCS, which (like any call to runtime.GOMAXPROCS) turns off
// the runtime's automatic GOMAXPROCS updates for the rest of the process.
// Under `go test -cover`, each Run makes testing write a coverage report
// into its discarded output. testing registers its flags once per process:
// a program that calls testing.Init after its first Run gets no -test.*
// flags on its flag.CommandLine. After ErrDeadlock the bubble's goroutines
// stay blocked for the rest of the process (synctest cannot end them).
package bubble
