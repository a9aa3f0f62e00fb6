package node_test

import (
	"bufio"
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/dataembassy/embassy/node"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/testnet"
	"github.com/dataembassy/embassy/thhe"
	libp2pprotocol "github.com/libp2p/go-libp2p/core/protocol"
)

// waitKeys waits until nodes ks all hold a federation key and a
// relinearisation key, and returns the federation keys.
func waitKeys(t *testing.T, local *testnet.Local, ks ...int) map[int][]byte {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		keys := map[int][]byte{}
		for _, k := range ks {
			if n := local.Node(k); n != nil {
				pk, ok := n.FederationKey()
				if _, relin := n.RelinKey(); ok && relin {
					keys[k] = pk
				}
			}
		}
		if len(keys) == len(ks) {
			return keys
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s only nodes %v hold a federation key", slices.Collect(func(yield func(int) bool) {
				for k := range keys {
					if !yield(k) {
						return
					}
				}
			}))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// roundTrip encrypts values under the federation key pk, squares them
// with the relinearisation key rlk, key-switches the result to a fresh
// querier key with the threshold shares of the nodes in set and decrypts it.
func roundTrip(t *testing.T, pk, rlk []byte, set []int, nodes ...*node.Node) {
	t.Helper()
	_, g := nodes[0].ThresholdParty()
	key, err := thhe.DecodePublicKey(g.Params, pk)
	if err != nil {
		t.Fatal(err)
	}
	relin, err := thhe.DecodeRelinKey(g.Params, rlk)
	if err != nil {
		t.Fatal(err)
	}
	in := []int64{42, -7, 1 << 15}
	want := []int64{42 * 42, 49, 1 << 30}
	x, err := thhe.Encrypt(g.Params, key, in)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := thhe.NewEvaluator(g.Params, thhe.EvaluationKeys{Relin: relin}).Mul(x, x)
	if err != nil {
		t.Fatal(err)
	}
	active, err := g.NewActiveSet(set...)
	if err != nil {
		t.Fatal(err)
	}
	sk, target := thhe.NewTargetKeyPair(g.Params)
	var shares []*thhe.KeySwitchShare
	for _, n := range nodes {
		p, _ := n.ThresholdParty()
		if p == nil {
			t.Fatalf("node %d has no threshold share", n.Index())
		}
		s, err := p.KeySwitchShare(active, ct, target, "test")
		if err != nil {
			t.Fatal(err)
		}
		shares = append(shares, s)
	}
	out, err := thhe.AggregateKeySwitch(g, ct, shares)
	if err != nil {
		t.Fatal(err)
	}
	got, err := thhe.Decrypt(g.Params, sk, out)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got[:len(want)], want) {
		t.Fatalf("set %v decrypted %v, want %v", set, got[:len(want)], want)
	}
}

