//go:build go1.26 && !go1.27

package bubble

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// state is Run's process-wide state. It is a package variable because
// what it guards is: the testing package registers its flags once per
// process and keeps its settings in package variables.
var state struct {
	mu sync.Mutex
	// flags is where testing.Init registered the -test.* flags when the
	// program's flag.CommandLine did not have them (an ordinary program).
	flags *flag.FlagSet
}

// quiet lists the testing flags that change what M.Run does, with the
// values Run gives them while testing's own code runs.
func quiet() [][2]string {
	return [][2]string{
		{"test.run", ""}, // the one test
		{"test.skip", ""},
		{"test.list", ""},
		{"test.count", "1"},
		{"test.cpu", ""},
		{"test.v", "false"},
		{"test.timeout", "0s"}, // no alarm: a simulation may run for hours
		{"test.failfast", "false"},
		{"test.shuffle", "off"},
		{"test.paniconexit0", "false"},
		{"test.testlogfile", ""},
		{"test.coverprofile", ""},
		{"test.gocoverdir", ""},
		{"test.cpuprofile", ""},
		{"test.memprofile", ""},
		{"test.memprofilerate", "0"},
		{"test.blockprofile", ""},
		{"test.mutexprofile", ""},
		{"test.trace", ""},
		{"test.artifacts", "false"},
		{"test.bench", ""},
		{"test.fuzz", ""},
		{"test.fuzzworker", "false"},
	}
}

// maxOutput bounds how much of testing's own output Run keeps to quote.
const maxOutput = 64 << 10

// Run runs f in a new synctest bubble and returns f's error, or an error
// wrapping ErrPanic, ErrDeadlock or ErrTestFailed if f panicked, the
// bubble deadlocked or f used t to fail or skip. f must report failure by
// returning an error, never with t.Fatal, t.Error or t.Skip. Run prints
// nothing and leaves os.Args, flag.CommandLine and the testing flags as
// they were; it may be called any number of times, and concurrent calls
// are serialised. Run must not be called from inside a bubble. See the
// package documentation for the details and the limits.
func Run(f func(t *testing.T) error) error {
	if f == nil {
		return errors.New("bubble: Run with a nil function")
	}
	state.mu.Lock()
	defer state.mu.Unlock()

	flags := flag.CommandLine
	if flags.Lookup("test.run") == nil {
		if state.flags == nil {
			state.flags = flag.NewFlagSet("bubble", flag.ContinueOnError)
			state.flags.SetOutput(io.Discard)
		}
		flags = state.flags
	}
	r := &runner{f: f, empty: flag.NewFlagSet("bubble-parsed", flag.ContinueOnError)}
	if err := r.empty.Parse(nil); err != nil {
		return fmt.Errorf("bubble: %w", err)
	}
	// MainStart calls testing.Init, which registers the flags on
	// flag.CommandLine the first time in the process.
	caller := flag.CommandLine
	flag.CommandLine = flags
	m := testing.MainStart(deps{}, []testing.InternalTest{{Name: "bubble", F: r.test}}, nil, nil, nil)
	flag.CommandLine = caller
	for _, q := range quiet() {
		fl := flags.Lookup(q[0])
		if fl == nil {
			return fmt.Errorf("bubble: the testing flag -%s is not registered (on Go %s, or testing.Init ran on a flag.CommandLine that was replaced since)", q[0], runtime.Version())
		}
		r.flags = append(r.flags, quietFlag{value: fl.Value, quiet: q[1]})
	}

	pr, pw, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("bubble: a pipe for testing's output: %w", err)
	}
	r.pipe = pw
	var out limited
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		_, _ = io.Copy(&out, pr)
	}()

	r.enter()
	code := m.Run()
	r.leave()
	_ = pw.Close()
	<-drained
	_ = pr.Close()

	switch {
	case r.swapErr != nil:
		return r.swapErr
	case r.err != nil:
		return r.err
	case !r.started:
		return fmt.Errorf("bubble: the testing framework did not run f (exit code %d)%s", code, quote(out.String()))
	case !r.returned:
		return fmt.Errorf("%w: f did not return (it called t.FailNow, t.Fatal, t.SkipNow, t.Skip or runtime.Goexit; return an error instead)%s", ErrTestFailed, quote(out.String()))
	case r.failed || code != 0:
		return fmt.Errorf("%w (exit code %d)%s", ErrTestFailed, code, quote(out.String()))
	}
	return nil
}

// runner is one call of Run.
type runner struct {
	f     func(t *testing.T) error
	empty *flag.FlagSet // parsed, no flags: M.Run parses nothing
	flags []quietFlag
	pipe  *os.File

	saved saved // the program's state while testing's code runs

	started  bool  // the test function ran (once)
	returned bool  // f returned
	failed   bool  // the test was marked failed
	err      error // f's error, or its panic or the bubble's deadlock
	swapErr  error // a flag value could not be set or restored
}

type quietFlag struct {
	value flag.Value
	quiet string
}

type saved struct {
	stdout, stderr *os.File
	commandLine    *flag.FlagSet
	maxProcs       int
	values         []string
}

