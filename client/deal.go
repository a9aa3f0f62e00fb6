package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/dataembassy/embassy/cube"
	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/roster"
	"google.golang.org/protobuf/proto"
)

// ErrNotCustodian is returned when a service tries to write.
var ErrNotCustodian = errors.New("not the custodian")

var errNodeDown = errors.New("node marked down after a recent failure")

// outcome counts what happened to one batch.
type outcome struct {
	stored, unchanged, pending, failed int
	skipped                            []bool // per input: unchanged, not sent
	err                                error
}

// dealer sends batches of record versions to the nodes. One per goroutine.
type dealer struct {
	c       *Client
	builder *protocol.BatchBuilder

	acc         *cube.Accumulator // statistics of the batch being dealt
	accSlots    int
	accRegistry string
}

func (c *Client) newDealer() (*dealer, error) {
	if c.roster.RoleOf(c.id.PublicKey()) != roster.RoleCustodian {
		return nil, fmt.Errorf("%w: only the custodian may write records", ErrNotCustodian)
	}
	b, err := protocol.NewBatchBuilder(c.id.SigningKey(), c.digest[:], c.roster.N(), c.roster.Threshold)
	if err != nil {
		return nil, err
	}
	return &dealer{c: c, builder: b}, nil
}

// exchange talks to node i unless it is marked down and enough others
// are up to reach the threshold without it.
func (d *dealer) exchange(ctx context.Context, i int, id protocol.ID, req, resp proto.Message) error {
	if !d.c.health.up(i) && d.c.health.upCount() >= d.c.roster.Threshold {
		return errNodeDown
	}
	err := d.c.net.Exchange(ctx, i, id, req, resp)
	if err != nil {
		d.c.health.markDown(i)
	}
	return err
}

// changed keeps the inputs whose newest version on the nodes differs: a
// row is unchanged when every node that answered (at least t+1, or all n)
// holds it as its newest version; a tombstone is moot when no node that
// answered holds a live version. Kept inputs get versions newer than any
// a node reported.
func (d *dealer) changed(ctx context.Context, registry string, in []protocol.RecordInput) (keep []protocol.RecordInput, kept []int, live []bool, skipped []bool, err error) {
	ps := make([][]byte, len(in))
	for i, r := range in {
		ps[i] = r.Pseudonym
	}
	n := d.c.roster.N()
	resps := make([]*pb.GetResponse, n)
	d.c.fanOut(func(i int) {
		resp := &pb.GetResponse{}
		err := d.exchange(ctx, i, protocol.GetID, &pb.GetRequest{Registry: registry, Pseudonyms: ps, MetaOnly: true}, resp)
		if err == nil && resp.Error == "" && len(resp.Items) == len(ps) {
			resps[i-1] = resp
		}
	})
	answered := 0
	for _, r := range resps {
		if r != nil {
			answered++
		}
	}
	if answered < d.c.roster.Threshold {
		return nil, nil, nil, nil, fmt.Errorf("%w: %d of %d nodes reachable, %d needed", protocol.ErrThresholdNotMet, answered, n, d.c.roster.Threshold)
	}
	// A row is skipped only when enough nodes agree that a stored row would
	// have needed (t+1, or all n if fewer): a row left on exactly t nodes
	// is stored again.
	enough := answered >= min(n, d.c.roster.Threshold+1)
	skipped = make([]bool, len(in))
	// A new version must be newer than any the nodes hold, whatever the
	// custodian's clock says: shift the batch's versions (which increase in
	// file order) by one offset, so they stay unique and in order.
	var shift uint64
	for k, r := range in {
		if enough && sameEverywhere(resps, k, r) {
			skipped[k] = true
			continue
		}
		if seen := newestSeen(resps, k); seen >= r.Version {
			shift = max(shift, seen+1-r.Version)
		}
		keep = append(keep, r)
		kept = append(kept, k)
		live = append(live, liveSomewhere(resps, k))
	}
	for i := range keep {
		keep[i].Version += shift
	}
	return keep, kept, live, skipped, nil
}

// liveSomewhere reports whether any node that answered holds a live
// version of input k (whose statistics a new version must take out).
func liveSomewhere(resps []*pb.GetResponse, k int) bool {
	for _, resp := range resps {
		if resp != nil && resp.Items[k].Found && !resp.Items[k].Tombstone {
			return true
		}
	}
	return false
}

// newestSeen is the newest version of input k any node reported.
func newestSeen(resps []*pb.GetResponse, k int) uint64 {
	var v uint64
	for _, resp := range resps {
		if resp != nil && resp.Items[k].Found {
			v = max(v, resp.Items[k].Version)
		}
	}
	return v
}

