package node_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dataembassy/embassy/client"
	"github.com/dataembassy/embassy/cube"
	"github.com/dataembassy/embassy/node"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/testnet"
	"github.com/dataembassy/embassy/thhe"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"
)

// byzantine is a node.Faults that tests switch on and off while the node
// runs.
type byzantine struct {
	shares    atomic.Bool                     // flip a bit of every record share served
	keySwitch atomic.Pointer[keySwitchAttack] // nil: honest key-switch shares
}

// keySwitchAttack is what a Byzantine node does to its key-switch shares.
type keySwitchAttack struct {
	params thhe.Params
	// garbage replaces the share with uniformly random values; otherwise
	// delta is added to slot (ciphertext, index) of the decrypted result.
	garbage   bool
	slot      cube.Slot
	delta     uint64
	corrupted atomic.Int32 // shares changed
}

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
	a := b.keySwitch.Load()
	if a == nil {
		return
	}
	rq := a.params.RingQ().AtLevel(ct.Level())
	h := share.Share.Value[0]
	switch {
	case a.garbage:
		rng := rand.New(rand.NewPCG(uint64(i), 1))
		for l, q := range rq.ModuliChain()[:ct.Level()+1] {
			for j := range h.Coeffs[l] {
				h.Coeffs[l][j] = rng.Uint64N(q)
			}
		}
	case i == a.slot.Ciphertext:
		// The encoding of a vector that is delta in one slot, at the
		// ciphertext's level and scale: decryption is linear, so the
		// switched result decrypts to the true one plus this vector.
		values := make([]uint64, a.params.Slots())
		values[a.slot.Index] = a.delta
		pt := bgv.NewPlaintext(a.params.Parameters, ct.Level())
		pt.Scale = ct.Scale
		pt.IsNTT = ct.IsNTT
		if err := bgv.NewEncoder(a.params.Parameters).Encode(values, pt); err != nil {
			panic(err) // test code: a wrong attack, not a node fault
		}
		rq.Add(h, pt.Value, h)
	default:
		return
	}
	a.corrupted.Add(1)
}

