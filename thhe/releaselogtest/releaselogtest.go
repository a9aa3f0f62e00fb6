package releaselogtest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/dataembassy/embassy/thhe"
)

// Opener opens an empty log for one subtest. reopen simulates a restart:
// it closes the log and returns a new one over the same storage (an
// in-memory log, whose lifetime is the object's, returns itself).
type Opener func(t *testing.T) (log thhe.ReleaseLog, reopen func(t *testing.T) thhe.ReleaseLog)

// Run runs the conformance checks against the logs open makes.
func Run(t *testing.T, open Opener) {
	t.Run("once", func(t *testing.T) {
		log, _ := open(t)
		d1, d2 := digest(t), digest(t)
		if err := log.Reserve(d1, "query 1 attempt 0"); err != nil {
			t.Fatalf("first reservation: %v", err)
		}
		for _, label := range []string{"query 1 attempt 0", "query 2 attempt 0", ""} {
			if err := log.Reserve(d1, label); !errors.Is(err, thhe.ErrShareAlreadyReleased) {
				t.Fatalf("second reservation (label %q): %v, want ErrShareAlreadyReleased", label, err)
			}
		}
		if err := log.Reserve(d2, "query 1 attempt 0"); err != nil {
			t.Fatalf("another digest under the same label: %v", err)
		}
	})
	t.Run("concurrent one digest", func(t *testing.T) {
		log, _ := open(t)
		for round := range 4 {
			d := digest(t)
			errs := reserveAll(log, 16, func(int) [32]byte { return d })
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, thhe.ErrShareAlreadyReleased):
					t.Fatalf("round %d: %v, want nil or ErrShareAlreadyReleased", round, err)
				}
			}
			if ok != 1 {
				t.Fatalf("round %d: %d of 16 concurrent reservations of one digest succeeded, want 1", round, ok)
			}
		}
	})
	t.Run("concurrent distinct digests", func(t *testing.T) {
		log, _ := open(t)
		ds := make([][32]byte, 32)
		for i := range ds {
			ds[i] = digest(t)
		}
		for i, err := range reserveAll(log, len(ds), func(i int) [32]byte { return ds[i] }) {
			if err != nil {
				t.Fatalf("digest %d: %v", i, err)
			}
		}
		for i, d := range ds {
			if err := log.Reserve(d, "again"); !errors.Is(err, thhe.ErrShareAlreadyReleased) {
				t.Fatalf("digest %d again: %v, want ErrShareAlreadyReleased", i, err)
			}
		}
	})
	t.Run("restart", func(t *testing.T) {
		log, reopen := open(t)
		d1, d2 := digest(t), digest(t)
		if err := log.Reserve(d1, "before restart"); err != nil {
			t.Fatal(err)
		}
		log = reopen(t)
		if err := log.Reserve(d1, "after restart"); !errors.Is(err, thhe.ErrShareAlreadyReleased) {
			t.Fatalf("digest reserved before the restart: %v, want ErrShareAlreadyReleased", err)
		}
		if err := log.Reserve(d2, "after restart"); err != nil {
			t.Fatalf("fresh digest after the restart: %v", err)
		}
	})
}

// reserveAll calls Reserve n times at once, call i with digest d(i).
func reserveAll(log thhe.ReleaseLog, n int, d func(int) [32]byte) []error {
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Go(func() {
			start.Wait()
			errs[i] = log.Reserve(d(i), fmt.Sprintf("caller %d", i))
		})
	}
	start.Done()
	done.Wait()
	return errs
}

func digest(t *testing.T) [32]byte {
	t.Helper()
	var d [32]byte
	if _, err := rand.Read(d[:]); err != nil {
		t.Fatal(err)
	}
	return d
}
