package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/dataembassy/embassy/cube"
	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/node/store"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/shares"
	"github.com/dataembassy/embassy/transport"
	"google.golang.org/protobuf/proto"
)

func (n *Node) handleStore(_ context.Context, c transport.Caller, req *pb.StoreRequest) *pb.StoreResponse {
	release, ok := n.enter()
	if !ok {
		return &pb.StoreResponse{Error: shuttingDown}
	}
	defer release()
	if c.Role != roster.RoleCustodian {
		n.metrics.StoreRefused.Add(1)
		n.metrics.Refuse("store", reasonRole)
		return &pb.StoreResponse{Error: fmt.Sprintf("%v: only the custodian may store", transport.ErrRefused)}
	}
	stored, already, err := n.storeShares(req)
	if err != nil {
		n.metrics.StoreRefused.Add(1)
		n.metrics.Refuse("store", reasonOf(err))
		n.log.Warn("store refused", "registry", req.Registry, "items", len(req.Items), "err", err)
		return &pb.StoreResponse{Error: err.Error()}
	}
	n.metrics.StoreOK.Add(1)
	n.log.Debug("stored", "registry", req.Registry, "new", stored, "already", already)
	return &pb.StoreResponse{Stored: uint32(stored), AlreadyPresent: uint32(already)}
}

// refusal tags an error with the reason Metrics counts it under.
type refusal struct {
	reason string
	err    error
}

func (r refusal) Error() string { return r.err.Error() }
func (r refusal) Unwrap() error { return r.err }

// reasonOf is the refusal reason of err (internal if it has none).
func reasonOf(err error) string {
	var r refusal
	if errors.As(err, &r) {
		return r.reason
	}
	return reasonInternal
}

// storeShares verifies every item of req and stores them all, or none.
func (n *Node) storeShares(req *pb.StoreRequest) (stored, already int, err error) {
	if err := store.ValidRegistry(req.Registry); err != nil {
		return 0, 0, refusal{reasonInvalid, err}
	}
	if len(req.Items) > protocol.MaxItemsPerRequest {
		return 0, 0, refusal{reasonLimits, fmt.Errorf("%d items, at most %d per request", len(req.Items), protocol.MaxItemsPerRequest)}
	}
	var manifests []*pb.RecordManifest
	var leaves []shares.Digest
	if req.Seal != nil {
		manifests, leaves, err = n.verifier.CheckBatch(req.Seal, req.Items, n.self.Index, req.Registry)
	} else {
		manifests, err = n.verifier.CheckEach(req.Items, n.self.Index, req.Registry)
	}
	if err != nil {
		return 0, 0, refusal{reasonInvalid, err}
	}
	vs := make([]store.Version, len(req.Items))
	for i, it := range req.Items {
		m := manifests[i]
		vs[i] = store.Version{Pseudonym: m.Pseudonym, Number: m.Version, Tombstone: m.Tombstone,
			ContentTag: m.ContentTag, Share: it}
	}
	if req.Seal != nil {
		stored, err = n.storeBatch(req, leaves, vs)
	} else if req.Stats != nil {
		return 0, 0, refusal{reasonInvalid, errors.New("statistics without a batch seal")}
	} else {
		stored, err = n.store.PutVersions(req.Registry, vs)
	}
	if err != nil {
		return 0, 0, err
	}
	n.metrics.RecordsStored.Add(uint64(stored))
	n.metrics.RecordsPresent.Add(uint64(len(vs) - stored))
	return stored, len(vs) - stored, nil
}

