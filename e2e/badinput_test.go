package e2e

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dataembassy/embassy/registry"
)

// writeCSV writes a header and records (of any width) as CSV.
func writeCSV(t *testing.T, path string, header []string, records [][]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	if err := w.Write(header); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteAll(records); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// snapshot maps every file under dir to its contents ("dir" for a
// directory), to show that a command changed nothing.
func snapshot(t *testing.T, dir string, skip func(rel string) bool) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if skip != nil && skip(rel) {
			if info.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if info.IsDir() {
			m[rel] = "dir"
			return nil
		}
		data, err := os.ReadFile(path)
		m[rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameSnapshot(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestBadInput: invalid rows, files, names and configurations are reported
// with the documented exit codes, and store nothing they should not.
func TestBadInput(t *testing.T) {
	n := startNet(t)
	schema, err := registry.Lookup(reg)
	if err != nil {
		t.Fatal(err)
	}
	header := schema.FieldNames()
	dir := t.TempDir()
	values := func(r row) []string { return append([]string(nil), r.values...) }
	notStored := func(t *testing.T, what string, r row) {
		t.Helper()
		n := n.on(t)
		_, stderr, code := n.get(r.key)
		if code != 3 || !strings.Contains(stderr, "not found") {
			n.fatalf("%s: get of %s: exit %d, want 3 (not found)\nstderr:\n%s", what, r.key, code, stderr)
		}
	}

	t.Run("rejected rows", func(t *testing.T) {
		n := n.on(t)
		good := popRows[0:5]
		badCode := values(popRows[5])
		last := badCode[0][10] - '0'
		badCode[0] = badCode[0][:10] + fmt.Sprint((last+1)%10)
		badCounty := values(popRows[6])
		badCounty[schema.FieldIndex("county")] = "Atlantis maakond"
		emptyName := values(popRows[7])
		emptyName[schema.FieldIndex("given_name")] = ""
		short := values(popRows[8])[:len(header)-1]
		records := [][]string{good[0].values, badCode, good[1].values, badCounty, good[2].values, emptyName,
			good[3].values, short, good[4].values}
		file := filepath.Join(dir, "bad.csv")
		writeCSV(t, file, header, records)

		stdout, stderr, code := n.ingest(file)
		if code != 5 {
			n.fatalf("ingest with 4 bad rows: exit %d, want 5\nstdout:\n%sstderr:\n%s", code, stdout, stderr)
		}
		// Line 1 is the header: records[i] is on line i+2.
		for _, want := range []struct {
			line   int
			reason string
		}{{3, "check digit"}, {5, "Atlantis maakond"}, {7, "given_name"}, {9, "fields"}} {
			if !lineWith(stderr, fmt.Sprintf("%s:%d:", file, want.line), want.reason) {
				n.fatalf("ingest: stderr has no line \"%s:%d: ...%s...\":\n%s", file, want.line, want.reason, stderr)
			}
		}
		t.Logf("ingest: %s\n%s", strings.TrimSpace(stdout), stderr)
		if s := n.parseSummary(stdout); s != (summary{stored: 5, rejected: 4}) {
			n.fatalf("ingest with 4 bad rows: summary %+v, want stored 5, rejected 4", s)
		}
		n.expectExact(good, len(good))
		notStored(t, "rejected row", popRows[6])
	})

	t.Run("strict", func(t *testing.T) {
		n := n.on(t)
		good := popRows[10:15]
		bad := values(popRows[15])
		bad[schema.FieldIndex("county")] = "Atlantis maakond"
		file := filepath.Join(dir, "strict.csv")
		writeCSV(t, file, header, [][]string{good[0].values, good[1].values, bad, good[2].values, good[3].values, good[4].values})
		stdout, stderr, code := n.ingest(file, "--strict")
		if code != 2 {
			n.fatalf("ingest --strict with a bad row: exit %d, want 2\nstdout:\n%sstderr:\n%s", code, stdout, stderr)
		}
		if !lineWith(stderr, file+":4:", "Atlantis maakond") {
			n.fatalf("ingest --strict: stderr does not name %s:4 and the reason:\n%s", file, stderr)
		}
		for _, r := range good {
			notStored(t, "ingest --strict", r)
		}
	})

	t.Run("wrong header", func(t *testing.T) {
		n := n.on(t)
		good := popRows[20:25]
		wrong := append([]string(nil), header...)
		wrong[schema.FieldIndex("family_name")] = "surname"
		file := filepath.Join(dir, "header.csv")
		var records [][]string
		for _, r := range good {
			records = append(records, r.values)
		}
		writeCSV(t, file, wrong, records)
		stdout, stderr, code := n.ingest(file)
		if code != 2 {
			n.fatalf("ingest with a wrong header: exit %d, want 2\nstdout:\n%sstderr:\n%s", code, stdout, stderr)
		}
		if !strings.Contains(stderr, "surname") || !strings.Contains(stderr, "family_name") {
			n.fatalf("ingest with a wrong header: stderr does not name the unknown and the missing column:\n%s", stderr)
		}
		for _, r := range good {
			notStored(t, "wrong header", r)
		}
	})

	t.Run("unknown registry", func(t *testing.T) {
		n := n.on(t)
		for _, cmd := range [][]string{
			{"ingest", "--client", n.client, "--registry", "cadastre", popFile},
			{"get", "--client", n.client, "--registry", "cadastre", popRows[0].key},
		} {
			_, stderr, code := run(t, cmd...)
			if code != 2 {
				n.fatalf("embassy %s: exit %d, want 2\nstderr:\n%s", strings.Join(cmd, " "), code, stderr)
			}
			for _, name := range registry.BuiltinNames() {
				if !strings.Contains(stderr, name) {
					n.fatalf("embassy %s: stderr does not list the known registry %q:\n%s", strings.Join(cmd, " "), name, stderr)
				}
			}
		}
	})

	t.Run("missing config", func(t *testing.T) {
		n := n.on(t)
		missing := filepath.Join(dir, "no-such-client.toml")
		for _, cmd := range [][]string{
			{"ingest", "--client", missing, "--registry", reg, popFile},
			{"get", "--client", missing, "--registry", reg, popRows[0].key},
			{"delete", "--client", missing, "--registry", reg, popRows[0].key},
		} {
			_, stderr, code := run(t, cmd...)
			if code != 2 || !strings.Contains(stderr, missing) {
				n.fatalf("embassy %s: exit %d, want 2 with a message naming the file\nstderr:\n%s", strings.Join(cmd, " "), code, stderr)
			}
		}
	})

	t.Run("init into a non-empty directory", func(t *testing.T) {
		n := n.on(t)
		parent := t.TempDir()
		target := filepath.Join(parent, "net")
		if err := os.MkdirAll(target, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(target, "keep.txt"), []byte("mine\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, parent, nil)
		_, stderr, code := run(t, "testnet", "init", "--dir", target, "--nodes", "5", "--threshold", "3")
		if code != 2 {
			t.Fatalf("testnet init into a non-empty directory: exit %d, want 2\nstderr:\n%s", code, stderr)
		}
		if after := snapshot(t, parent, nil); !sameSnapshot(before, after) {
			t.Fatalf("testnet init into a non-empty directory changed it: before %v, after %v", keys(before), keys(after))
		}

		// Over the running network: its keys and roster stay as they are
		// (node data and logs change as the nodes run).
		runtime := func(rel string) bool {
			return strings.HasSuffix(rel, string(filepath.Separator)+"data") || strings.HasSuffix(rel, ".log") || strings.HasSuffix(rel, ".pid")
		}
		before = snapshot(t, filepath.Dir(n.dir), runtime)
		_, stderr, code = run(t, "testnet", "init", "--dir", n.dir, "--nodes", "5", "--threshold", "3")
		if code != 2 {
			n.fatalf("testnet init over a running testnet: exit %d, want 2\nstderr:\n%s", code, stderr)
		}
		if after := snapshot(t, filepath.Dir(n.dir), runtime); !sameSnapshot(before, after) {
			n.fatalf("testnet init over a running testnet changed it: before %v, after %v", keys(before), keys(after))
		}
		n.expectExact(popRows[0:5], 5)
	})
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
