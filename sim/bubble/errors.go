package bubble

import "errors"

var (
	// ErrUnsupportedGo: this Go version is not one that Run's use of
	// testing.MainStart was checked on.
	ErrUnsupportedGo = errors.New("bubble: running a synctest bubble outside `go test` is only implemented for Go 1.26; " +
		"build with Go 1.26, or run the simulation under `go test ./sim/run -run TestScenario -args ...`")
	// ErrPanic: f panicked (or the bubble could not be created).
	ErrPanic = errors.New("bubble: panic")
	// ErrDeadlock: every goroutine of the bubble was blocked with nothing
	// left to wake one, or goroutines were still blocked when f returned.
	ErrDeadlock = errors.New("bubble: deadlock")
	// ErrTestFailed: f marked its *testing.T failed or skipped (t.Error,
	// t.Fatal, t.Skip, ...) instead of returning an error, or the testing
	// framework reported a failure (e.g. a data race).
	ErrTestFailed = errors.New("bubble: the testing framework reported a failure")
)
