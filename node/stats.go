package node

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/dataembassy/embassy/cube"
	"github.com/dataembassy/embassy/node/store"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/thhe"
)

// statsBook holds, per registry with statistics, the fold of every
// encrypted statistics delta this node has stored (cube.State), rebuilt
// from the store at start and extended as batches arrive. Folding is
// addition mod q, so nodes that stored the same batches hold byte-identical
// states whatever the order; their digest is what the coordinator groups
// nodes by.
type statsBook struct {
	params thhe.Params
	store  checkpointStore

	mu   sync.Mutex // guards regs and every state
	regs map[string]*regStats
}

// checkpointStore keeps a registry's folded state so that the deltas in it
// need not be kept (node/store implements it).
type checkpointStore interface {
	Checkpoint(registry string) ([]byte, error)
	PutCheckpoint(registry string, state []byte, roots [][]byte) error
	EachStats(registry string, fn func(root, delta []byte) error) error
}

// checkpointEvery is how many deltas a registry's state folds before the
// node stores it as a checkpoint and drops those deltas (1 MiB each at
// production parameters).
const checkpointEvery = 32

type regStats struct {
	schema  registry.Schema
	state   *cube.State
	missing uint64   // batches stored without statistics
	pending [][]byte // roots of the deltas folded since the checkpoint
	digest  [32]byte // of state; zero when stale
}

// registryStats is a snapshot of one registry's statistics.
type registryStats struct {
	State   *cube.State
	Batches uint64
	Missing uint64
	Digest  [32]byte
}

// openStats folds the statistics the store holds.
func (n *Node) openStats() error {
	params, err := heParams(n.cfg.HEParams)
	if err != nil {
		return err
	}
	n.stats = newStatsBook(params, n.store)
	start := time.Now()
	if err := n.stats.load(); err != nil {
		return fmt.Errorf("load statistics: %w", err)
	}
	n.log.Debug("statistics loaded", "took", time.Since(start))
	return nil
}

func newStatsBook(params thhe.Params, st checkpointStore) *statsBook {
	return &statsBook{params: params, store: st, regs: map[string]*regStats{}}
}

// reg returns the registry's entry, creating it; nil for a registry
// without statistics. b.mu must be held for writing.
func (b *statsBook) reg(name string) (*regStats, error) {
	if r, ok := b.regs[name]; ok {
		return r, nil
	}
	s, err := registry.Lookup(name)
	if err != nil || s.Statistics == nil {
		return nil, nil
	}
	st, err := cube.NewState(b.params, s)
	if err != nil {
		return nil, err
	}
	r := &regStats{schema: s, state: st}
	b.regs[name] = r
	return r, nil
}

// decode checks a delta for the registry without folding it.
func (b *statsBook) decode(registryName string, delta []byte) (*cube.Delta, error) {
	s, err := registry.Lookup(registryName)
	if err != nil || s.Statistics == nil {
		return nil, fmt.Errorf("registry %q has no statistics", registryName)
	}
	return cube.DecodeDelta(b.params, s, delta)
}

// fold adds the decoded delta of batch root (nil: a batch stored without
// statistics) and checkpoints the state every checkpointEvery deltas.
func (b *statsBook) fold(registryName string, root []byte, d *cube.Delta) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, err := b.reg(registryName)
	if err != nil || r == nil {
		return err
	}
	r.digest = [32]byte{}
	if d == nil {
		r.missing++
		return nil
	}
	if err := r.state.Fold(d); err != nil {
		return err
	}
	r.pending = append(r.pending, root)
	if len(r.pending) < checkpointEvery {
		return nil
	}
	enc, err := r.state.MarshalBinary()
	if err != nil {
		return err
	}
	if err := b.store.PutCheckpoint(registryName, enc, r.pending); err != nil {
		return fmt.Errorf("statistics checkpoint: %w", err)
	}
	r.pending = nil
	return nil
}

// load rebuilds every built-in registry's state: its checkpoint, then the
// deltas stored since.
func (b *statsBook) load() error {
	for _, s := range registry.Builtin() {
		if s.Statistics == nil {
			continue
		}
		if err := b.loadRegistry(s); err != nil {
			return fmt.Errorf("%s: %w", s.Name, err)
		}
	}
	return nil
}

func (b *statsBook) loadRegistry(s registry.Schema) error {
	cp, err := b.store.Checkpoint(s.Name)
	if err != nil {
		return err
	}
	if cp != nil {
		st, err := cube.DecodeState(b.params, s, cp)
		if err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		b.mu.Lock()
		b.regs[s.Name] = &regStats{schema: s, state: st}
		b.mu.Unlock()
	}
	return b.store.EachStats(s.Name, func(root, delta []byte) error {
		switch {
		case len(delta) == 0:
			return b.fold(s.Name, root, nil)
		case bytes.Equal(delta, store.StatsFolded):
			return nil
		}
		d, err := cube.DecodeDelta(b.params, s, delta)
		if err != nil {
			return err
		}
		return b.fold(s.Name, root, d)
	})
}

// with calls fn with the registry's statistics, holding the book (fn must
// not keep State). Queries on one node take turns; folds wait for them.
func (b *statsBook) with(registryName string, fn func(registryStats) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, err := b.reg(registryName)
	if err != nil {
		return err
	}
	if r == nil {
		return fmt.Errorf("registry %q has no statistics", registryName)
	}
	if r.digest == ([32]byte{}) {
		enc, err := r.state.MarshalBinary()
		if err != nil {
			return err
		}
		h := sha256.New()
		h.Write(enc)
		fmt.Fprintf(h, "\x00missing=%d", r.missing)
		r.digest = [32]byte(h.Sum(nil))
	}
	return fn(registryStats{State: r.state, Batches: r.state.Folds() + r.missing, Missing: r.missing, Digest: r.digest})
}