// storeBatch stores a sealed batch with its statistics delta, checked
// first (custodian's signature over this batch, decodes for the registry
// under this network's parameters), and folds the delta into the
// registry's statistics once, when the batch is new.
func (n *Node) storeBatch(req *pb.StoreRequest, leaves []shares.Digest, vs []store.Version) (int, error) {
	var delta *cube.Delta
	var raw []byte
	if req.Stats != nil {
		if !protocol.VerifyStats(n.roster.Custodian.SigningKey, n.digest[:], req.Registry, req.Seal.Root, req.Stats) {
			return 0, refusal{reasonInvalid, errors.New("statistics delta: the custodian's signature does not verify for this batch")}
		}
		d, err := n.stats.decode(req.Registry, req.Stats.Delta)
		if err != nil {
			return 0, refusal{reasonInvalid, fmt.Errorf("statistics delta: %w", err)}
		}
		delta, raw = d, req.Stats.Delta
	}
	stored, isNew, err := n.store.PutBatchStats(req.Registry, req.Seal, leaves, vs, raw)
	if err != nil || !isNew {
		return stored, err
	}
	if err := n.stats.fold(req.Registry, req.Seal.Root, delta); err != nil {
		// The delta is stored; the next start folds it again from the store.
		n.log.Error("statistics fold failed", "registry", req.Registry, "err", err)
	}
	return stored, nil
}

func (n *Node) handleGet(ctx context.Context, c transport.Caller, req *pb.GetRequest) *pb.GetResponse {
	release, ok := n.enter()
	if !ok {
		return &pb.GetResponse{Error: shuttingDown}
	}
	defer release()
	resp, reason := n.get(ctx, c, req)
	if reason != "" {
		n.metrics.GetRefused.Add(1)
		n.metrics.Refuse("get", reason)
	} else {
		n.metrics.GetOK.Add(1)
	}
	return resp
}

// get answers a Get request, or says why it refused it.
func (n *Node) get(_ context.Context, c transport.Caller, req *pb.GetRequest) (*pb.GetResponse, string) {
	if c.Role != roster.RoleCustodian && c.Role != roster.RoleService {
		// Nodes may not read each other's shares: t-1 colluding nodes could
		// otherwise pool a t-th share through an honest one.
		return &pb.GetResponse{Error: fmt.Sprintf("%v: a %s may not read shares", transport.ErrRefused, c.Role)}, reasonRole
	}
	if len(req.Pseudonyms) > protocol.MaxItemsPerRequest {
		return &pb.GetResponse{Error: fmt.Sprintf("%d keys, at most %d per request", len(req.Pseudonyms), protocol.MaxItemsPerRequest)}, reasonLimits
	}
	if len(req.Nonce) > 64 {
		return &pb.GetResponse{Error: "nonce longer than 64 bytes"}, reasonLimits
	}
	for _, p := range req.Pseudonyms {
		if len(p) != protocol.PseudonymSize {
			return &pb.GetResponse{Error: fmt.Sprintf("pseudonym of %d bytes, want %d", len(p), protocol.PseudonymSize)}, reasonLimits
		}
	}
	latest, err := n.store.Latest(req.Registry, req.Pseudonyms, req.MetaOnly, func(p []byte, err error) {
		n.log.Error("stored record cannot be read; answered as missing", "registry", req.Registry,
			"pseudonym", fmt.Sprintf("%x", p[:8]), "err", err)
	})
	if err != nil {
		n.log.Error("read shares", "registry", req.Registry, "err", err)
		return &pb.GetResponse{Error: err.Error()}, reasonInternal
	}
	items := make([]*pb.GetItem, len(latest))
	found := 0
	for i, f := range latest {
		if f == nil {
			items[i] = &pb.GetItem{}
			continue
		}
		found++
		items[i] = &pb.GetItem{Found: true, Latest: f.Share, Version: f.Version,
			Tombstone: f.Tombstone, ContentTag: f.ContentTag}
	}
	if f := n.cfg.Faults; f != nil {
		f.GetItems(req.Registry, items)
	}
	var resp *pb.GetResponse
	if req.MetaOnly {
		resp = &pb.GetResponse{Items: items}
	} else {
		sealed, err := n.sealReply(c, req, items)
		if err != nil {
			n.log.Error("seal reply", "err", err)
			return &pb.GetResponse{Error: "internal error sealing the reply"}, reasonInternal
		}
		resp = &pb.GetResponse{SealedItems: sealed}
	}
	n.metrics.KeysServed.Add(uint64(found))
	n.metrics.KeysMissing.Add(uint64(len(items) - found))
	return resp, ""
}

