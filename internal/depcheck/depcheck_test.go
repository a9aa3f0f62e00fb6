package depcheck

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/dataembassy/embassy"

// pkg is the part of `go list -json` output the rule needs.
type pkg struct {
	ImportPath string
	Standard   bool
	DepOnly    bool
	Imports    []string
	Error      *struct{ Err string }
}

// listDeps runs `go list -deps -json` on patterns from the module root and
// returns every package, keyed by import path, and the matched roots.
func listDeps(t *testing.T, patterns ...string) (map[string]*pkg, []string) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	cmd := exec.Command("go", append([]string{"list", "-deps", "-json"}, patterns...)...)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	all := map[string]*pkg{}
	var roots []string
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		p := &pkg{}
		if err := dec.Decode(p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		if p.Error != nil {
			t.Fatalf("go list: %s: %s", p.ImportPath, p.Error.Err)
		}
		all[p.ImportPath] = p
		if !p.DepOnly {
			roots = append(roots, p.ImportPath)
		}
	}
	slices.Sort(roots)
	return all, roots
}

// offenders walks the import graph from root breadth-first and returns, for
// each package that bad reports, the shortest import chain from root to it.
// It does not look below packages that prune reports (if prune is set).
func offenders(all map[string]*pkg, root string, bad func(*pkg) bool, prune ...func(*pkg) bool) [][]string {
	parent := map[string]string{root: ""}
	queue := []string{root}
	var found [][]string
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		p := all[cur]
		if p == nil {
			continue
		}
		if cur != root && bad(p) {
			var chain []string
			for at := cur; at != ""; at = parent[at] {
				chain = append(chain, at)
			}
			slices.Reverse(chain)
			found = append(found, chain)
			continue // one chain per offender is enough; do not report what lies below it
		}
		if len(prune) > 0 && prune[0](p) {
			continue
		}
		for _, imp := range p.Imports {
			if _, seen := parent[imp]; !seen {
				parent[imp] = cur
				queue = append(queue, imp)
			}
		}
	}
	return found
}

func hasPrefix(path string, prefixes ...string) bool {
	for _, pre := range prefixes {
		if path == pre || strings.HasPrefix(path, pre+"/") {
			return true
		}
	}
	return false
}

// networkingOrStorage is what the pure packages must never pull in.
func networkingOrStorage(p *pkg) bool {
	if p.Standard {
		return hasPrefix(p.ImportPath, "net")
	}
	return hasPrefix(p.ImportPath, "github.com/libp2p", "github.com/dgraph-io/badger", "github.com/multiformats")
}

func checkRule(t *testing.T, patterns []string, what string, bad func(*pkg) bool, prune ...func(*pkg) bool) {
	t.Helper()
	all, roots := listDeps(t, patterns...)
	if len(roots) == 0 {
		t.Fatalf("go list %v matched no packages", patterns)
	}
	for _, r := range roots {
		for _, chain := range offenders(all, r, bad, prune...) {
			t.Errorf("%s must not import %s: %s", r, what, strings.Join(chain, " -> "))
		}
	}
}

func TestPurePackagesDoNoNetworkingOrStorage(t *testing.T) {
	checkRule(t, []string{"./shares/...", "./protocol/...", "./roster/...", "./identity/..."},
		"libp2p, multiformats, Badger or net", networkingOrStorage)
}

// TestThheIsPureMath: the threshold-HE package reaches no libp2p,
// multiformats or Badger, and net only through lattigo's own non-test
// import of testify (lattigo v6.1.1 utils/buffer/utils.go and
// schemes/bgv/test_utils.go import testify/require, which imports
// net/http/httptest). Any other path to net fails.
func TestThheIsPureMath(t *testing.T) {
	checkRule(t, []string{"./thhe/..."}, "libp2p, multiformats, Badger or net (other than through lattigo's testify)",
		networkingOrStorage, func(p *pkg) bool { return hasPrefix(p.ImportPath, "github.com/stretchr/testify") })
}

func TestSharesImportsOnlyTheStandardLibrary(t *testing.T) {
	checkRule(t, []string{"./shares/..."}, "anything outside the standard library",
		func(p *pkg) bool { return !p.Standard })
}

func TestProtocolDoesNotImportUpperLayers(t *testing.T) {
	var upper []string
	for _, name := range []string{"node", "client", "transport", "testnet", "cmd"} {
		upper = append(upper, module+"/"+name)
	}
	checkRule(t, []string{"./protocol/..."}, "node, client, transport, testnet or cmd",
		func(p *pkg) bool { return hasPrefix(p.ImportPath, upper...) })
}

// TestOffendersNamesTheChain checks the checker itself on a made-up graph,
// so a rule that can never fire does not pass silently.
func TestOffendersNamesTheChain(t *testing.T) {
	all := map[string]*pkg{
		"a":        {ImportPath: "a", Imports: []string{"b", "fmt"}},
		"b":        {ImportPath: "b", Imports: []string{"net/http"}},
		"fmt":      {ImportPath: "fmt", Standard: true},
		"net/http": {ImportPath: "net/http", Standard: true, Imports: []string{"net"}},
		"net":      {ImportPath: "net", Standard: true},
	}
	got := offenders(all, "a", networkingOrStorage)
	want := [][]string{{"a", "b", "net/http"}}
	if len(got) != 1 || !slices.Equal(got[0], want[0]) {
		t.Fatalf("offenders = %v, want %v", got, want)
	}
	if got := offenders(all, "a", func(p *pkg) bool { return !p.Standard }); len(got) != 1 || !slices.Equal(got[0], []string{"a", "b"}) {
		t.Fatalf("non-standard offenders = %v, want [[a b]]", got)
	}
}
