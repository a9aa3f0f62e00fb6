package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dataembassy/embassy/registry"
)

// TestChangesAndDeletes: changes and deletions made while node5 is down
// reach it when it returns: with node1 and node2 stopped (so node5's shares
// are needed), changed rows read back in their new version, deleted keys
// are not found, and the rest is unchanged. Re-ingesting the original file
// stores only what differs.
func TestChangesAndDeletes(t *testing.T) {
	n := startNet(t)
	n.ingestPop()
	n.down(5)

	schema, err := registry.Lookup(reg)
	if err != nil {
		t.Fatal(err)
	}
	addr := schema.FieldIndex("address")
	picked := sample(popRows, 120, 4)
	changedKeys, deletedKeys := map[string]bool{}, map[string]bool{}
	for _, r := range picked[:100] {
		changedKeys[r.key] = true
	}
	for _, r := range picked[100:] {
		deletedKeys[r.key] = true
	}
	var edited, changed, unchanged []row
	for _, r := range popRows {
		if changedKeys[r.key] {
			values := append([]string(nil), r.values...)
			values[addr] = fmt.Sprintf("Muudetud tn %d-%d, Tallinn", len(changed)+1, len(changed)%7+1)
			js, err := schema.RecordJSON(registry.Record{Values: values})
			if err != nil {
				t.Fatal(err)
			}
			r = row{key: r.key, values: values, json: string(js)}
			changed = append(changed, r)
		} else if !deletedKeys[r.key] {
			unchanged = append(unchanged, r)
		}
		edited = append(edited, r)
	}
	editedFile := filepath.Join(t.TempDir(), "pop-edited.csv")
	writeRows(t, editedFile, edited)

	stdout, stderr, code := n.ingest(editedFile)
	if code != 0 {
		n.fatalf("ingest of 100 changed rows with node5 down: exit %d\nstdout:\n%sstderr:\n%s", code, stdout, firstLines(stderr, 20))
	}
	t.Logf("ingest with 100 changed rows, node5 down: %s", strings.TrimSpace(stdout))
	if s := n.parseSummary(stdout); s.stored+s.pending != 100 || s.unchanged != popRowCount-100 || s.failed != 0 || s.rejected != 0 {
		n.fatalf("ingest of 100 changed rows: summary %+v, want stored+pending 100, unchanged %d", s, popRowCount-100)
	}

	del := keysOf(picked[100:])
	stdout, _ = n.mustRun(0, append([]string{"delete", "--client", n.client, "--registry", reg}, del...)...)
	for _, k := range del {
		if !strings.Contains(stdout, "deleted "+k) {
			n.fatalf("delete: stdout does not say \"deleted %s\":\n%s", k, stdout)
		}
	}

	n.up(5)
	n.waitCaughtUp(n.newProbe(), 1, []int{5}, keysOf(popRows))
	n.down(1, 2)

	n.expectExact(changed, len(changed))
	stdout, stderr, code = n.get(del...)
	if code != 3 || stdout != "" {
		n.fatalf("get of 20 deleted keys: exit %d, want 3 and no output\nstdout:\n%sstderr:\n%s", code, firstLines(stdout, 5), stderr)
	}
	for _, k := range del {
		if !lineWith(stderr, k, "not found") {
			n.fatalf("get of deleted key %s: stderr has no line naming it with \"not found\":\n%s", k, stderr)
		}
	}
	_, stderr, code = n.get(del[0])
	if code != 3 || !strings.Contains(stderr, "not found") {
		n.fatalf("get of deleted key %s: exit %d, want 3 with \"not found\"\nstderr:\n%s", del[0], code, stderr)
	}
	n.expectExact(sample(unchanged, 300, 5), 300)

	// Re-ingesting the original file restores the 100 changed rows and the
	// 20 deleted ones; every other row is unchanged.
	n.up(1, 2)
	stdout, stderr, code = n.ingest(popFile)
	if code != 0 {
		n.fatalf("re-ingest of the original file: exit %d\nstdout:\n%sstderr:\n%s", code, stdout, firstLines(stderr, 20))
	}
	t.Logf("re-ingest of the original file: %s", strings.TrimSpace(stdout))
	if s := n.parseSummary(stdout); s != (summary{stored: 120, unchanged: popRowCount - 120}) {
		n.fatalf("re-ingest of the original file: summary %+v, want stored 120, unchanged %d", s, popRowCount-120)
	}
	n.expectExact(picked, len(picked))
}

// lineWith reports whether a line of s contains every one of parts.
func lineWith(s string, parts ...string) bool {
	for _, line := range strings.Split(s, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}