// sealReply seals items to the caller's roster key: only the caller can
// read the shares.
func (n *Node) sealReply(c transport.Caller, req *pb.GetRequest, items []*pb.GetItem) ([]byte, error) {
	plain, err := proto.Marshal(&pb.GetReply{Items: items})
	if err != nil {
		return nil, err
	}
	key := n.roster.SealKeyOf(c.Key)
	if key == nil {
		return nil, fmt.Errorf("caller has no seal key on the roster")
	}
	info := protocol.ReplyInfo(n.digest[:], uint32(n.self.Index), req.Registry, req.Nonce, req.Pseudonyms)
	return identity.Seal(key, info, plain)
}

func (n *Node) handleHandoff(_ context.Context, c transport.Caller, req *pb.HandoffRequest) *pb.HandoffResponse {
	release, ok := n.enter()
	if !ok {
		return &pb.HandoffResponse{Error: shuttingDown}
	}
	defer release()
	if c.Role != roster.RoleCustodian && c.Role != roster.RoleNode {
		n.metrics.Refuse("handoff", reasonRole)
		return &pb.HandoffResponse{Error: fmt.Sprintf("%v: a %s may not hand off parcels", transport.ErrRefused, c.Role)}
	}
	resp := &pb.HandoffResponse{}
	var hold []*pb.Parcel
	for i, p := range req.Parcels {
		if err := checkParcel(p, n.roster.N()); err != nil {
			n.metrics.ParcelsRefused.Add(1)
			n.log.Warn("parcel refused", "index", i, "err", err)
			resp.RefusedIds = append(resp.RefusedIds, p.Id)
			continue
		}
		if int(p.Target) != n.self.Index {
			if c.Role != roster.RoleCustodian {
				n.metrics.Refuse("handoff", reasonRole)
				return &pb.HandoffResponse{Error: "only the custodian may ask a node to hold parcels"}
			}
			hold = append(hold, p)
			continue
		}
		// Each parcel stands alone: one that can never be accepted does
		// not hold back the others.
		if err := n.acceptParcel(p); err != nil {
			n.metrics.ParcelsRefused.Add(1)
			n.log.Warn("parcel refused", "index", i, "err", err)
			resp.RefusedIds = append(resp.RefusedIds, p.Id)
			continue
		}
		n.metrics.ParcelsAccepted.Add(1)
		resp.AcceptedIds = append(resp.AcceptedIds, p.Id)
	}
	if len(hold) > 0 {
		if err := n.store.PutParcels(hold); err != nil {
			n.metrics.Refuse("handoff", reasonInternal)
			return &pb.HandoffResponse{Error: err.Error()}
		}
		n.metrics.ParcelsHeld.Add(uint64(len(hold)))
		for _, p := range hold {
			resp.AcceptedIds = append(resp.AcceptedIds, p.Id)
		}
	}
	resp.Accepted = uint32(len(resp.AcceptedIds))
	return resp
}

func checkParcel(p *pb.Parcel, nodes int) error {
	sum := sha256.Sum256(p.Sealed)
	switch {
	case p.Target < 1 || int(p.Target) > nodes:
		return fmt.Errorf("target %d is not a node index", p.Target)
	case !bytes.Equal(p.Id, sum[:]):
		return fmt.Errorf("parcel id does not match its contents")
	}
	return nil
}

// acceptParcel opens a parcel the custodian sealed to this node and stores
// its shares.
func (n *Node) acceptParcel(p *pb.Parcel) error {
	if !protocol.VerifyParcel(n.roster.Custodian.SigningKey, n.digest[:], p.Target, p.Id, p.Signature) {
		return fmt.Errorf("parcel is not signed by the custodian")
	}
	plain, err := n.id.Open(protocol.ParcelInfo(n.digest[:], p.Target), p.Sealed)
	if err != nil {
		return fmt.Errorf("open parcel: %w", err)
	}
	req := &pb.StoreRequest{}
	if err := proto.Unmarshal(plain, req); err != nil {
		return fmt.Errorf("parcel contents: %w", err)
	}
	stored, already, err := n.storeShares(req)
	if err != nil {
		return err
	}
	n.log.Info("parcel delivered", "registry", req.Registry, "new", stored, "already", already)
	return nil
}
