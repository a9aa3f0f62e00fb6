package node

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/dataembassy/embassy/node/store"
	"github.com/dataembassy/embassy/thhe"
)

// The once-per-ciphertext record of the node's threshold party
// (thhe.ReleaseLog) lives in the store, under k/rel/<digest hex>, one entry
// per ciphertext the node released a key-switch share for:
//
//	version=1 | time (unix nanoseconds, 8 bytes BE) | label (UTF-8)
//
// An entry is written in a synchronous transaction before the share is
// computed, and never deleted: a restarted node refuses a ciphertext it
// released a share for before (a second share, with fresh flooding noise,
// would leak information about its key share). The label is the caller's
// description of the release ("query <id> attempt <n>"), for audits.

const (
	keyReleasePrefix = "rel/" // rel/<digest hex>: a released key-switch share
	releaseVersion   = 1
	// MaxReleaseLabel bounds a release label in bytes.
	MaxReleaseLabel = 512
)

// Release is one key-switch share the node released.
type Release struct {
	Digest [32]byte  // thhe.CiphertextDigest of the ciphertext
	Label  string    // the caller's description, e.g. "query <id> attempt <n>"
	Time   time.Time // when the release was recorded
}

// releaseLog is the node's durable thhe.ReleaseLog over its store.
type releaseLog struct {
	st  *store.Store
	now func() time.Time

	mu    sync.Mutex    // serialises check-and-write (the store does not detect conflicts)
	count atomic.Uint64 // entries in the store
}

// openReleaseLog opens the log over st and counts its entries.
func openReleaseLog(st *store.Store, now func() time.Time) (*releaseLog, error) {
	l := &releaseLog{st: st, now: now}
	rs, err := listReleases(st)
	if err != nil {
		return nil, err
	}
	l.count.Store(uint64(len(rs)))
	return l, nil
}

func releaseKey(d [32]byte) string { return keyReleasePrefix + hex.EncodeToString(d[:]) }

// Reserve implements thhe.ReleaseLog: it records digest with label in one
// synchronous write, or refuses a digest recorded before with an error
// wrapping thhe.ErrShareAlreadyReleased.
func (l *releaseLog) Reserve(digest [32]byte, label string) error {
	if len(label) > MaxReleaseLabel || !utf8.ValidString(label) {
		return fmt.Errorf("release label: %d bytes or not UTF-8 (at most %d bytes of UTF-8)", len(label), MaxReleaseLabel)
	}
	name := releaseKey(digest)
	l.mu.Lock()
	defer l.mu.Unlock()
	have, err := l.st.GetKey(name)
	if err != nil {
		return err
	}
	if have != nil {
		if r, err := decodeRelease(digest, have); err == nil {
			return fmt.Errorf("%w (%q at %s)", thhe.ErrShareAlreadyReleased, r.Label, r.Time.UTC().Format(time.RFC3339))
		}
		return thhe.ErrShareAlreadyReleased
	}
	if err := l.st.UpdateKeys(map[string][]byte{name: encodeRelease(l.now(), label)}); err != nil {
		return err
	}
	l.count.Add(1)
	return nil
}

// Count is the number of releases recorded.
func (l *releaseLog) Count() uint64 { return l.count.Load() }

func encodeRelease(t time.Time, label string) []byte {
	b := []byte{releaseVersion}
	b = binary.BigEndian.AppendUint64(b, uint64(t.UnixNano()))
	return append(b, label...)
}

// decodeRelease decodes the value of k/rel/<digest>.
func decodeRelease(d [32]byte, b []byte) (Release, error) {
	if len(b) < 9 || b[0] != releaseVersion {
		return Release{}, fmt.Errorf("release record of %d bytes, version %v", len(b), b[:min(len(b), 1)])
	}
	label := b[9:]
	if len(label) > MaxReleaseLabel || !utf8.Valid(label) {
		return Release{}, fmt.Errorf("release record with a malformed label")
	}
	return Release{Digest: d, Label: string(label), Time: time.Unix(0, int64(binary.BigEndian.Uint64(b[1:9])))}, nil
}

// listReleases reads every release in st, oldest first.
func listReleases(st *store.Store) ([]Release, error) {
	m, err := st.ListKeys(keyReleasePrefix)
	if err != nil {
		return nil, err
	}
	out := make([]Release, 0, len(m))
	for name, v := range m {
		var d [32]byte
		h := strings.TrimPrefix(name, keyReleasePrefix)
		if n, err := hex.Decode(d[:], []byte(h)); err != nil || n != len(d) || len(h) != 2*len(d) {
			return nil, fmt.Errorf("store entry %s%s: not a release digest", store.KeyPrefix, name)
		}
		r, err := decodeRelease(d, v)
		if err != nil {
			return nil, fmt.Errorf("store entry %s%s: %w", store.KeyPrefix, name, err)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Release) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return bytes.Compare(a.Digest[:], b.Digest[:])
	})
	return out, nil
}

// Releases lists the key-switch shares this node has released (ever, not
// only since it started), oldest first.
func (n *Node) Releases() ([]Release, error) {
	release, ok := n.enter()
	if !ok {
		return nil, fmt.Errorf("node is closed")
	}
	defer release()
	return listReleases(n.store)
}

// ReadReleases lists the key-switch shares a stopped node released, from
// its data directory (Config.DataDir), oldest first, without changing
// anything there. It fails while the node runs (the store is locked).
//
// A node that was killed leaves writes in Badger's memtable log that a
// read-only open cannot replay ("Log truncate required"); then the store is
// copied to a temporary directory and the copy opened (and replayed)
// there, so the node's own files stay untouched.
func ReadReleases(dataDir string) ([]Release, error) {
	dir := filepath.Join(dataDir, "badger")
	quiet := slog.New(slog.DiscardHandler)
	st, err := store.OpenReadOnly(dir, quiet)
	if err != nil && strings.Contains(err.Error(), "truncate") {
		tmp, terr := os.MkdirTemp("", "embassy-releases-")
		if terr != nil {
			return nil, terr
		}
		defer os.RemoveAll(tmp)
		if cerr := os.CopyFS(tmp, os.DirFS(dir)); cerr != nil {
			return nil, fmt.Errorf("copy the store of a node that stopped uncleanly: %w", cerr)
		}
		st, err = store.Open(tmp, quiet)
	}
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return listReleases(st)
}
