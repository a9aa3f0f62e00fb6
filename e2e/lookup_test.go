package e2e

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// sample picks count distinct rows at random (a fixed seed, so a failure
// can be reproduced).
func sample(rows []row, count int, seed uint64) []row {
	rng := rand.New(rand.NewPCG(seed, 0xe2e))
	perm := rng.Perm(len(rows))
	out := make([]row, 0, count)
	for _, i := range perm[:min(count, len(rows))] {
		out = append(out, rows[i])
	}
	return out
}

// TestLookupsSurviveNodeLoss: records read back exactly with all five
// nodes, with two killed (kill -9), not at all with three killed (exit 4,
// "threshold not met" — never a partial or wrong record), and exactly again
// once `testnet up` has restarted them.
func TestLookupsSurviveNodeLoss(t *testing.T) {
	n := startNet(t)
	n.ingestPop()
	picked := sample(popRows, 200, 1)

	check := func(stage string) {
		t.Helper()
		t.Logf("%s: 200 keys in one get, 3 single-key gets", stage)
		n.expectExact(picked, len(picked))
		for _, r := range picked[:3] {
			n.expectExact([]row{r}, 1)
		}
	}
	check("all nodes up")

	n.kill(2)
	n.kill(4)
	check("node2 and node4 killed")

	n.kill(5)
	stdout, stderr, code := n.get(keysOf(picked)...)
	if code != 4 {
		n.fatalf("get with 3 of 5 nodes killed: exit %d, want 4 (threshold not met)\nstdout:\n%sstderr:\n%s",
			code, firstLines(stdout, 5), firstLines(stderr, 10))
	}
	if !strings.Contains(stderr, "threshold not met") {
		n.fatalf("get with 3 of 5 nodes killed: stderr does not say \"threshold not met\":\n%s", firstLines(stderr, 10))
	}
	if stdout != "" {
		n.fatalf("get with 3 of 5 nodes killed printed records:\n%s", firstLines(stdout, 5))
	}
	stdout, stderr, code = n.get(picked[0].key)
	if code != 4 || !strings.Contains(stderr, "threshold not met") || stdout != "" {
		n.fatalf("single-key get with 3 of 5 nodes killed: exit %d, want 4 with \"threshold not met\"\nstdout:\n%sstderr:\n%s",
			code, stdout, stderr)
	}

	n.up()
	check("after testnet up")
}
