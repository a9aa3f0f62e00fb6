package thhe

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// TestNoNetworkingOrStorage: thhe must stay pure math. Neither it nor
// anything it pulls in may reach libp2p, multiformats or Badger, and the
// only way into the standard library's net packages is lattigo's own
// non-test import of github.com/stretchr/testify (lattigo v6.1.1
// utils/buffer/utils.go and schemes/bgv/test_utils.go import
// testify/require, which imports net/http/httptest). That exception is
// spelled out here so that any other path to net fails the test.
func TestNoNetworkingOrStorage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "-json", ".").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	type pkg struct {
		ImportPath string
		Standard   bool
		DepOnly    bool
		Imports    []string
	}
	all := map[string]*pkg{}
	var root string
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		p := &pkg{}
		if err := dec.Decode(p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		all[p.ImportPath] = p
		if !p.DepOnly {
			root = p.ImportPath
		}
	}
	under := func(path string, prefixes ...string) bool {
		for _, pre := range prefixes {
			if path == pre || strings.HasPrefix(path, pre+"/") {
				return true
			}
		}
		return false
	}
	parent := map[string]string{root: ""}
	queue := []string{root}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		p := all[cur]
		if p == nil {
			continue
		}
		bad := under(cur, "github.com/libp2p", "github.com/dgraph-io/badger", "github.com/multiformats") ||
			(p.Standard && under(cur, "net"))
		if bad {
			chain := []string{}
			for at := cur; at != ""; at = parent[at] {
				chain = append([]string{at}, chain...)
			}
			t.Errorf("thhe reaches %s: %s", cur, strings.Join(chain, " -> "))
			continue
		}
		if under(cur, "github.com/stretchr/testify") {
			continue // the known exception, see above
		}
		for _, imp := range p.Imports {
			if _, seen := parent[imp]; !seen {
				parent[imp] = cur
				queue = append(queue, imp)
			}
		}
	}
}
