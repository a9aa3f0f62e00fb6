//go:build !go1.26 || go1.27

package bubble_test

import (
	"errors"
	"testing"

	"github.com/dataembassy/embassy/sim/bubble"
)

// TestRunUnsupported: on a Go version Run was not checked on, it says so
// and does not call f.
func TestRunUnsupported(t *testing.T) {
	called := false
	err := bubble.Run(func(*testing.T) error { called = true; return nil })
	if !errors.Is(err, bubble.ErrUnsupportedGo) || called {
		t.Fatalf("Run: %v (f called: %t), want ErrUnsupportedGo without calling f", err, called)
	}
}