func TestKeySetup(t *testing.T) {
	dir, local := threeNodes(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()

	// Node 1 restarts in the middle of the setup, after its deal reached
	// node 2 and before node 3 is up: it must resend the same deal, not
	// sample a new contribution (node 2 would refuse a second one).
	for _, k := range []int{1, 2} {
		if err := local.Start(k); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(15 * time.Second); local.Node(1).KeyEntries("out/") != 1; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("node 1's deal did not reach node 2")
		}
	}
	if err := local.Stop(1); err != nil {
		t.Fatal(err)
	}
	if err := local.StartAll(); err != nil {
		t.Fatal(err)
	}

	// Every node ends with the same collective public key, and t nodes'
	// threshold shares (any t, not only the active set that made it)
	// decrypt what is encrypted under it.
	keys := waitKeys(t, local, 1, 2, 3)
	rlk, _ := local.Node(1).RelinKey()
	for k := 2; k <= 3; k++ {
		r, _ := local.Node(k).RelinKey()
		if !bytes.Equal(keys[1], keys[k]) || !bytes.Equal(rlk, r) {
			t.Fatalf("node %d holds other keys than node 1", k)
		}
	}
	roundTrip(t, keys[1], rlk, []int{2, 3}, local.Node(2), local.Node(3))

	key := &pb.KeySetupRequest{Body: &pb.KeySetupRequest_Key{Key: &pb.CollectiveKeyRequest{}}}
	t.Run("refusals", func(t *testing.T) {
		for _, who := range []string{testnet.ServiceKey, testnet.CustodianKey} {
			p := dial(t, dir, filepath.Join(dir, who))
			resp := &pb.KeySetupResponse{}
			if err := p.nw.Exchange(ctx, 1, protocol.KeySetupID, key, resp); err == nil {
				t.Errorf("key setup from %s answered %v, want the stream refused", who, resp)
			}
		}
		peer := dial(t, dir, filepath.Join(testnet.NodeDir(dir, 3), testnet.NodeKey))
		// A node cannot deal in another's name, nor deal a second time.
		for _, d := range []*pb.ThresholdDeal{
			{From: 2, To: 1, Epoch: 1, Sealed: []byte("x")},
			{From: 3, To: 1, Epoch: 1, Sealed: []byte("not the deal node 1 holds")},
		} {
			resp := &pb.KeySetupResponse{}
			req := &pb.KeySetupRequest{Body: &pb.KeySetupRequest_Deal{Deal: d}}
			if err := peer.nw.Exchange(ctx, 1, protocol.KeySetupID, req, resp); err != nil || resp.Error == "" {
				t.Errorf("deal %d->%d: %v (%v), want it refused", d.From, d.To, resp, err)
			}
		}
		// Only the coordinator collects CKG and RKG shares.
		resp := &pb.KeySetupResponse{}
		ckg := &pb.KeySetupRequest{Body: &pb.KeySetupRequest_Ckg{Ckg: &pb.CKGShareRequest{}}}
		if err := peer.nw.Exchange(ctx, 2, protocol.KeySetupID, ckg, resp); err != nil || resp.Error == "" || len(resp.CkgShare) != 0 {
			t.Errorf("CKG request from node 3: %v (%v), want it refused", resp, err)
		}
		resp = &pb.KeySetupResponse{}
		rkg := &pb.KeySetupRequest{Body: &pb.KeySetupRequest_Rkg{Rkg: &pb.RKGRequest{Round: 1}}}
		if err := peer.nw.Exchange(ctx, 2, protocol.KeySetupID, rkg, resp); err != nil || resp.Error == "" || len(resp.RkgShare) != 0 {
			t.Errorf("RKG request from node 3: %v (%v), want it refused", resp, err)
		}

		// A message that does not decode resets the stream; the node keeps serving.
		s, err := peer.nw.Host.NewStream(ctx, local.Node(1).Host().ID(), libp2pprotocol.ID(protocol.KeySetupID))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = s.Write([]byte{3, 0xff, 0xff, 0xff})
		_ = s.CloseWrite()
		if err := protocol.ReadMsg(bufio.NewReader(s), &pb.KeySetupResponse{}, 1<<20); err == nil {
			t.Error("a malformed key setup request was answered")
		}
		_ = s.Reset()
		resp = &pb.KeySetupResponse{}
		if err := peer.nw.Exchange(ctx, 1, protocol.KeySetupID, key, resp); err != nil || !bytes.Equal(resp.PublicKey, keys[1]) {
			t.Errorf("key request after a malformed one: %v, want the federation key", err)
		}
	})

	// A restarted node loads its threshold share and the public key from
	// its store: same key at once, and its share still works with another
	// node's.
	if err := local.Stop(3); err != nil {
		t.Fatal(err)
	}
	if err := local.Start(3); err != nil {
		t.Fatal(err)
	}
	pk, ok := local.Node(3).FederationKey()
	r, relin := local.Node(3).RelinKey()
	if !ok || !relin || !bytes.Equal(pk, keys[1]) || !bytes.Equal(r, rlk) {
		t.Fatal("node 3 lost its federation keys across a restart")
	}
	roundTrip(t, keys[1], rlk, []int{1, 3}, local.Node(1), local.Node(3))
}
