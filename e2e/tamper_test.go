package e2e

import (
	"strings"
	"testing"

	"github.com/dataembassy/embassy/testnet"
)

// TestTamperedNodeIsNamed: a node whose stored shares were altered on disk
// does not change any record read back, and the client names it.
func TestTamperedNodeIsNamed(t *testing.T) {
	n := startNet(t)
	n.ingestPop()
	n.down(2)
	// Tamper with every one of node2's shares: each look-up must name it.
	const tampered = popRowCount
	changed, err := testnet.TamperShares(testnet.NodeDir(n.dir, 2), reg, tampered)
	if err != nil {
		t.Fatalf("TamperShares node2: %v", err)
	}
	if changed != tampered {
		t.Fatalf("TamperShares changed %d shares of node2, want %d", changed, tampered)
	}
	n.up(2)

	picked := sample(popRows, 100, 3)
	stdout, stderr, code := n.get(keysOf(picked)...)
	if code != 0 {
		n.fatalf("get with node2 tampered: exit %d, want 0\nstderr:\n%s", code, firstLines(stderr, 20))
	}
	n.compare(picked, stdout)
	if !strings.Contains(stderr, "node2") {
		n.fatalf("get with node2 tampered: stderr does not name node2:\n%s", firstLines(stderr, 10))
	}
	warnings := 0
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if !strings.Contains(line, "node2") {
			n.fatalf("get with node2 tampered: stderr line does not name node2: %q", line)
		}
		for _, other := range []string{"node1", "node3", "node4", "node5"} {
			if strings.Contains(line, other) {
				n.fatalf("get with node2 tampered: stderr blames %s: %q", other, line)
			}
		}
		warnings++
	}
	if warnings != len(picked) {
		n.fatalf("get with node2 tampered: %d warnings for %d look-ups, want one each", warnings, len(picked))
	}
	t.Logf("%d warnings name node2, e.g. %s", warnings, strings.SplitN(stderr, "\n", 2)[0])
}
