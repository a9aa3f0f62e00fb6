package node_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dataembassy/embassy/client"
	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/testnet"
	"github.com/dataembassy/embassy/transport"
	"google.golang.org/protobuf/proto"
)

const reg = "land"

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// rows generates count land rows and returns the input and the encoded
// record that each key must end with (its last valid row).
func rows(t *testing.T, count int, seed uint64) ([]byte, map[string][]byte) {
	t.Helper()
	schema, err := registry.Lookup(reg)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := registry.Generate(&buf, registry.FormatCSV, reg, count, seed); err != nil {
		t.Fatal(err)
	}
	rd, err := registry.NewReader(bytes.NewReader(buf.Bytes()), registry.FormatCSV, schema)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if row.Err == nil {
			want[schema.Key(row.Record)] = schema.EncodeRecord(row.Record)
		}
	}
	if len(want) == 0 {
		t.Fatal("generator gave no valid rows")
	}
	return buf.Bytes(), want
}

func ingest(ctx context.Context, t *testing.T, c *client.Client, input []byte) client.IngestProgress {
	t.Helper()
	schema, _ := registry.Lookup(reg)
	rd, err := registry.NewReader(bytes.NewReader(input), registry.FormatCSV, schema)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := c.Ingest(ctx, schema, rd, client.IngestOptions{BatchSize: 7})
	if err != nil {
		t.Fatalf("ingest: %v (progress %+v)", err, prog)
	}
	return prog
}

// checkGets looks every key up and wants exactly its record.
func checkGets(ctx context.Context, t *testing.T, c *client.Client, want map[string][]byte) {
	t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	res, err := c.Get(ctx, reg, keys)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("get %q: %v", r.Key, r.Err)
		}
		if !bytes.Equal(r.Record, want[r.Key]) {
			t.Fatalf("get %q: %q, want %q", r.Key, r.Record, want[r.Key])
		}
		if len(r.Resolution.Bad) != 0 {
			t.Fatalf("get %q: bad shares from %v", r.Key, r.Resolution.Bad)
		}
	}
}

// principal is a bare host with one of the testnet's keys, for talking to
// nodes directly.
type principal struct {
	id *identity.Identity
	nw *transport.Network
}

// loadRoster verifies the testnet's signed roster.
func loadRoster(t *testing.T, dir string) (roster.Roster, roster.Digest) {
	t.Helper()
	custodian, err := identity.Load(filepath.Join(dir, testnet.CustodianKey))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, testnet.RosterFile))
	if err != nil {
		t.Fatal(err)
	}
	r, d, err := roster.Open(data, custodian.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	return r, d
}

func rosterOf(t *testing.T, dir string) roster.Roster {
	r, _ := loadRoster(t, dir)
	return r
}

func rosterDigest(t *testing.T, dir string) []byte {
	_, d := loadRoster(t, dir)
	return d[:]
}

