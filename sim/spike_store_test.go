package sim_test

import (
	"log/slog"
	"maps"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dataembassy/embassy/node/store"
)

// The node's Badger store opens, writes, reads and closes inside a
// synctest bubble, and its background goroutines all stop on Close (the
// bubble fails the test otherwise), while virtual time passes.
func TestSpikeStoreInBubble(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		st, err := store.Open(dir, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]byte{"a": []byte("1"), "b": []byte("2")}
		if err := st.UpdateKeys(want); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Minute) // Badger's tickers fire in virtual time
		got, err := st.ListKeys("")
		if err != nil {
			t.Fatal(err)
		}
		if !maps.EqualFunc(got, want, func(a, b []byte) bool { return string(a) == string(b) }) {
			t.Errorf("read back %q, want %q", got, want)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	})
}
