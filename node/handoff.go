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
	for ctx.Err() == nil {
		ps, err := n.store.Parcels(target, parcelsPerDelivery)
		if err != nil || len(ps) == 0 {
			return
		}
		resp := &pb.HandoffResponse{}
		err = n.net.Exchange(ctx, int(target), protocol.HandoffID, &pb.HandoffRequest{Parcels: ps}, resp)
		if err != nil {
			n.log.Debug("target still away", "target", n.net.NodeName(int(target)), "err", err)
			return
		}
		if resp.Error != "" || int(resp.Accepted) != len(ps) {
			n.log.Warn("parcels refused by target", "target", n.net.NodeName(int(target)), "accepted", resp.Accepted, "err", resp.Error)
			return
		}
		if err := n.store.DeleteParcels(ps); err != nil {
			n.log.Error("forget delivered parcels", "err", err)
			return
		}
		n.log.Info("handed off parcels", "target", n.net.NodeName(int(target)), "parcels", len(ps))
	}
}