// enter saves the program's os.Stdout, os.Stderr, flag.CommandLine,
// GOMAXPROCS and testing flags, and sets what testing's code should see.
func (r *runner) enter() {
	r.saved = saved{
		stdout:      os.Stdout,
		stderr:      os.Stderr,
		commandLine: flag.CommandLine,
		maxProcs:    runtime.GOMAXPROCS(0),
		values:      make([]string, len(r.flags)),
	}
	for i, q := range r.flags {
		r.saved.values[i] = q.value.String()
		if err := q.value.Set(q.quiet); err != nil && r.swapErr == nil {
			r.swapErr = fmt.Errorf("bubble: setting a testing flag to %q: %w", q.quiet, err)
		}
	}
	os.Stdout, os.Stderr = r.pipe, r.pipe
	flag.CommandLine = r.empty
}

// leave puts back what enter saved.
func (r *runner) leave() {
	os.Stdout, os.Stderr = r.saved.stdout, r.saved.stderr
	flag.CommandLine = r.saved.commandLine
	for i, q := range r.flags {
		if err := q.value.Set(r.saved.values[i]); err != nil && r.swapErr == nil {
			r.swapErr = fmt.Errorf("bubble: restoring a testing flag to %q: %w", r.saved.values[i], err)
		}
	}
	if runtime.GOMAXPROCS(0) != r.saved.maxProcs {
		runtime.GOMAXPROCS(r.saved.maxProcs)
	}
}

// test is the one test M.Run runs. The program's state is in place while
// it runs, testing's around it.
func (r *runner) test(t *testing.T) {
	r.leave()
	defer r.enter() // deferred: also when f calls t.FailNow (runtime.Goexit)
	if r.started {
		return // a -test.cpu list of the enclosing `go test`: f runs once
	}
	r.started = true
	defer func() {
		if p := recover(); p != nil {
			r.err = unbubbled(p)
		}
		r.failed = t.Failed() || t.Skipped()
	}()
	synctest.Test(t, func(t *testing.T) {
		defer func() {
			if p := recover(); p != nil {
				r.err = fmt.Errorf("%w: %v\n\n%s", ErrPanic, p, debug.Stack())
				r.returned = true
			}
		}()
		r.err = r.f(t)
		r.returned = true
	})
}

// unbubbled is the error for a panic of synctest.Test itself.
func unbubbled(p any) error {
	if e, ok := p.(error); ok && strings.HasPrefix(e.Error(), "deadlock: ") {
		return fmt.Errorf("%w: %s\n\ngoroutines:\n%s", ErrDeadlock, strings.TrimPrefix(e.Error(), "deadlock: "), allStacks())
	}
	return fmt.Errorf("%w: %v\n\n%s", ErrPanic, p, debug.Stack())
}

// allStacks is every goroutine's stack, at most 8 MiB of it.
func allStacks() []byte {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) || len(buf) >= 8<<20 {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

func quote(out string) string {
	out = strings.TrimSpace(out)
	if out == "" {
		return ""
	}
	return "; testing reported:\n" + out
}

// limited keeps the first maxOutput bytes written to it.
type limited struct{ b strings.Builder }

func (l *limited) Write(p []byte) (int, error) {
	if room := maxOutput - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (l *limited) String() string { return l.b.String() }

// deps implements testing's internal testDeps interface (Go 1.26,
// testing/internal/testdeps.TestDeps is the real one) with nothing: no
// profiles, no test log, no fuzzing, no coverage.
type deps struct{}

// corpusEntry is testing.corpusEntry, an alias of this struct type.
type corpusEntry = struct {
	Parent     string
	Path       string
	Data       []byte
	Values     []any
	Generation int
	IsSeed     bool
}

var errNotSupported = errors.New("bubble: not supported outside go test")

func (deps) ImportPath() string { return "" }
func (deps) ModulePath() string { return "" }
func (deps) MatchString(pat, str string) (bool, error) {
	return regexp.MatchString(pat, str)
}
func (deps) SetPanicOnExit0(bool)                        {}
func (deps) StartCPUProfile(io.Writer) error             { return errNotSupported }
func (deps) StopCPUProfile()                             {}
func (deps) StartTestLog(io.Writer)                      {}
func (deps) StopTestLog() error                          { return nil }
func (deps) WriteProfileTo(string, io.Writer, int) error { return errNotSupported }
func (deps) CoordinateFuzzing(time.Duration, int64, time.Duration, int64, int, []corpusEntry, []reflect.Type, string, string) error {
	return errNotSupported
}
func (deps) RunFuzzWorker(func(corpusEntry) error) error { return errNotSupported }
func (deps) ReadCorpus(string, []reflect.Type) ([]corpusEntry, error) {
	return nil, errNotSupported
}
func (deps) CheckCorpus([]any, []reflect.Type) error { return errNotSupported }
func (deps) ResetCoverage()                          {}
func (deps) SnapshotCoverage()                       {}
func (deps) InitRuntimeCoverage() (string, func(string, string) (string, error), func() float64) {
	return "", nil, nil
}
