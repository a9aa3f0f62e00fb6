package client

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// The federation-key lock is a channel: a caller waiting for it gives up
// when its context ends, and inside a synctest bubble it is durably
// blocked, so virtual time runs on while the holder waits (a sync.Mutex
// would hang the bubble: the holder's timer never fires).
func TestFedKeyLockWaitsDurably(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFedKey()
		if err := f.lock(t.Context()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		waited := make(chan error, 1)
		go func() { waited <- f.lock(ctx) }()
		time.Sleep(2 * time.Second) // the holder waits; the waiter's deadline passes
		if err := <-waited; !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("waiter: %v, want the deadline", err)
		}
		f.unlock()
		if err := f.lock(t.Context()); err != nil {
			t.Fatalf("lock after unlock: %v", err)
		}
		f.unlock()
	})
}
