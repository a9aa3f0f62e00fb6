package node

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dataembassy/embassy/node/store"
	"github.com/dataembassy/embassy/thhe"
	"github.com/dataembassy/embassy/thhe/releaselogtest"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// openTestLog opens a release log over a fresh store in a data directory
// laid out as a node's (<dataDir>/badger); closing and reopening it is a
// restart.
func openTestLog(t *testing.T, dataDir string, now func() time.Time) (*releaseLog, func()) {
	t.Helper()
	st, err := store.Open(filepath.Join(dataDir, "badger"), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	l, err := openReleaseLog(st, now)
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	closed := false
	closeFn := func() {
		if !closed {
			closed = true
			if err := st.Close(); err != nil {
				t.Error(err)
			}
		}
	}
	t.Cleanup(closeFn)
	return l, closeFn
}

// TestReleaseLogConformance runs the node's Badger log through the same
// checks as thhe's in-memory one; its restart closes and reopens the store.
func TestReleaseLogConformance(t *testing.T) {
	releaselogtest.Run(t, func(t *testing.T) (thhe.ReleaseLog, func(*testing.T) thhe.ReleaseLog) {
		dir := t.TempDir()
		l, closeLog := openTestLog(t, dir, time.Now)
		return l, func(t *testing.T) thhe.ReleaseLog {
			closeLog()
			l, closeLog = openTestLog(t, dir, time.Now)
			return l
		}
	})
}

// TestReleaseRecord: the record keeps label and time, counts across a
// restart, lists oldest first, and can be read from a stopped node's data
// directory (not while it is open).
func TestReleaseRecord(t *testing.T) {
	dir := t.TempDir()
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(time.Second); return clock }
	l, closeLog := openTestLog(t, dir, now)
	ds := [][32]byte{{3}, {1}, {2}}
	for i, d := range ds {
		if err := l.Reserve(d, "query q attempt "+string(rune('0'+i))); err != nil {
			t.Fatal(err)
		}
	}
	err := l.Reserve(ds[0], "query r attempt 0")
	if !errors.Is(err, thhe.ErrShareAlreadyReleased) || !strings.Contains(err.Error(), "query q attempt 0") {
		t.Fatalf("second reservation: %v, want ErrShareAlreadyReleased naming the first release", err)
	}
	for _, bad := range []string{strings.Repeat("x", MaxReleaseLabel+1), "\xff"} {
		if err := l.Reserve([32]byte{9}, bad); err == nil || errors.Is(err, thhe.ErrShareAlreadyReleased) {
			t.Fatalf("label of %d bytes: %v, want refused", len(bad), err)
		}
	}
	if _, err := ReadReleases(dir); err == nil {
		t.Fatal("read the releases of a store that is open")
	}
	if l.Count() != 3 {
		t.Fatalf("count %d, want 3", l.Count())
	}
	closeLog()

	got, err := ReadReleases(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d releases, want 3", len(got))
	}
	for i, r := range got {
		want := "query q attempt " + string(rune('0'+i))
		if r.Digest != ds[i] || r.Label != want || !r.Time.Equal(time.Date(2026, 3, 1, 12, 0, 1+i, 0, time.UTC)) {
			t.Fatalf("release %d: %+v, want digest %x, label %q", i, r, ds[i][:1], want)
		}
	}
	l, _ = openTestLog(t, dir, now)
	if l.Count() != 3 {
		t.Fatalf("count after reopening %d, want 3", l.Count())
	}
	if _, err := ReadReleases(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("read releases from a directory without a store")
	}
}

func TestDecodeRelease(t *testing.T) {
	at := time.Unix(1700000000, 5)
	good := encodeRelease(at, "query 7 attempt 1")
	r, err := decodeRelease([32]byte{1}, good)
	if err != nil || r.Label != "query 7 attempt 1" || !r.Time.Equal(at) || r.Digest != [32]byte{1} {
		t.Fatalf("decode: %+v, %v", r, err)
	}
	for _, bad := range [][]byte{nil, {1}, good[:8], append([]byte{2}, good[1:]...), append(slices.Clone(good), 0xff),
		encodeRelease(at, strings.Repeat("y", MaxReleaseLabel+1))} {
		if _, err := decodeRelease([32]byte{}, bad); err == nil {
			t.Errorf("decoded %q", bad)
		}
	}
}

func FuzzDecodeRelease(f *testing.F) {
	f.Add(encodeRelease(time.Unix(1, 0), "query 1 attempt 0"))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRelease([32]byte{}, b)
		if err != nil {
			return
		}
		// What decodes re-encodes to the same bytes.
		if again := encodeRelease(r.Time, r.Label); !bytes.Equal(again, b) {
			t.Fatalf("re-encoded %x as %x", b, again)
		}
	})
}
