package e2e

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/testnet"
)

// minNameLen is the shortest name searched for. A node's store holds
// megabytes of uniformly random share bytes, in which any given 3-byte
// string is expected once per 16 MiB (2^24 positions) by chance; a 6-byte
// string once per 2^48 bytes (256 TiB), so with a few hundred distinct
// names over about 50 MiB a chance hit has a probability below 1e-4.
// Personal codes (11 bytes) and addresses are longer still.
const minNameLen = 6

// TestNoPlaintextOnNodes: after ingest, no node's data directory or log
// contains any personal code, address or (long enough) name of the input.
func TestNoPlaintextOnNodes(t *testing.T) {
	n := startNet(t)
	n.ingestPop()
	// Stop the nodes so that Badger has flushed everything to its files.
	n.down()

	schema, err := registry.Lookup(reg)
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, r := range popRows {
		for _, field := range []string{"personal_code", "address", "given_name", "family_name"} {
			v := r.values[schema.FieldIndex(field)]
			if len(v) < minNameLen { // only names are ever this short
				continue
			}
			set[v] = true
		}
	}
	needles := make([]string, 0, len(set))
	for v := range set {
		needles = append(needles, v)
	}
	sort.Strings(needles)
	needleFile := filepath.Join(t.TempDir(), "needles.txt")
	if err := os.WriteFile(needleFile, []byte(strings.Join(needles, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("searching for %d distinct strings", len(needles))

	// The check must work: over a directory holding the input file it
	// finds the file, and in it a match on every data row.
	inputDir := t.TempDir()
	data, err := os.ReadFile(popFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(inputDir, "pop.csv"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if found := search(t, needleFile, needles, inputDir); len(found) != 1 {
		t.Fatalf("sanity check: search over the input file found %v, want the input file", found)
	}
	if found := scan(t, needles, inputDir); len(found) != 1 {
		t.Fatalf("sanity check: the Go scan over the input file found %v, want the input file", found)
	}
	if lines := matchingLines(data, newIndex(needles)); lines != popRowCount {
		t.Fatalf("sanity check: %d lines of the input match, want %d", lines, popRowCount)
	}

	var targets []string
	for k := 1; k <= nodes; k++ {
		nd := testnet.NodeDir(n.dir, k)
		targets = append(targets, filepath.Join(nd, "data"), filepath.Join(nd, testnet.NodeLog))
	}
	size := int64(0)
	for _, target := range targets {
		_ = filepath.WalkDir(target, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if info, err := d.Info(); err == nil {
					size += info.Size()
				}
			}
			return nil
		})
	}
	t.Logf("searching %.1f MiB of node data and logs", float64(size)/(1<<20))
	if size == 0 {
		t.Fatal("the nodes' data directories are empty")
	}
	for _, target := range targets {
		if found := search(t, needleFile, needles, target); len(found) > 0 {
			n.fatalf("plaintext of the input found in %s", strings.Join(found, ", "))
		}
	}
}

// search lists the files under dir (or the file dir) that contain any of
// the needles: `grep -r -a -F -l -f needleFile dir`, or a Go scan if grep
// is missing.
func search(t *testing.T, needleFile string, needles []string, dir string) []string {
	t.Helper()
	if _, err := exec.LookPath("grep"); err != nil {
		return scan(t, needles, dir)
	}
	cmd := exec.Command("grep", "-r", "-a", "-F", "-l", "-f", needleFile, dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	switch {
	case err == nil: // exit 0: found something
		return strings.Fields(string(out))
	case errors.As(err, &ee) && ee.ExitCode() == 1: // nothing found
		return nil
	}
	t.Fatalf("grep over %s: %v\n%s", dir, err, stderr.String())
	return nil
}

// index finds needles (each at least minNameLen bytes) by their first
// minNameLen bytes.
type index map[string][]string

func newIndex(needles []string) index {
	ix := index{}
	for _, s := range needles {
		ix[s[:minNameLen]] = append(ix[s[:minNameLen]], s)
	}
	return ix
}

// in reports whether data contains a needle.
func (ix index) in(data []byte) bool {
	for i := 0; i+minNameLen <= len(data); i++ {
		for _, s := range ix[string(data[i:i+minNameLen])] {
			if bytes.HasPrefix(data[i:], []byte(s)) {
				return true
			}
		}
	}
	return false
}

// scan is the fallback of search.
func scan(t *testing.T, needles []string, dir string) []string {
	t.Helper()
	ix := newIndex(needles)
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if ix.in(data) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("scan %s: %v", dir, err)
	}
	return found
}

// matchingLines counts the lines of data holding a needle.
func matchingLines(data []byte, ix index) int {
	count := 0
	for _, line := range bytes.Split(data, []byte("\n")) {
		if ix.in(line) {
			count++
		}
	}
	return count
}