func dial(t *testing.T, dir, keyFile string) *principal {
	t.Helper()
	id, err := identity.Load(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	r := rosterOf(t, dir)
	g, err := transport.NewGater(r)
	if err != nil {
		t.Fatal(err)
	}
	h, err := transport.NewHost(transport.HostConfig{Key: id.SigningKey(), Gater: g, TCPOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	nw, err := transport.NewNetwork(h, g, r)
	if err != nil {
		h.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { nw.Close() })
	return &principal{id: id, nw: nw}
}

// threeNodes lays out a 3-node testnet (t=2, fast HE parameters) in a
// temporary directory; the test starts the nodes it needs.
func threeNodes(t *testing.T) (string, *testnet.Local) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a three-node network")
	}
	dir := filepath.Join(t.TempDir(), "net")
	if err := testnet.Init(dir, testnet.Options{Nodes: 3, Threshold: 2, HEParams: "test"}); err != nil {
		t.Fatal(err)
	}
	local := testnet.NewLocal(dir, quiet())
	t.Cleanup(local.StopAll)
	return dir, local
}

func TestNodes(t *testing.T) {
	dir, local := threeNodes(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	if err := local.StartAll(); err != nil {
		t.Fatal(err)
	}
	cfg, err := client.LoadConfig(filepath.Join(dir, testnet.ClientFile))
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })

	// All nodes up: stored everywhere and read back exactly.
	input, first := rows(t, 30, 1)
	prog := ingest(ctx, t, c, input)
	if prog.Failed != 0 || prog.Pending != 0 || prog.Stored+prog.Rejected != prog.Read || prog.Stored == 0 {
		t.Fatalf("ingest with all nodes up: %+v", prog)
	}
	checkGets(ctx, t, c, first)

	// The same rows again are unchanged.
	if again := ingest(ctx, t, c, input); again.Unchanged != prog.Stored || again.Stored != 0 {
		t.Fatalf("re-ingest: %+v, want %d unchanged", again, prog.Stored)
	}

	t.Run("refusals", func(t *testing.T) {
		service := dial(t, dir, filepath.Join(dir, testnet.ServiceKey))
		// Refused roles have their stream reset before anything is read.
		resp := &pb.StoreResponse{}
		if err := service.nw.Exchange(ctx, 1, protocol.StoreID, &pb.StoreRequest{Registry: reg}, resp); err == nil {
			t.Errorf("store from a service answered %+v, want the stream refused", resp)
		}
		// A service may read; the reply is sealed to the service's key,
		// bound to the node and the request.
		get := &pb.GetResponse{}
		req := &pb.GetRequest{Registry: reg, Pseudonyms: [][]byte{make([]byte, 32)}, Nonce: []byte("nonce-1")}
		if err := service.nw.Exchange(ctx, 1, protocol.GetID, req, get); err != nil {
			t.Fatal(err)
		}
		if get.Error != "" || len(get.Items) != 0 || len(get.SealedItems) == 0 {
			t.Fatalf("get from a service: error %q, %d clear items, %d sealed bytes", get.Error, len(get.Items), len(get.SealedItems))
		}
		digest := rosterDigest(t, dir)
		reply := &pb.GetReply{}
		plain, err := service.id.Open(protocol.ReplyInfo(digest, 1, reg, req.Nonce, req.Pseudonyms), get.SealedItems)
		if err != nil || proto.Unmarshal(plain, reply) != nil || len(reply.Items) != 1 || reply.Items[0].Found {
			t.Errorf("service opening its reply: %v, %v", err, reply)
		}
		custodianID, err := identity.Load(filepath.Join(dir, testnet.CustodianKey))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := custodianID.Open(protocol.ReplyInfo(digest, 1, reg, req.Nonce, req.Pseudonyms), get.SealedItems); err == nil {
			t.Error("the custodian opened a reply sealed to the service")
		}
		if _, err := service.id.Open(protocol.ReplyInfo(digest, 2, reg, req.Nonce, req.Pseudonyms), get.SealedItems); err == nil {
			t.Error("node 1's reply opened as node 2's")
		}
		if _, err := service.id.Open(protocol.ReplyInfo(digest, 1, reg, []byte("nonce-2"), req.Pseudonyms), get.SealedItems); err == nil {
			t.Error("a reply opened as the answer to a request with another nonce")
		}

		peer := dial(t, dir, filepath.Join(testnet.NodeDir(dir, 3), testnet.NodeKey))
		get = &pb.GetResponse{}
		if err := peer.nw.Exchange(ctx, 1, protocol.GetID, &pb.GetRequest{Registry: reg, Pseudonyms: [][]byte{make([]byte, 32)}}, get); err == nil {
			t.Errorf("get from another node answered %v, want the stream refused", get)
		}
		// A service may not hand off parcels.
		hand := &pb.HandoffResponse{}
		if err := service.nw.Exchange(ctx, 1, protocol.HandoffID, &pb.HandoffRequest{}, hand); err == nil {
			t.Errorf("handoff from a service answered %v, want the stream refused", hand)
		}
		// A node may hand a parcel to its target only if the custodian
		// made it: one sealed to node 1 by node 3 itself is refused.
		r := rosterOf(t, dir)
		sealed, err := identity.Seal(r.Nodes[0].SealKey, protocol.ParcelInfo(rosterDigest(t, dir), 1), []byte("not a store request"))
		if err != nil {
			t.Fatal(err)
		}
		id := sha256.Sum256(sealed)
		hand = &pb.HandoffResponse{}
		forged := &pb.Parcel{Target: 1, Id: id[:], Sealed: sealed, Signature: make([]byte, 64)}
		if err := peer.nw.Exchange(ctx, 1, protocol.HandoffID, &pb.HandoffRequest{Parcels: []*pb.Parcel{forged}}, hand); err != nil {
			t.Fatal(err)
		}
		if len(hand.RefusedIds) != 1 || !bytes.Equal(hand.RefusedIds[0], id[:]) || hand.Accepted != 0 {
			t.Errorf("parcel made by a node: %v, want it refused", hand)
		}
		if got := nodeStatus(t, dir, 1).Counters.ParcelsRefused; got != 1 {
			t.Errorf("node1 counts %d refused parcels, want 1", got)
		}
	})

	// Node 3 down: the batch reaches t=2 nodes, so it is pending, parcels
	// held for node 3, and readable from the two.
	if err := local.Stop(3); err != nil {
		t.Fatal(err)
	}
	// Seeds share some keys: those rows update records (or leave them as
	// they are, when equal).
	input2, second := rows(t, 12, 2)
	all := map[string][]byte{}
	for k, v := range first {
		all[k] = v
	}
	for k, v := range second {
		all[k] = v
	}
	prog = ingest(ctx, t, c, input2)
	if prog.Failed != 0 || prog.Stored != 0 || prog.Pending+prog.Unchanged != prog.Read-prog.Rejected || prog.Pending == 0 {
		t.Fatalf("ingest with node 3 down: %+v, want all pending", prog)
	}
	checkGets(ctx, t, c, second)

	// Node 3 returns and is handed its parcels.
	if err := local.Start(3); err != nil {
		t.Fatal(err)
	}
	custodian := dial(t, dir, filepath.Join(dir, testnet.CustodianKey))
	secret, err := client.LoadSecret(filepath.Join(dir, testnet.NetworkSecret))
	if err != nil {
		t.Fatal(err)
	}
	pseudo := protocol.NewPseudonymizer(secret)
	var ps, tags [][]byte
	for k, enc := range second {
		ps = append(ps, pseudo.Pseudonym(reg, k))
		tags = append(tags, pseudo.ContentTag(reg, enc))
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp := &pb.GetResponse{}
		err := custodian.nw.Exchange(ctx, 3, protocol.GetID, &pb.GetRequest{Registry: reg, Pseudonyms: ps, MetaOnly: true}, resp)
		have := 0
		if err == nil && resp.Error == "" {
			for i, it := range resp.Items {
				if it.Found && bytes.Equal(it.ContentTag, tags[i]) {
					have++
				}
			}
		}
		if have == len(ps) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node 3 holds %d of %d records handed off to it (last error %v)", have, len(ps), err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The status pages count the hand-off: nodes 1 and 2 took parcels to
	// hold and delivered them, node 3 accepted them, nothing is left held.
	var toHold, delivered uint64
	for {
		toHold, delivered = 0, 0
		left := 0
		for k := 1; k <= 2; k++ {
			st := nodeStatus(t, dir, k)
			toHold += st.Counters.ParcelsHeld
			delivered += st.Counters.ParcelsDelivered
			left += st.ParcelsHeld["node3"]
		}
		if delivered > 0 && left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status pages: %d parcels taken to hold, %d delivered, %d still held for node3", toHold, delivered, left)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st := nodeStatus(t, dir, 3); toHold == 0 || st.Counters.ParcelsAccepted == 0 || st.Counters.RecordsStored == 0 {
		t.Errorf("status pages: %d parcels taken to hold; node3 counters %+v", toHold, st.Counters)
	}

	// With node 1 down, nodes 2 and 3 serve everything, the handed-off
	// records included.
	if err := local.Stop(1); err != nil {
		t.Fatal(err)
	}
	checkGets(ctx, t, c, all)

	// A deleted record is not found any more. A fresh client: c still
	// counts node 3 as down for a few seconds after its failed dial (see
	// client.retryDownAfter), and would not write to it yet.
	c, err = client.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var gone string
	for k := range first {
		gone = k
		break
	}
	del, err := c.Delete(ctx, reg, []string{gone})
	if err != nil || len(del) != 1 || !del[0].Deleted {
		t.Fatalf("delete %q: %v (%v)", gone, del, err)
	}
	res, err := c.Get(ctx, reg, []string{gone})
	if err != nil || !errors.Is(res[0].Err, protocol.ErrNotFound) {
		t.Fatalf("get after delete: %v (%v), want ErrNotFound", res[0].Err, err)
	}

	delete(all, gone)

	// Node 2's disk is corrupted while it is down: its shares fail
	// verification, it is named, and nodes 1 and 3 still give exact records.
	if err := local.Start(1); err != nil {
		t.Fatal(err)
	}
	if err := local.Stop(2); err != nil {
		t.Fatal(err)
	}
	changed, err := testnet.TamperShares(testnet.NodeDir(dir, 2), reg, 1<<20)
	if err != nil || changed == 0 {
		t.Fatalf("tamper: %d shares (%v)", changed, err)
	}
	if err := local.Start(2); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	res, err = c.Get(ctx, reg, keys)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil || !bytes.Equal(r.Record, all[r.Key]) {
			t.Fatalf("get %q with node 2 tampered: %q (%v)", r.Key, r.Record, r.Err)
		}
		if len(r.Resolution.Bad) != 1 || r.Resolution.Bad[0].Node != 2 {
			t.Fatalf("get %q with node 2 tampered: bad = %v, want node2", r.Key, r.Resolution.Bad)
		}
	}
}