// startByzantine starts the testnet's nodes in-process, node k with
// faults[k-1], and waits until they hold the same federation keys.
func startByzantine(ctx context.Context, t *testing.T, dir string, faults []*byzantine) []*node.Node {
	t.Helper()
	nodes := make([]*node.Node, len(faults))
	for k := 1; k <= len(faults); k++ {
		cfg, err := node.LoadConfig(filepath.Join(testnet.NodeDir(dir, k), testnet.NodeConfig))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Faults = faults[k-1]
		n, err := node.Start(cfg, quiet())
		if err != nil {
			t.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- n.Run(runCtx) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("node%d: %v", k, err)
			}
		})
		nodes[k-1] = n
	}
	for {
		var first [32]byte
		ready := true
		for k, n := range nodes {
			d, ok := n.FederationKeysDigest()
			if _, ok2 := n.FederationKey(); !ok || !ok2 {
				ready = false
				break
			}
			if k == 0 {
				first = d
			} else if d != first {
				t.Fatalf("node%d holds other federation keys than node1", k+1)
			}
		}
		if ready {
			return nodes
		}
		select {
		case <-ctx.Done():
			t.Fatalf("federation key setup: %v", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestByzantine: what honest parties do with a node that corrupts the
// record shares it serves, or its key-switch shares of a query, before it
// seals or encodes them.
func TestByzantine(t *testing.T) {
	dir, _ := threeNodes(t) // 3 nodes, t = 2, test HE parameters
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	faults := []*byzantine{{}, {}, {}}
	startByzantine(ctx, t, dir, faults)
	custodian := openCustodian(t, dir)
	input, want := rows(t, 30, 41)
	ingest(ctx, t, custodian, input)
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)

	t.Run("a corrupted share is detected, named, and the record rebuilt from the honest nodes", func(t *testing.T) {
		faults[0].shares.Store(true)
		defer faults[0].shares.Store(false)
		res, err := custodian.Get(ctx, reg, keys)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatalf("get %q: %v", r.Key, r.Err)
			}
			if !bytes.Equal(r.Record, want[r.Key]) {
				t.Fatalf("get %q: %q, want %q", r.Key, r.Record, want[r.Key])
			}
			bad := r.Resolution.Bad
			if len(bad) != 1 || bad[0].Node != 1 || bad[0].Name != "node1" || !strings.Contains(bad[0].Reason, protocol.ErrInvalidShare.Error()) {
				t.Fatalf("get %q: bad shares %v, want node1's alone, as an invalid share", r.Key, bad)
			}
		}
	})

	t.Run("with corrupted shares from two of three nodes, no record", func(t *testing.T) {
		faults[0].shares.Store(true)
		faults[1].shares.Store(true)
		defer faults[0].shares.Store(false)
		defer faults[1].shares.Store(false)
		res, err := custodian.Get(ctx, reg, keys[:3])
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if !errors.Is(r.Err, protocol.ErrThresholdNotMet) || r.Record != nil {
				t.Fatalf("get %q: record %q, error %v; want ErrThresholdNotMet", r.Key, r.Record, r.Err)
			}
			for _, name := range []string{"invalid shares from node1 (index 1)", "node2 (index 2)"} {
				if !strings.Contains(r.Err.Error(), name) {
					t.Errorf("get %q: %v does not name %q", r.Key, r.Err, name)
				}
			}
		}
	})

	t.Run("switched off, every node is honest again", func(t *testing.T) {
		checkGets(ctx, t, custodian, want)
	})

	service := openService(t, dir)
	params, _, err := service.FederationKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const text = "SELECT COUNT(*) FROM land"
	count := func(t *testing.T, r *client.QueryResult) string {
		t.Helper()
		if len(r.Result.Rows) != 1 || len(r.Result.Rows[0]) != 1 {
			t.Fatalf("%s: rows %v", text, r.Result.Rows)
		}
		if !slices.Contains(r.Answer.ActiveSet, 1) {
			t.Fatalf("%s: node1 was not in the active set %v", text, r.Answer.ActiveSet)
		}
		return fmt.Sprint(r.Result.Rows[0][0])
	}
	honest := func(t *testing.T) {
		r, err := service.Query(ctx, text, client.QueryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := count(t, r); got != fmt.Sprint(len(want)) {
			t.Fatalf("COUNT(*) = %s, want %d", got, len(want))
		}
	}
	attack := func(t *testing.T, a *keySwitchAttack) (*client.QueryResult, error) {
		t.Helper()
		faults[0].keySwitch.Store(a)
		defer faults[0].keySwitch.Store(nil)
		r, err := service.Query(ctx, text, client.QueryOptions{})
		if a.corrupted.Load() == 0 {
			t.Fatal("node1 corrupted no key-switch share")
		}
		return r, err
	}

	t.Run("honest query", honest)

	t.Run("a garbage key-switch share: the result does not decode, no node is named", func(t *testing.T) {
		_, err := attack(t, &keySwitchAttack{params: params, garbage: true})
		if !errors.Is(err, cube.ErrCorrupt) {
			t.Fatalf("query with a garbage key-switch share: %v, want cube.ErrCorrupt", err)
		}
		if strings.Contains(err.Error(), "node1") {
			t.Errorf("the error names node1 (it cannot know): %v", err)
		}
	})

	t.Run("a crafted key-switch share changes the answer undetected", func(t *testing.T) {
		plan, err := query.Compile(text, registry.Builtin())
		if err != nil {
			t.Fatal(err)
		}
		s, _ := registry.Lookup(plan.Registry)
		layouts, err := cube.NewLayouts(s, params.Slots())
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(layouts, func(l *cube.Layout) bool { return l.Cube == plan.Cube })
		rl, err := cube.NewResultLayout(layouts[i], plan)
		if err != nil {
			t.Fatal(err)
		}
		const delta = 1000
		// Where[0] is the count of the one output cell.
		r, err := attack(t, &keySwitchAttack{params: params, slot: rl.Where[0], delta: delta})
		if err != nil {
			t.Fatalf("query with a crafted key-switch share: %v", err)
		}
		if got := count(t, r); got != fmt.Sprint(len(want)+delta) {
			t.Fatalf("COUNT(*) = %s, want the true %d plus the attacker's %d", got, len(want), delta)
		}
	})

	t.Run("switched off, the answer is true again", honest)
}
