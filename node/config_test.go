package node_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/dataembassy/embassy/node"
	"github.com/dataembassy/embassy/testnet"
)

func TestStatusAddrConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	if err := testnet.Init(dir, testnet.Options{Nodes: 1, Threshold: 1}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(testnet.NodeDir(dir, 1), testnet.NodeConfig)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`(?m)^status_addr = .*$`)
	if !line.Match(orig) {
		t.Fatalf("testnet config has no status_addr:\n%s", orig)
	}
	for _, c := range []struct {
		addr string
		ok   bool
	}{
		{"", true}, {"127.0.0.1:0", true}, {"[::1]:8701", true}, {"localhost:8701", true}, {"0.0.0.0:9100", true},
		{"127.0.0.1", false}, {":8701", false}, {"127.0.0.1:http", false}, {"127.0.0.1:65536", false},
		{"127.0.0.1:-1", false}, {"[::1:8701", false}, {"http://127.0.0.1:8701", false}, {"a b:80", false},
	} {
		cfg := line.ReplaceAll(orig, []byte("status_addr = "+strconv.Quote(c.addr)))
		if err := os.WriteFile(path, cfg, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := node.LoadConfig(path)
		if c.ok && err != nil {
			t.Errorf("status_addr %q: %v", c.addr, err)
		}
		if !c.ok && !errors.Is(err, node.ErrBadConfig) {
			t.Errorf("status_addr %q: %v, want ErrBadConfig", c.addr, err)
		}
	}
}