func sameEverywhere(resps []*pb.GetResponse, k int, r protocol.RecordInput) bool {
	for _, resp := range resps {
		if resp == nil {
			continue
		}
		it := resp.Items[k]
		if r.Tombstone {
			if it.Found && !it.Tombstone {
				return false
			}
			continue
		}
		if !it.Found || it.Tombstone || !bytes.Equal(it.ContentTag, r.ContentTag) {
			return false
		}
	}
	return true
}

// send deals in and delivers it; see the package doc for what counts as
// stored. recs[k] is the record of in[k] (nil for a batch of tombstones),
// for the batch's statistics.
func (d *dealer) send(ctx context.Context, registryName string, in []protocol.RecordInput, recs []registry.Record) outcome {
	keep, kept, live, skipped, err := d.changed(ctx, registryName, in)
	if err != nil {
		return outcome{failed: len(in), err: err}
	}
	out := outcome{unchanged: len(in) - len(keep), skipped: skipped}
	if len(keep) == 0 {
		return out
	}
	keptRecs := make([]registry.Record, len(keep))
	for i, k := range kept {
		if recs != nil {
			keptRecs[i] = recs[k]
		}
	}
	stats, err := d.statsDelta(ctx, registryName, keep, keptRecs, live)
	if err != nil {
		return outcome{failed: len(in), err: err}
	}
	dealt, err := d.builder.Build(registryName, keep)
	if err != nil {
		return outcome{failed: len(in), err: err}
	}
	if stats != nil {
		dealt.Stats = protocol.SignStats(d.c.id.SigningKey(), d.c.digest[:], registryName, dealt.Seal.Root, stats)
	}
	n, t := d.c.roster.N(), d.c.roster.Threshold
	ok := make([]bool, n)
	d.c.fanOut(func(i int) {
		resp := &pb.StoreResponse{}
		err := d.exchange(ctx, i, protocol.StoreID, dealt.StoreRequest(registryName, i), resp)
		ok[i-1] = err == nil && resp.Error == ""
		if err == nil && resp.Error != "" {
			d.c.health.markDown(i)
		}
	})
	acked := count(ok)
	switch {
	case acked < t:
		out.failed += len(keep)
		out.err = fmt.Errorf("%w: %d of %d nodes stored the batch, %d needed", protocol.ErrThresholdNotMet, acked, n, t)
		return out
	case acked == n:
		out.stored += len(keep)
		return out
	}
	holders := d.handOff(ctx, registryName, dealt, ok)
	if acked >= t+1 && holders > 0 {
		out.stored += len(keep)
	} else {
		out.pending += len(keep)
	}
	return out
}

// handOff seals the absent nodes' shares to their keys and asks the nodes
// that stored the batch to hold them. It returns how many nodes hold them.
func (d *dealer) handOff(ctx context.Context, registry string, dealt *protocol.Dealt, ok []bool) int {
	var parcels []*pb.Parcel
	for j, stored := range ok {
		if stored {
			continue
		}
		p, err := d.parcel(uint32(j+1), dealt.StoreRequest(registry, j+1))
		if err != nil {
			return 0
		}
		parcels = append(parcels, p)
	}
	held := make([]bool, len(ok))
	d.c.fanOut(func(i int) {
		if !ok[i-1] {
			return
		}
		// One parcel per request keeps each far below the request bound.
		held[i-1] = true
		for _, p := range parcels {
			resp := &pb.HandoffResponse{}
			err := d.exchange(ctx, i, protocol.HandoffID, &pb.HandoffRequest{Parcels: []*pb.Parcel{p}}, resp)
			if err != nil || resp.Error != "" || len(resp.AcceptedIds) != 1 {
				held[i-1] = false
				return
			}
		}
	})
	return count(held)
}

func (d *dealer) parcel(target uint32, req *pb.StoreRequest) (*pb.Parcel, error) {
	plain, err := proto.Marshal(req)
	if err != nil {
		return nil, err
	}
	node := d.c.roster.Nodes[target-1]
	sealed, err := identity.Seal(node.SealKey, protocol.ParcelInfo(d.c.digest[:], target), plain)
	if err != nil {
		return nil, fmt.Errorf("seal parcel for %s: %w", node.Name, err)
	}
	id := sha256.Sum256(sealed)
	sig := protocol.SignParcel(d.c.id.SigningKey(), d.c.digest[:], target, id[:])
	return &pb.Parcel{Target: target, Id: id[:], Sealed: sealed, Signature: sig}, nil
}

func count(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
