package node

import (
	"context"

	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
)

const parcelsPerDelivery = 16

// deliverParcels offers held parcels to their targets; delivered ones are
// forgotten. A target that is still away is tried again on the next tick.
func (n *Node) deliverParcels(ctx context.Context) {
	counts, err := n.store.CountParcels()
	if err != nil {
		n.log.Error("list parcels", "err", err)
		return
	}
	for target := range counts {
		if int(target) == n.self.Index {
			continue
		}
		n.deliverTo(ctx, target)
	}
}

func (n *Node) deliverTo(ctx context.Context, target uint32) {
	budget := protocol.LimitsFor(protocol.HandoffID).MaxRequest / 2
	for ctx.Err() == nil {
		ps, err := n.store.Parcels(target, parcelsPerDelivery, budget)
		if err != nil || len(ps) == 0 {
			if err != nil {
				n.log.Error("list parcels", "err", err)
			}
			return
		}
		resp := &pb.HandoffResponse{}
		err = n.net.Exchange(ctx, int(target), protocol.HandoffID, &pb.HandoffRequest{Parcels: ps}, resp)
		if err != nil {
			n.log.Debug("target still away", "target", n.net.NodeName(int(target)), "err", err)
			return
		}
		if resp.Error != "" {
			n.log.Warn("target refused the parcels", "target", n.net.NodeName(int(target)), "err", resp.Error)
			return
		}
		done, refused := pick(ps, resp.AcceptedIds), pick(ps, resp.RefusedIds)
		if err := n.store.DeleteParcels(done); err != nil {
			n.log.Error("forget delivered parcels", "err", err)
			return
		}
		n.metrics.ParcelsDelivered.Add(uint64(len(done)))
		if len(refused) > 0 {
			n.log.Warn("target refused parcels for good; set aside", "target", n.net.NodeName(int(target)), "parcels", len(refused))
			if err := n.store.QuarantineParcels(refused); err != nil {
				n.log.Error("set aside refused parcels", "err", err)
				return
			}
			n.metrics.ParcelsSetAside.Add(uint64(len(refused)))
		}
		n.log.Info("handed off parcels", "target", n.net.NodeName(int(target)), "parcels", len(done))
		if len(done)+len(refused) == 0 {
			return
		}
	}
}

// pick returns the parcels of ps whose ids are listed.
func pick(ps []*pb.Parcel, ids [][]byte) []*pb.Parcel {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[string(id)] = true
	}
	var out []*pb.Parcel
	for _, p := range ps {
		if want[string(p.Id)] {
			out = append(out, p)
		}
	}
	return out
}
