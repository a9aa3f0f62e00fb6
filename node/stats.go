package node

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/dataembassy/embassy/cube"
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

	mu   sync.Mutex // guards regs and every state
	regs map[string]*regStats
}

type regStats struct {
	schema  registry.Schema
	state   *cube.State
	missing uint64   // batches stored without statistics
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
	n.stats = newStatsBook(params)
	start := time.Now()
	if err := n.stats.load(n.store.EachStats); err != nil {
		return fmt.Errorf("load statistics: %w", err)
	}
	n.log.Debug("statistics loaded", "took", time.Since(start))
	return nil
}

func newStatsBook(params thhe.Params) *statsBook {
	return &statsBook{params: params, regs: map[string]*regStats{}}
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

// fold adds a decoded delta (nil: a batch stored without statistics).
func (b *statsBook) fold(registryName string, d *cube.Delta) error {
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
	return r.state.Fold(d)
}

// load folds every delta the store holds for the built-in registries.
func (b *statsBook) load(each func(registry string, fn func(root, delta []byte) error) error) error {
	for _, s := range registry.Builtin() {
		if s.Statistics == nil {
			continue
		}
		err := each(s.Name, func(_, delta []byte) error {
			if len(delta) == 0 {
				return b.fold(s.Name, nil)
			}
			d, err := cube.DecodeDelta(b.params, s, delta)
			if err != nil {
				return err
			}
			return b.fold(s.Name, d)
		})
		if err != nil {
			return err
		}
	}
	return nil
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
