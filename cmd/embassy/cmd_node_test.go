package main

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dataembassy/embassy/node/store"
)

// TestNodeReleases lists a store holding two release records, written in
// the format node/keysetup_release.go documents (k/rel/<digest hex> =
// version 1 | unix nanoseconds | label), as a table and as JSON lines.
func TestNodeReleases(t *testing.T) {
	dataDir := t.TempDir()
	st, err := store.Open(filepath.Join(dataDir, "badger"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	type rel struct {
		digest string
		label  string
		at     time.Time
	}
	want := []rel{ // oldest first
		{strings.Repeat("ab", 32), "query 01 attempt 1 result 0", time.Date(2025, 3, 1, 12, 0, 0, 5, time.UTC)},
		{strings.Repeat("07", 32), "query 01 attempt 2 result 0", time.Date(2025, 3, 1, 12, 0, 1, 0, time.UTC)},
	}
	set := map[string][]byte{}
	for _, r := range want {
		v := binary.BigEndian.AppendUint64([]byte{1}, uint64(r.at.UnixNano()))
		set["rel/"+r.digest] = append(v, r.label...)
	}
	if err := st.UpdateKeys(set); err != nil {
		t.Fatal(err)
	}

	// While the store is open (as by a running node) the listing fails.
	if _, errOut, code := runCLI(t, "node", "releases", "--data-dir", dataDir); code != exitFailure || !strings.Contains(errOut, "still running") {
		t.Errorf("over an open store: exit %d, want %d naming a running node:\n%s", code, exitFailure, errOut)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	out, errOut, code := runCLI(t, "node", "releases", "--data-dir", dataDir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var lines []string
	for _, r := range want {
		lines = append(lines, r.digest+"  "+r.at.Format(time.RFC3339Nano)+"  "+r.label)
	}
	if got := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); strings.Join(got, "\n") != strings.Join(lines, "\n") {
		t.Errorf("table:\n%s\nwant:\n%s", out, strings.Join(lines, "\n"))
	}
	if !strings.Contains(errOut, "2 releases") {
		t.Errorf("stderr %q does not count 2 releases", errOut)
	}

	out, errOut, code = runCLI(t, "node", "releases", "--data-dir", dataDir, "--json")
	if code != exitOK {
		t.Fatalf("--json: exit %d: %s", code, errOut)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	for i, w := range want {
		var got releaseJSON
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("--json line %d: %v\n%s", i+1, err, out)
		}
		at, err := time.Parse(time.RFC3339Nano, got.Time)
		if d, _ := hex.DecodeString(got.Digest); len(d) != 32 || got.Digest != w.digest || got.Label != w.label || err != nil || !at.Equal(w.at) {
			t.Errorf("--json line %d: %+v, want %+v", i+1, got, w)
		}
	}
	if dec.More() {
		t.Errorf("--json printed more than %d releases:\n%s", len(want), out)
	}

	for _, c := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no data dir", []string{"node", "releases"}, exitUsage, "--data-dir is required"},
		{"missing data dir", []string{"node", "releases", "--data-dir", filepath.Join(dataDir, "nope")}, exitUsage, "nope"},
		{"extra argument", []string{"node", "releases", "--data-dir", dataDir, "x"}, exitUsage, "unexpected argument"},
	} {
		if _, errOut, code := runCLI(t, c.args...); code != c.code || !strings.Contains(errOut, c.msg) {
			t.Errorf("%s: exit %d, want %d with %q:\n%s", c.name, code, c.code, c.msg, errOut)
		}
	}
}
