package node_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/dataembassy/embassy/node"
	"github.com/dataembassy/embassy/node/store"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/testnet"
	"github.com/dataembassy/embassy/thhe"
	libp2pprotocol "github.com/libp2p/go-libp2p/core/protocol"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
)

// waitKeys waits until nodes ks have all finished the key setup (public,
// relinearisation and every Galois key) and returns their public keys.
func waitKeys(t *testing.T, local *testnet.Local, ks ...int) map[int][]byte {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		keys := map[int][]byte{}
		for _, k := range ks {
			if n := local.Node(k); n != nil {
				pk, ok := n.FederationKey()
				if _, done := n.FederationKeysDigest(); ok && done {
					keys[k] = pk
				}
			}
		}
		if len(keys) == len(ks) {
			return keys
		}
		if time.Now().After(deadline) {
			var have []int
			for k := range keys {
				have = append(have, k)
			}
			slices.Sort(have)
			t.Fatalf("after 60 s only nodes %v have finished the key setup", have)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// galoisKeys returns node n's encoded Galois keys by element.
func galoisKeys(t *testing.T, n *node.Node) map[uint64][]byte {
	t.Helper()
	out := map[uint64][]byte{}
	for _, el := range n.GaloisElements() {
		b, ok := n.GaloisKey(el)
		if !ok {
			t.Fatalf("node %d has no Galois key for %d", n.Index(), el)
		}
		out[el] = b
	}
	return out
}

// keySwitch key-switches ct to target with the threshold shares of nodes
// (an active set), each release labelled label, and aggregates.
func keySwitch(t *testing.T, g thhe.Group, ct *rlwe.Ciphertext, target *rlwe.PublicKey, label string, nodes ...*node.Node) *rlwe.Ciphertext {
	t.Helper()
	ids := make([]int, len(nodes))
	for i, n := range nodes {
		ids[i] = n.Index()
	}
	active, err := g.NewActiveSet(ids...)
	if err != nil {
		t.Fatal(err)
	}
	var shares []*thhe.KeySwitchShare
	for _, n := range nodes {
		p, _ := n.ThresholdParty()
		if p == nil {
			t.Fatalf("node %d has no threshold share", n.Index())
		}
		s, err := p.KeySwitchShare(active, ct, target, label)
		if err != nil {
			t.Fatalf("node %d: %v", n.Index(), err)
		}
		shares = append(shares, s)
	}
	out, err := thhe.AggregateKeySwitch(g, ct, shares)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// roundTrip encrypts values under the federation key pk, squares them
// with the relinearisation key rlk, key-switches the result to a fresh
// querier key with the threshold shares of nodes and decrypts it. It
// returns the key-switched ciphertext.
func roundTrip(t *testing.T, pk, rlk []byte, label string, nodes ...*node.Node) *rlwe.Ciphertext {
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
	sk, target := thhe.NewTargetKeyPair(g.Params)
	got, err := thhe.Decrypt(g.Params, sk, keySwitch(t, g, ct, target, label, nodes...))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got[:len(want)], want) {
		t.Fatalf("nodes %v decrypted %v, want %v", nodeIndexes(nodes), got[:len(want)], want)
	}
	return ct
}

// innerSum encrypts a vector under the collective key of nodes[0]'s
// federation, sums its slots with the network-made Galois keys,
// key-switches the sum with nodes' shares and checks the result.
func innerSum(t *testing.T, nodes ...*node.Node) {
	t.Helper()
	_, g, pk, keys, ok := nodes[0].Federation()
	if !ok || len(keys.Galois) != len(nodes[0].GaloisElements()) || keys.Relin == nil {
		t.Fatalf("node %d: federation not ready", nodes[0].Index())
	}
	vals := make([]int64, g.Params.Slots())
	var want int64
	for i := range vals {
		vals[i] = int64(i%1000) - 300
		want += vals[i]
	}
	ct, err := thhe.Encrypt(g.Params, pk, vals)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := thhe.NewEvaluator(g.Params, keys).InnerSum(ct)
	if err != nil {
		t.Fatal(err)
	}
	sk, target := thhe.NewTargetKeyPair(g.Params)
	got, err := thhe.Decrypt(g.Params, sk, keySwitch(t, g, sum, target, "test inner sum", nodes...))
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if v != want {
			t.Fatalf("nodes %v: slot %d of the inner sum is %d, want %d", nodeIndexes(nodes), i, v, want)
		}
	}
}

func nodeIndexes(nodes []*node.Node) []int {
	out := make([]int, len(nodes))
	for i, n := range nodes {
		out[i] = n.Index()
	}
	return out
}

// dataDir is testnet node k's data directory.
func dataDir(t *testing.T, dir string, k int) string {
	t.Helper()
	cfg, err := node.LoadConfig(filepath.Join(testnet.NodeDir(dir, k), testnet.NodeConfig))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.DataDir
}

// checkSameKeys checks that nodes ks hold node 1's keys, and returns node
// 1's relinearisation and Galois keys.
func checkSameKeys(t *testing.T, local *testnet.Local, pks map[int][]byte, ks ...int) ([]byte, map[uint64][]byte) {
	t.Helper()
	n1 := local.Node(1)
	rlk, _ := n1.RelinKey()
	gal := galoisKeys(t, n1)
	d1, _ := n1.FederationKeysDigest()
	if len(gal) == 0 {
		t.Fatal("no Galois keys")
	}
	for _, k := range ks {
		n := local.Node(k)
		r, _ := n.RelinKey()
		d, _ := n.FederationKeysDigest()
		if !bytes.Equal(pks[1], pks[k]) || !bytes.Equal(rlk, r) || d != d1 {
			t.Fatalf("node %d holds other keys than node 1", k)
		}
		for el, b := range galoisKeys(t, n) {
			if !bytes.Equal(b, gal[el]) {
				t.Fatalf("node %d holds another Galois key for %d than node 1", k, el)
			}
		}
	}
	return rlk, gal
}

func TestKeySetup(t *testing.T) {
	dir, local := threeNodes(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
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

	// Every node ends with the same collective keys, Galois keys included,
	// and t nodes' threshold shares (any t, not only the active set that
	// made them) decrypt what is computed under them.
	keys := waitKeys(t, local, 1, 2, 3)
	rlk, gal := checkSameKeys(t, local, keys, 2, 3)
	ct := roundTrip(t, keys[1], rlk, "round trip", local.Node(2), local.Node(3))
	innerSum(t, local.Node(1), local.Node(3))
	if st := local.Node(2).KeySetupStatus(); !st.Done || st.GaloisKeys != len(gal) || st.GaloisKeysWanted != len(gal) || st.Fingerprint == "" {
		t.Fatalf("node 2's key setup status: %+v", st)
	}

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
		// Only the coordinator collects CKG, RKG and GKG shares.
		el := local.Node(1).GaloisElements()[0]
		for name, req := range map[string]*pb.KeySetupRequest{
			"CKG": {Body: &pb.KeySetupRequest_Ckg{Ckg: &pb.CKGShareRequest{}}},
			"RKG": {Body: &pb.KeySetupRequest_Rkg{Rkg: &pb.RKGRequest{Round: 1}}},
			"GKG": {Body: &pb.KeySetupRequest_Gkg{Gkg: &pb.GKGRequest{GaloisElement: el}}},
		} {
			resp := &pb.KeySetupResponse{}
			if err := peer.nw.Exchange(ctx, 2, protocol.KeySetupID, req, resp); err != nil || resp.Error == "" ||
				len(resp.CkgShare)+len(resp.RkgShare)+len(resp.GkgShare) != 0 {
				t.Errorf("%s request from node 3: %v (%v), want it refused", name, resp, err)
			}
		}
		// Key requests: one key each, Galois keys only for the setup's elements.
		for _, r := range []*pb.CollectiveKeyRequest{{Relin: true, GaloisElement: el}, {GaloisElement: 2}, {GaloisElement: 1}} {
			resp := &pb.KeySetupResponse{}
			req := &pb.KeySetupRequest{Body: &pb.KeySetupRequest_Key{Key: r}}
			if err := peer.nw.Exchange(ctx, 1, protocol.KeySetupID, req, resp); err != nil || resp.Error == "" || len(resp.GaloisKey) != 0 {
				t.Errorf("key request %v: %v (%v), want it refused", r, resp, err)
			}
		}
		resp := &pb.KeySetupResponse{}
		req := &pb.KeySetupRequest{Body: &pb.KeySetupRequest_Key{Key: &pb.CollectiveKeyRequest{GaloisElement: el}}}
		if err := peer.nw.Exchange(ctx, 1, protocol.KeySetupID, req, resp); err != nil || !bytes.Equal(resp.GaloisKey, gal[el]) {
			t.Errorf("Galois key request: %v, want the key of %d", err, el)
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

	// A restarted node loads its threshold share and every key from its
	// store: same keys at once, and its share still works with another
	// node's. Its once-per-ciphertext record survives too: it refuses a
	// second share for the ciphertext it key-switched before, and the
	// record can be read while it is stopped.
	if err := local.Stop(3); err != nil {
		t.Fatal(err)
	}
	stopped, err := node.ReadReleases(dataDir(t, dir, 3))
	if err != nil {
		t.Fatal(err)
	}
	_, g := local.Node(1).ThresholdParty()
	d, _ := thhe.CiphertextDigest(g.Params, ct)
	if len(stopped) != 2 || !slices.ContainsFunc(stopped, func(r node.Release) bool {
		return r.Digest == d && r.Label == "round trip" && !r.Time.IsZero()
	}) {
		t.Fatalf("node 3's releases read while stopped: %+v, want the round trip's and the inner sum's", stopped)
	}
	if err := local.Start(3); err != nil {
		t.Fatal(err)
	}
	n3 := local.Node(3)
	pk, ok := n3.FederationKey()
	d1, _ := local.Node(1).FederationKeysDigest()
	if d3, done := n3.FederationKeysDigest(); !ok || !done || !bytes.Equal(pk, keys[1]) || d3 != d1 {
		t.Fatal("node 3 lost its federation keys across a restart")
	}
	p3, _ := n3.ThresholdParty()
	_, target := thhe.NewTargetKeyPair(g.Params)
	if _, err := p3.KeySwitchShare(mustActive(t, g, 2, 3), ct, target, "again"); !errors.Is(err, thhe.ErrShareAlreadyReleased) {
		t.Fatalf("restarted node 3 asked again for a share of a ciphertext it released one for: %v, want ErrShareAlreadyReleased", err)
	}
	if running, err := n3.Releases(); err != nil || !slices.Equal(running, stopped) {
		t.Fatalf("node 3's releases after the restart: %+v (%v), want %+v", running, err, stopped)
	}
	roundTrip(t, keys[1], rlk, "round trip after restart", local.Node(1), n3)
	st := nodeStatus(t, dir, 3)
	if !st.KeySetup.Done || st.KeySetup.GaloisKeys != len(gal) || st.KeySwitchShares != 3 {
		t.Fatalf("/status of node 3: key_setup %+v, keyswitch_shares %d, want done and 3", st.KeySetup, st.KeySwitchShares)
	}
	_, page := fetch(t, statusAddr(t, dir, 3), "/metrics")
	if v := metric(t, page, "embassy_keyswitch_shares_total"); v != 3 {
		t.Errorf("embassy_keyswitch_shares_total = %v, want 3", v)
	}
	if v := metric(t, page, "embassy_key_setup_done"); v != 1 {
		t.Errorf("embassy_key_setup_done = %v, want 1", v)
	}

	t.Run("GKG resumes", func(t *testing.T) {
		// The state a crash in the middle of GKG leaves: the coordinator
		// made the keys of the first elements (and node 2, the other
		// member of the active set, gave shares for the next ones), node 2
		// fetched fewer, node 3 none. Restarted, the coordinator keeps what
		// it made and resumes at the first missing element; node 2, which
		// cannot repeat the share it gave before its restart, refuses
		// attempt 0 and gives a share for attempt 1 instead. The others
		// fetch what they miss.
		els := local.Node(1).GaloisElements()
		made := len(els) / 2
		local.StopAll()
		for k, keep := range map[int]int{1: made, 2: made - 2, 3: 0} {
			st, err := store.Open(filepath.Join(dataDir(t, dir, k), "badger"), quiet())
			if err != nil {
				t.Fatal(err)
			}
			var del []string
			for _, el := range els[keep:] {
				del = append(del, "galois/"+strconv.FormatUint(el, 10))
			}
			err = st.UpdateKeys(nil, del...)
			if cerr := st.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := local.StartAll(); err != nil {
			t.Fatal(err)
		}
		if st := local.Node(1).KeySetupStatus(); st.Done || !st.RelinKey {
			t.Fatalf("coordinator status after losing Galois keys: %+v", st)
		}
		keys := waitKeys(t, local, 1, 2, 3)
		_, now := checkSameKeys(t, local, keys, 2, 3)
		for i, el := range els {
			kept := bytes.Equal(now[el], gal[el])
			attempts := local.Node(2).KeyEntries("gkg/given/" + strconv.FormatUint(el, 10) + "/")
			if i < made && (!kept || attempts != 1) {
				t.Errorf("element %d (made before the crash): kept %v, %d attempts; want kept, 1 attempt", el, kept, attempts)
			}
			if i >= made && (kept || attempts != 2) {
				t.Errorf("element %d (missing at the crash): kept %v, %d attempts; want made again in a second attempt", el, kept, attempts)
			}
		}
		innerSum(t, local.Node(2), local.Node(3))
	})

	t.Run("CKG member repeats its share, also after a restart", func(t *testing.T) {
		a, err := local.Node(2).CKGShareAsMember()
		if err != nil {
			t.Fatal(err)
		}
		b, err := local.Node(2).CKGShareAsMember()
		if err != nil || !bytes.Equal(a, b) {
			t.Fatalf("second answer: %v, same share %v", err, bytes.Equal(a, b))
		}
		if err := local.Stop(2); err != nil {
			t.Fatal(err)
		}
		if err := local.Start(2); err != nil {
			t.Fatal(err)
		}
		c, err := local.Node(2).CKGShareAsMember()
		if err != nil || !bytes.Equal(a, c) {
			t.Fatalf("after a restart: %v, same share %v", err, bytes.Equal(a, c))
		}
	})

	t.Run("GKG member repeats or refuses", func(t *testing.T) {
		// Asked twice for one instance, a member gives the same share;
		// after a restart it refuses the instance instead of giving a
		// second share with fresh noise.
		el := local.Node(2).GaloisElements()[0]
		a, err := local.Node(2).GKGShareAsMember(el, 9)
		if err != nil {
			t.Fatal(err)
		}
		b, err := local.Node(2).GKGShareAsMember(el, 9)
		if err != nil || !bytes.Equal(a, b) {
			t.Fatalf("second answer: %v, same share %v", err, bytes.Equal(a, b))
		}
		if err := local.Stop(2); err != nil {
			t.Fatal(err)
		}
		if err := local.Start(2); err != nil {
			t.Fatal(err)
		}
		if s, err := local.Node(2).GKGShareAsMember(el, 9); err == nil || s != nil {
			t.Fatal("a restarted member answered an instance it had answered before")
		}
		if _, err := local.Node(2).GKGShareAsMember(el, 10); err != nil {
			t.Fatalf("a new instance after the restart: %v", err)
		}
	})
}

func mustActive(t *testing.T, g thhe.Group, ids ...int) thhe.ActiveSet {
	t.Helper()
	s, err := g.NewActiveSet(ids...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// statusAddr is testnet node k's status address.
func statusAddr(t *testing.T, dir string, k int) string {
	t.Helper()
	cfg, err := node.LoadConfig(filepath.Join(testnet.NodeDir(dir, k), testnet.NodeConfig))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.StatusAddr
}
