//go:build go1.26 && !go1.27

package bubble_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dataembassy/embassy/sim/bubble"
)

// globals is what Run must leave alone.
type globals struct {
	args           []string
	stdout, stderr *os.File
	commandLine    *flag.FlagSet
	parsed         bool
	flags          map[string]string
	maxProcs       int
}

func snapshot() globals {
	g := globals{
		args:        slices.Clone(os.Args),
		stdout:      os.Stdout,
		stderr:      os.Stderr,
		commandLine: flag.CommandLine,
		parsed:      flag.Parsed(),
		flags:       map[string]string{},
		maxProcs:    runtime.GOMAXPROCS(0),
	}
	flag.VisitAll(func(f *flag.Flag) { g.flags[f.Name] = f.Value.String() })
	return g
}

func (g globals) diff(h globals) string {
	var d []string
	if !slices.Equal(g.args, h.args) {
		d = append(d, fmt.Sprintf("os.Args %q, was %q", h.args, g.args))
	}
	if g.stdout != h.stdout || g.stderr != h.stderr {
		d = append(d, "os.Stdout or os.Stderr replaced")
	}
	if g.commandLine != h.commandLine || g.parsed != h.parsed {
		d = append(d, fmt.Sprintf("flag.CommandLine replaced or its Parsed changed (%t, was %t)", h.parsed, g.parsed))
	}
	for name, v := range g.flags {
		if h.flags[name] != v {
			d = append(d, fmt.Sprintf("-%s=%q, was %q", name, h.flags[name], v))
		}
	}
	if len(g.flags) != len(h.flags) {
		d = append(d, fmt.Sprintf("%d flags, were %d", len(h.flags), len(g.flags)))
	}
	if g.maxProcs != h.maxProcs {
		d = append(d, fmt.Sprintf("GOMAXPROCS %d, was %d", h.maxProcs, g.maxProcs))
	}
	return strings.Join(d, "; ")
}

// TestRunFromTest: Run works from a plain test, twice, in virtual time,
// and f sees, and Run leaves, the test binary's globals as they were.
func TestRunFromTest(t *testing.T) {
	before := snapshot()
	for i := range 2 {
		var elapsed time.Duration
		var inside string
		err := bubble.Run(func(bt *testing.T) error {
			inside = before.diff(snapshot())
			start := time.Now()
			time.Sleep(time.Hour)
			elapsed = time.Since(start)
			if bt.Context().Err() != nil {
				return errors.New("t.Context is done while f runs")
			}
			return nil
		})
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if elapsed != time.Hour {
			t.Errorf("run %d: virtual elapsed %v, want exactly 1h", i, elapsed)
		}
		if inside != "" {
			t.Errorf("run %d: inside f: %s", i, inside)
		}
		if d := before.diff(snapshot()); d != "" {
			t.Errorf("run %d: after Run: %s", i, d)
		}
	}
}

// TestRunOutcomes: f's error as it is, its panic, misuse of t and
// deadlocks become errors; Run keeps working after each.
func TestRunOutcomes(t *testing.T) {
	errOwn := errors.New("own error")
	tests := []struct {
		name string
		f    func(t *testing.T) error
		is   error    // errors.Is
		has  []string // in the message
	}{
		{"nil", func(*testing.T) error { return nil }, nil, nil},
		{"error", func(*testing.T) error { return errOwn }, errOwn, []string{"own error"}},
		{"panic", func(*testing.T) error { return panicker() }, bubble.ErrPanic,
			[]string{"bubble: panic: kaboom", "bubble_test.panicker("}},
		{"fatal", func(t *testing.T) error { t.Fatal("stopped here"); return nil }, bubble.ErrTestFailed,
			[]string{"f did not return", "stopped here"}},
		{"error-and-return", func(t *testing.T) error { t.Error("marked"); return nil }, bubble.ErrTestFailed,
			[]string{"marked"}},
		{"skip", func(t *testing.T) error { t.Skip("skipped"); return nil }, bubble.ErrTestFailed,
			[]string{"f did not return"}},
		{"deadlock", func(*testing.T) error { <-make(chan struct{}); return nil }, bubble.ErrDeadlock,
			[]string{"all goroutines in bubble are blocked", "goroutines:"}},
		{"goroutine-left", func(*testing.T) error {
			go func() { <-make(chan struct{}) }()
			return nil
		}, bubble.ErrDeadlock, []string{"main bubble goroutine has exited but blocked goroutines remain"}},
		{"cleanup-in-bubble", func(t *testing.T) error {
			done := make(chan struct{})
			go func() { <-done }()
			t.Cleanup(func() { close(done) })
			return nil
		}, nil, nil},
	}
	before := snapshot()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := bubble.Run(tt.f)
			switch {
			case tt.is == nil && err != nil:
				t.Fatalf("Run: %v", err)
			case tt.is != nil && !errors.Is(err, tt.is):
				t.Fatalf("Run: %v, want %v", err, tt.is)
			}
			for _, s := range tt.has {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error does not contain %q:\n%v", s, err)
				}
			}
			if err := bubble.Run(func(*testing.T) error { time.Sleep(time.Minute); return nil }); err != nil {
				t.Errorf("the next Run: %v", err)
			}
			if d := before.diff(snapshot()); d != "" {
				t.Errorf("after Run: %s", d)
			}
		})
	}
}

func panicker() error { panic("kaboom") }

// TestRunNil: a nil function is an error, not a panic.
func TestRunNil(t *testing.T) {
	if err := bubble.Run(nil); err == nil {
		t.Fatal("Run(nil) succeeded")
	}
}

// TestRunConcurrent: concurrent calls are serialised, each in its own
// bubble.
func TestRunConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			errs[i] = bubble.Run(func(*testing.T) error {
				start := time.Now()
				time.Sleep(time.Duration(i+1) * time.Hour)
				if got := time.Since(start); got != time.Duration(i+1)*time.Hour {
					return fmt.Errorf("slept %v", got)
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("run %d: %v", i, err)
		}
	}
}

// TestRunInsideBubble: synctest refuses a bubble in a bubble; Run says so.
func TestRunInsideBubble(t *testing.T) {
	var err error
	synctest.Test(t, func(*testing.T) {
		err = bubble.Run(func(*testing.T) error { return nil })
	})
	if !errors.Is(err, bubble.ErrPanic) || !strings.Contains(err.Error(), "synctest.Run called from within a synctest bubble") {
		t.Fatalf("Run inside a bubble: %v", err)
	}
}
