package testnet

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/dataembassy/embassy/node"
)

// Local runs a testnet's nodes inside this process (same sockets, stores
// and protocols as separate processes), for the demo and benchmarks.
type Local struct {
	dir string
	log *slog.Logger

	mu    sync.Mutex
	nodes map[int]*localNode
}

type localNode struct {
	node   *node.Node
	cancel context.CancelFunc
	done   chan error
}

// NewLocal prepares to run the nodes of the testnet in dir.
func NewLocal(dir string, log *slog.Logger) *Local {
	return &Local{dir: dir, log: log, nodes: map[int]*localNode{}}
}

// Start starts node k (1-based) if it is not running.
func (l *Local) Start(k int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.nodes[k]; ok {
		return nil
	}
	cfg, err := node.LoadConfig(filepath.Join(NodeDir(l.dir, k), NodeConfig))
	if err != nil {
		return err
	}
	n, err := node.Start(cfg, l.log)
	if err != nil {
		return fmt.Errorf("node%d: %w", k, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ln := &localNode{node: n, cancel: cancel, done: make(chan error, 1)}
	go func() { ln.done <- n.Run(ctx) }()
	l.nodes[k] = ln
	return nil
}

// StartAll starts every node.
func (l *Local) StartAll() error {
	n, err := NodeCount(l.dir)
	if err != nil {
		return err
	}
	for k := 1; k <= n; k++ {
		if err := l.Start(k); err != nil {
			return err
		}
	}
	return nil
}

// Stop stops node k and waits until its store is closed.
func (l *Local) Stop(k int) error {
	l.mu.Lock()
	ln, ok := l.nodes[k]
	delete(l.nodes, k)
	l.mu.Unlock()
	if !ok {
		return nil
	}
	ln.cancel()
	return <-ln.done
}

// StopAll stops every running node.
func (l *Local) StopAll() {
	l.mu.Lock()
	ks := make([]int, 0, len(l.nodes))
	for k := range l.nodes {
		ks = append(ks, k)
	}
	l.mu.Unlock()
	for _, k := range ks {
		_ = l.Stop(k)
	}
}

// Node returns running node k, or nil.
func (l *Local) Node(k int) *node.Node {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ln, ok := l.nodes[k]; ok {
		return ln.node
	}
	return nil
}

// WaitForKeys waits until every running node has finished the federation
// key setup (it holds the public, relinearisation and every Galois key),
// and checks they hold the same keys. It returns the public key.
func (l *Local) WaitForKeys(ctx context.Context) ([]byte, error) {
	n, err := NodeCount(l.dir)
	if err != nil {
		return nil, err
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		pk, done, err := l.keysAgree(n)
		if err != nil || done {
			return pk, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("federation key setup: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

func (l *Local) keysAgree(n int) ([]byte, bool, error) {
	var first []byte
	var firstDigest [32]byte
	for k := 1; k <= n; k++ {
		nd := l.Node(k)
		if nd == nil {
			continue
		}
		d, ok := nd.FederationKeysDigest()
		pk, ok2 := nd.FederationKey()
		if !ok || !ok2 {
			return nil, false, nil
		}
		if first == nil {
			first, firstDigest = pk, d
			continue
		}
		if d != firstDigest {
			return nil, false, fmt.Errorf("node%d holds other federation keys than the others", k)
		}
	}
	return first, first != nil, nil
}
