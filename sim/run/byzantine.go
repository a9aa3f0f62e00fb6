package run

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"

	"github.com/dataembassy/embassy/node"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/sim"
	"github.com/dataembassy/embassy/thhe"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
)

// byzantine is a node's switchable lies (node.Faults): while on, it flips
// a bit of every record share it serves and replaces its key-switch
// shares with uniformly random values. It is installed on every node and
// stays honest until a timeline action turns it.
type byzantine struct {
	params    thhe.Params
	seed      uint64
	shares    atomic.Bool
	keySwitch atomic.Bool
}

var _ node.Faults = (*byzantine)(nil)

func (b *byzantine) GetItems(_ string, items []*pb.GetItem) {
	if !b.shares.Load() {
		return
	}
	for _, it := range items {
		if it.Latest != nil && len(it.Latest.Share) > 0 {
			it.Latest.Share[0] ^= 1
		}
	}
}

func (b *byzantine) KeySwitchShare(i int, ct *rlwe.Ciphertext, share *thhe.KeySwitchShare) {
	if !b.keySwitch.Load() {
		return
	}
	rq := b.params.RingQ().AtLevel(ct.Level())
	h := share.Share.Value[0]
	rng := rand.New(rand.NewPCG(b.seed, uint64(i)))
	for l, q := range rq.ModuliChain()[:ct.Level()+1] {
		for j := range h.Coeffs[l] {
			h.Coeffs[l][j] = rng.Uint64N(q)
		}
	}
}

func (r *runner) setByzantine(n *nodeProc, a sim.Action) error {
	on := a.Kind == sim.ActByzantine
	n.faults.shares.Store(on && slices.Contains(a.Corrupt, sim.CorruptShares))
	n.faults.keySwitch.Store(on && slices.Contains(a.Corrupt, sim.CorruptKeySwitch))
	return nil
}

func newByzantine(seed uint64, index int) (*byzantine, error) {
	p, err := thhe.ParamsByName("test")
	if err != nil {
		return nil, fmt.Errorf("byzantine faults: %w", err)
	}
	return &byzantine{params: p, seed: seed ^ uint64(index)<<32}, nil
}
