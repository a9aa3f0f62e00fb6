package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/thhe"
	"github.com/dataembassy/embassy/transport"
)

// The federation key setup: the nodes make a threshold-HE (BGV) key that
// no node holds, for encrypted queries. No dealer:
//
//  1. Deal: each node samples its own secret contribution (thhe.Deal),
//     seals each Shamir share to its recipient's roster seal key
//     (protocol.DealInfo binds roster digest, sender, recipient and epoch),
//     seals its own share to itself, and writes all of it to its store
//     before anything leaves, so a restart resends the same contribution.
//     It then sends each peer its deal directly (/embassy/keysetup/1.0.0,
//     Noise on top of HPKE) until the peer acknowledges. Every node must be
//     up for this phase (thhe needs all n contributions).
//  2. Assemble: a node holding a deal from every node (its own included)
//     assembles its T-of-N share of the collective secret key
//     (thhe.AssembleParty). The sealed deals it received stay in its store;
//     they are reopened at each start.
//  3. CKG: the coordinator, node 1, asks the members of the active set —
//     the first t nodes by index — for their collective-public-key shares
//     and aggregates them; seeds come from protocol.KeySetupSeed, so every
//     node agrees on them without a round trip. The others fetch the key
//     from the coordinator.
//  4. RKG: the coordinator runs both rounds of relinearisation-key
//     generation with the active set (instance seeds "rkg/<attempt>"; a
//     member answers a repeated request with the same share, and a member
//     that lost its round-1 state makes the coordinator start a new
//     attempt). The others fetch the key from the coordinator.
//
// Passive security only (as thhe): a node that sends a wrong share makes a
// wrong key, it is not detected. A node that lost its store after dealing
// cannot rejoin this setup (its peers refuse a second, different deal); a
// new setup needs a new roster epoch.

const (
	keySetupCoordinator = 1 // roster index of the node that aggregates
	keySetupRetry       = 2 * time.Second

	keyDealt     = "dealt"  // marker: this node has dealt (value: roster digest)
	keyOutPrefix = "out/"   // out/<to>: sealed deal not yet acknowledged by node <to>
	keyInPrefix  = "in/"    // in/<from>: sealed deal received from <from> (own share under own index)
	keyPublic    = "public" // the collective public key, thhe.EncodePublicKey
	keyRelin     = "relin"  // the relinearisation key, thhe.EncodeRelinKey
	keyRoster    = "roster" // digest of the roster the setup belongs to
)

// keySetup is a node's state of the federation key setup.
type keySetup struct {
	g     thhe.Group
	epoch uint64
	set   thhe.ActiveSet

	mu    sync.Mutex // serialises every change to the k/ entries and the fields below
	party *thhe.Party
	pk    []byte // encoded collective public key
	rlk   []byte // encoded relinearisation key

	rkgAttempt uint32            // coordinator: the RKG instance being tried
	rkgShares  map[rkgKey][]byte // member: shares given per (seed, round), answered again
}

type rkgKey struct {
	seed  thhe.Seed
	round int
}

func heParams(name string) (thhe.Params, error) {
	if name == "test" {
		return thhe.TestParams()
	}
	return thhe.ProductionParams()
}

// openKeySetup prepares the setup state and loads what the store holds.
func (n *Node) openKeySetup() error {
	params, err := heParams(n.cfg.HEParams)
	if err != nil {
		return err
	}
	g, err := thhe.NewGroup(params, n.roster.N(), n.roster.Threshold)
	if err != nil {
		return err
	}
	ids := make([]int, g.T)
	for i := range ids {
		ids[i] = i + 1
	}
	set, err := g.NewActiveSet(ids...)
	if err != nil {
		return err
	}
	ks := &keySetup{g: g, epoch: n.roster.Epoch, set: set, rkgShares: map[rkgKey][]byte{}}
	n.keys = ks
	owner, err := n.store.GetKey(keyRoster)
	if err != nil {
		return err
	}
	if owner != nil && !bytes.Equal(owner, n.digest[:]) {
		// Deals are bound to the roster digest: they cannot be opened
		// under another roster. Keep them; run no setup.
		n.keys = nil
		n.log.Warn("key setup: the stored federation key belongs to another roster; setup not run")
		return nil
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.pk, err = n.store.GetKey(keyPublic); err != nil {
		return err
	}
	if ks.rlk, err = n.store.GetKey(keyRelin); err != nil {
		return err
	}
	if err := n.assembleLocked(); err != nil {
		return err
	}
	if ks.party != nil {
		n.log.Info("key setup: threshold share loaded", "public_key", fingerprint(ks.pk))
	}
	return nil
}

func fingerprint(b []byte) string {
	if b == nil {
		return "none"
	}
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%x", sum[:8])
}

// assembleLocked builds the party once a deal from every node is stored.
// ks.mu must be held.
func (n *Node) assembleLocked() error {
	ks := n.keys
	if ks.party != nil {
		return nil
	}
	in, err := n.store.ListKeys(keyInPrefix)
	if err != nil {
		return err
	}
	if len(in) < ks.g.N {
		return nil
	}
	shares := make([]*thhe.ThresholdShare, 0, ks.g.N)
	for from := 1; from <= ks.g.N; from++ {
		sealed, ok := in[keyInPrefix+strconv.Itoa(from)]
		if !ok {
			return nil
		}
		s, err := n.openDeal(uint32(from), sealed)
		if err != nil {
			return fmt.Errorf("key setup: stored deal from node %d: %w", from, err)
		}
		shares = append(shares, s)
	}
	p, err := thhe.AssembleParty(ks.g, n.self.Index, shares, thhe.NewMemReleaseLog()) // not durable yet
	if err != nil {
		return fmt.Errorf("key setup: assemble: %w", err)
	}
	ks.party = p
	return nil
}

// openDeal opens and decodes a deal from node from to this node.
func (n *Node) openDeal(from uint32, sealed []byte) (*thhe.ThresholdShare, error) {
	plain, err := n.id.Open(protocol.DealInfo(n.digest[:], from, uint32(n.self.Index), n.keys.epoch), sealed)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	s, err := n.keys.g.DecodeThresholdShare(plain)
	clear(plain)
	if err != nil {
		return nil, err
	}
	if s.From != int(from) || s.To != n.self.Index {
		return nil, fmt.Errorf("share from %d to %d inside a deal from %d to %d", s.From, s.To, from, n.self.Index)
	}
	return s, nil
}

// FederationKey returns the encoded collective public key
// (thhe.EncodePublicKey) once this node has it.
func (n *Node) FederationKey() ([]byte, bool) {
	if n.keys == nil {
		return nil, false
	}
	n.keys.mu.Lock()
	defer n.keys.mu.Unlock()
	return slices.Clone(n.keys.pk), n.keys.pk != nil
}

// SetupKeys runs one pass of the key setup: deal if not yet dealt, send
// unacknowledged deals, assemble, make or fetch the collective public key.
// It reports whether this node's part is finished (its deals acknowledged
// by everyone and the public key held); until then call it again.
func (n *Node) SetupKeys(ctx context.Context) (bool, error) {
	ks := n.keys
	if ks == nil {
		return true, nil
	}
	if err := n.deal(); err != nil {
		return false, err
	}
	pending, err := n.sendDeals(ctx)
	if err != nil {
		return false, err
	}
	ks.mu.Lock()
	err = n.assembleLocked()
	ready, havePK := ks.party != nil, ks.pk != nil
	ks.mu.Unlock()
	if err != nil {
		return false, err
	}
	if ready && !havePK {
		if n.self.Index == keySetupCoordinator {
			err = n.makePublicKey(ctx)
		} else {
			err = n.fetchKey(ctx, false)
		}
		if err != nil {
			return false, err
		}
	}
	_, havePK = n.FederationKey()
	_, haveRelin := n.RelinKey()
	if ready && havePK && !haveRelin {
		if n.self.Index == keySetupCoordinator {
			err = n.makeRelinKey(ctx)
		} else {
			err = n.fetchKey(ctx, true)
		}
		if err != nil {
			return false, err
		}
		_, haveRelin = n.RelinKey()
	}
	return pending == 0 && havePK && haveRelin, nil
}

// RelinKey returns the encoded relinearisation key (thhe.EncodeRelinKey)
// once this node has it.
func (n *Node) RelinKey() ([]byte, bool) {
	if n.keys == nil {
		return nil, false
	}
	n.keys.mu.Lock()
	defer n.keys.mu.Unlock()
	return slices.Clone(n.keys.rlk), n.keys.rlk != nil
}

func (n *Node) rkgSeed(attempt uint32) thhe.Seed {
	return thhe.Seed(protocol.KeySetupSeed(n.digest[:], "rkg/"+strconv.FormatUint(uint64(attempt), 10), n.keys.epoch))
}

// makeRelinKey (coordinator) runs both rounds of relinearisation-key
// generation with the active set. A member that lost its round-1 state
// (it restarted) refuses round 2: the next pass starts a new attempt.
func (n *Node) makeRelinKey(ctx context.Context) error {
	ks := n.keys
	ks.mu.Lock()
	attempt := ks.rkgAttempt
	ks.mu.Unlock()
	seed := n.rkgSeed(attempt)
	collect := func(round int, agg1 []byte) ([]*thhe.RKGShare, bool, error) {
		shares := make([]*thhe.RKGShare, 0, len(ks.set))
		for _, id := range ks.set {
			var enc []byte
			if id == n.self.Index {
				var err error
				if enc, err = n.rkgShare(seed, round, agg1); err != nil {
					return nil, false, err
				}
			} else {
				req := &pb.KeySetupRequest{Body: &pb.KeySetupRequest_Rkg{Rkg: &pb.RKGRequest{Attempt: attempt, Seed: seed[:],
					ActiveSet: setToWire(ks.set), Round: uint32(round), Round1Aggregate: agg1}}}
				resp := &pb.KeySetupResponse{}
				if err := n.net.Exchange(ctx, id, protocol.KeySetupID, req, resp); err != nil {
					n.log.Debug("key setup: active-set member away", "peer", n.net.NodeName(id), "err", err)
					return nil, false, nil
				}
				if resp.NotReady {
					return nil, false, nil
				}
				if resp.Error != "" {
					ks.mu.Lock()
					ks.rkgAttempt = attempt + 1
					ks.mu.Unlock()
					return nil, false, fmt.Errorf("key setup: %s refused RKG round %d (attempt %d; next pass starts over): %s",
						n.net.NodeName(id), round, attempt, resp.Error)
				}
				enc = resp.RkgShare
			}
			s, err := ks.g.DecodeRKGShare(enc)
			if err != nil {
				return nil, false, fmt.Errorf("key setup: RKG share from %s: %w", n.net.NodeName(id), err)
			}
			if s.From != id || s.Round != round {
				return nil, false, fmt.Errorf("key setup: %s sent an RKG share of party %d, round %d", n.net.NodeName(id), s.From, s.Round)
			}
			shares = append(shares, s)
		}
		return shares, true, nil
	}
	r1, ok, err := collect(1, nil)
	if !ok || err != nil {
		return err
	}
	agg1, err := thhe.AggregateRKGRound1(ks.g, seed, r1)
	if err != nil {
		return err
	}
	agg1Enc, err := agg1.MarshalBinary()
	if err != nil {
		return err
	}
	r2, ok, err := collect(2, agg1Enc)
	if !ok || err != nil {
		return err
	}
	rlk, err := thhe.AggregateRKG(ks.g, agg1, r2)
	if err != nil {
		return err
	}
	enc, err := thhe.EncodeRelinKey(ks.g.Params, rlk)
	if err != nil {
		return err
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if err := n.store.UpdateKeys(map[string][]byte{keyRelin: enc}); err != nil {
		return err
	}
	ks.rlk = enc
	n.log.Info("key setup: relinearisation key made", "attempt", attempt, "relin_key", fingerprint(enc))
	return nil
}

// rkgShare returns this node's share of round 1 or 2 of the RKG instance
// seed, the same one if asked again.
func (n *Node) rkgShare(seed thhe.Seed, round int, agg1Enc []byte) ([]byte, error) {
	ks := n.keys
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.party == nil {
		return nil, errNotReady
	}
	if s, ok := ks.rkgShares[rkgKey{seed, round}]; ok {
		return s, nil
	}
	var s *thhe.RKGShare
	var err error
	switch round {
	case 1:
		s, err = ks.party.RKGShareRound1(ks.set, seed)
	case 2:
		var agg1 *thhe.RKGShare
		if agg1, err = ks.g.DecodeRKGShare(agg1Enc); err != nil {
			return nil, fmt.Errorf("round-1 aggregate: %w", err)
		}
		if agg1.Seed != seed {
			return nil, fmt.Errorf("round-1 aggregate of another instance")
		}
		s, err = ks.party.RKGShareRound2(agg1)
	default:
		return nil, fmt.Errorf("RKG round %d", round)
	}
	if err != nil {
		return nil, err
	}
	enc, err := s.MarshalBinary()
	if err != nil {
		return nil, err
	}
	ks.rkgShares[rkgKey{seed, round}] = enc
	return enc, nil
}

// deal samples and stores this node's contribution once.
func (n *Node) deal() error {
	ks := n.keys
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if done, err := n.store.GetKey(keyDealt); err != nil || done != nil {
		return err
	}
	shares, err := thhe.Deal(ks.g, n.self.Index)
	if err != nil {
		return err
	}
	set := map[string][]byte{keyDealt: n.digest[:], keyRoster: n.digest[:]}
	for to, s := range shares {
		plain, err := s.MarshalBinary()
		if err != nil {
			return err
		}
		sealKey := n.roster.Nodes[to-1].SealKey
		name := keyOutPrefix + strconv.Itoa(to)
		if to == n.self.Index {
			sealKey, name = n.id.SealPublicKey(), keyInPrefix+strconv.Itoa(to)
		}
		sealed, err := identity.Seal(sealKey, protocol.DealInfo(n.digest[:], uint32(n.self.Index), uint32(to), ks.epoch), plain)
		clear(plain)
		if err != nil {
			return fmt.Errorf("key setup: seal deal for node %d: %w", to, err)
		}
		set[name] = sealed
	}
	if err := n.store.UpdateKeys(set); err != nil {
		return err
	}
	n.log.Info("key setup: dealt own contribution", "parties", ks.g.N, "threshold", ks.g.T)
	return nil
}

// sendDeals offers every unacknowledged deal to its recipient and returns
// how many are still unacknowledged.
func (n *Node) sendDeals(ctx context.Context) (int, error) {
	out, err := n.store.ListKeys(keyOutPrefix)
	if err != nil {
		return 0, err
	}
	pending := len(out)
	for name, sealed := range out {
		to, err := strconv.Atoi(name[len(keyOutPrefix):])
		if err != nil || to < 1 || to > n.roster.N() {
			return 0, fmt.Errorf("key setup: bad store entry %q", name)
		}
		req := &pb.KeySetupRequest{Body: &pb.KeySetupRequest_Deal{Deal: &pb.ThresholdDeal{
			From: uint32(n.self.Index), To: uint32(to), Epoch: n.keys.epoch, Sealed: sealed}}}
		resp := &pb.KeySetupResponse{}
		if err := n.net.Exchange(ctx, to, protocol.KeySetupID, req, resp); err != nil {
			n.log.Debug("key setup: peer away", "peer", n.net.NodeName(to), "err", err)
			continue
		}
		if resp.Error != "" {
			n.log.Warn("key setup: peer refused our deal", "peer", n.net.NodeName(to), "err", resp.Error)
			continue
		}
		n.keys.mu.Lock()
		err = n.store.UpdateKeys(nil, name)
		n.keys.mu.Unlock()
		if err != nil {
			return 0, err
		}
		pending--
		n.log.Info("key setup: deal delivered", "peer", n.net.NodeName(to))
	}
	return pending, nil
}

// makePublicKey (coordinator) collects the active set's CKG shares and
// aggregates them.
func (n *Node) makePublicKey(ctx context.Context) error {
	ks := n.keys
	seed := thhe.Seed(protocol.KeySetupSeed(n.digest[:], "ckg", ks.epoch))
	shares := make([]*thhe.CKGShare, 0, len(ks.set))
	for _, id := range ks.set {
		if id == n.self.Index {
			s, err := ks.party.CKGShare(ks.set, seed)
			if err != nil {
				return err
			}
			shares = append(shares, s)
			continue
		}
		req := &pb.KeySetupRequest{Body: &pb.KeySetupRequest_Ckg{Ckg: &pb.CKGShareRequest{Seed: seed[:], ActiveSet: setToWire(ks.set)}}}
		resp := &pb.KeySetupResponse{}
		if err := n.net.Exchange(ctx, id, protocol.KeySetupID, req, resp); err != nil {
			n.log.Debug("key setup: active-set member away", "peer", n.net.NodeName(id), "err", err)
			return nil
		}
		if resp.NotReady {
			return nil
		}
		if resp.Error != "" {
			return fmt.Errorf("key setup: %s refused its CKG share: %s", n.net.NodeName(id), resp.Error)
		}
		s, err := ks.g.DecodeCKGShare(resp.CkgShare)
		if err != nil {
			return fmt.Errorf("key setup: CKG share from %s: %w", n.net.NodeName(id), err)
		}
		if s.From != id {
			return fmt.Errorf("key setup: %s sent a CKG share of party %d", n.net.NodeName(id), s.From)
		}
		shares = append(shares, s)
	}
	pk, err := thhe.AggregateCKG(ks.g, seed, shares)
	if err != nil {
		return err
	}
	enc, err := thhe.EncodePublicKey(ks.g.Params, pk)
	if err != nil {
		return err
	}
	return n.storePublicKey(enc, "made")
}

func (n *Node) storePublicKey(enc []byte, how string) error {
	ks := n.keys
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.pk != nil {
		return nil
	}
	if err := n.store.UpdateKeys(map[string][]byte{keyPublic: enc}); err != nil {
		return err
	}
	ks.pk = enc
	n.log.Info("key setup: collective public key "+how, "public_key", fingerprint(enc))
	return nil
}

// fetchKey asks the coordinator for the collective public key or (relin)
// the relinearisation key, checks its shape and stores it.
func (n *Node) fetchKey(ctx context.Context, relin bool) error {
	ks := n.keys
	req := &pb.KeySetupRequest{Body: &pb.KeySetupRequest_Key{Key: &pb.CollectiveKeyRequest{Relin: relin}}}
	resp := &pb.KeySetupResponse{}
	if err := n.net.Exchange(ctx, keySetupCoordinator, protocol.KeySetupID, req, resp); err != nil {
		n.log.Debug("key setup: coordinator away", "err", err)
		return nil
	}
	if resp.NotReady {
		return nil
	}
	if resp.Error != "" {
		return fmt.Errorf("key setup: coordinator: %s", resp.Error)
	}
	if !relin {
		if _, err := thhe.DecodePublicKey(ks.g.Params, resp.PublicKey); err != nil {
			return fmt.Errorf("key setup: public key from the coordinator: %w", err)
		}
		return n.storePublicKey(resp.PublicKey, "received")
	}
	if _, err := thhe.DecodeRelinKey(ks.g.Params, resp.RelinKey); err != nil {
		return fmt.Errorf("key setup: relinearisation key from the coordinator: %w", err)
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.rlk != nil {
		return nil
	}
	if err := n.store.UpdateKeys(map[string][]byte{keyRelin: resp.RelinKey}); err != nil {
		return err
	}
	ks.rlk = resp.RelinKey
	n.log.Info("key setup: relinearisation key received", "relin_key", fingerprint(resp.RelinKey))
	return nil
}

func setToWire(s thhe.ActiveSet) []uint32 {
	out := make([]uint32, len(s))
	for i, id := range s {
		out[i] = uint32(id)
	}
	return out
}

// keySetupLoop runs SetupKeys every keySetupRetry until this node's part
// is finished or ctx ends.
func (n *Node) keySetupLoop(ctx context.Context) {
	for {
		done, err := n.SetupKeys(ctx)
		if err != nil && ctx.Err() == nil {
			n.log.Warn("key setup", "err", err)
		}
		if done {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(keySetupRetry):
		}
	}
}

var errNotReady = errors.New("not ready")

func (n *Node) handleKeySetup(_ context.Context, c transport.Caller, req *pb.KeySetupRequest) *pb.KeySetupResponse {
	release, ok := n.enter()
	if !ok {
		return &pb.KeySetupResponse{Error: shuttingDown}
	}
	defer release()
	refuse := func(format string, a ...any) *pb.KeySetupResponse {
		return &pb.KeySetupResponse{Error: fmt.Sprintf(format, a...)}
	}
	if c.Role != roster.RoleNode {
		return refuse("%v: a %s may not take part in the key setup", transport.ErrRefused, c.Role)
	}
	caller, ok := n.roster.NodeBySigningKey(c.Key)
	if !ok {
		return refuse("%v: caller is not on the roster", transport.ErrRefused)
	}
	if n.keys == nil {
		return &pb.KeySetupResponse{NotReady: true}
	}
	var err error
	resp := &pb.KeySetupResponse{}
	switch body := req.Body.(type) {
	case *pb.KeySetupRequest_Deal:
		err = n.receiveDeal(caller, body.Deal)
	case *pb.KeySetupRequest_Ckg:
		resp.CkgShare, err = n.ckgShare(caller, body.Ckg)
	case *pb.KeySetupRequest_Key:
		var have bool
		if body.Key.GetRelin() {
			resp.RelinKey, have = n.RelinKey()
		} else {
			resp.PublicKey, have = n.FederationKey()
		}
		if !have {
			err = errNotReady
		}
	case *pb.KeySetupRequest_Rkg:
		resp.RkgShare, err = n.answerRKG(caller, body.Rkg)
	default:
		err = fmt.Errorf("empty key setup request")
	}
	switch {
	case errors.Is(err, errNotReady):
		return &pb.KeySetupResponse{NotReady: true}
	case err != nil:
		n.log.Warn("key setup: request refused", "peer", caller.Name, "err", err)
		return refuse("%v", err)
	}
	return resp
}

// receiveDeal stores a peer's deal to this node (once; the same bytes again
// are acknowledged, different ones refused) and assembles when it was the
// last one missing.
func (n *Node) receiveDeal(caller roster.Node, d *pb.ThresholdDeal) error {
	ks := n.keys
	switch {
	case d == nil:
		return fmt.Errorf("empty deal")
	case int(d.From) != caller.Index || caller.Index == n.self.Index:
		return fmt.Errorf("deal from node %d sent by node %d", d.From, caller.Index)
	case int(d.To) != n.self.Index:
		return fmt.Errorf("deal for node %d sent to node %d", d.To, n.self.Index)
	case d.Epoch != ks.epoch:
		return fmt.Errorf("deal for setup epoch %d, this node is at %d", d.Epoch, ks.epoch)
	}
	s, err := n.openDeal(d.From, d.Sealed)
	if err != nil {
		return fmt.Errorf("deal from node %d: %w", d.From, err)
	}
	s.Share.Poly.Q.Zero()
	s.Share.Poly.P.Zero()
	ks.mu.Lock()
	defer ks.mu.Unlock()
	name := keyInPrefix + strconv.Itoa(int(d.From))
	have, err := n.store.GetKey(name)
	if err != nil {
		return err
	}
	if have != nil {
		if !bytes.Equal(have, d.Sealed) {
			return fmt.Errorf("node %d already dealt another contribution; it cannot rejoin this setup", d.From)
		}
		return nil
	}
	if err := n.store.UpdateKeys(map[string][]byte{name: d.Sealed, keyRoster: n.digest[:]}); err != nil {
		return err
	}
	n.log.Info("key setup: deal received", "peer", caller.Name)
	if err := n.assembleLocked(); err != nil {
		return err
	}
	if ks.party != nil {
		n.log.Info("key setup: threshold share assembled")
	}
	return nil
}

// ckgShare answers the coordinator's request for this node's share of the
// collective public key.
func (n *Node) ckgShare(caller roster.Node, r *pb.CKGShareRequest) ([]byte, error) {
	ks := n.keys
	seed := thhe.Seed(protocol.KeySetupSeed(n.digest[:], "ckg", ks.epoch))
	switch {
	case caller.Index != keySetupCoordinator:
		return nil, fmt.Errorf("%v: only the coordinator (node %d) collects CKG shares", transport.ErrRefused, keySetupCoordinator)
	case r == nil || !bytes.Equal(r.Seed, seed[:]) || !slices.Equal(r.ActiveSet, setToWire(ks.set)):
		return nil, fmt.Errorf("CKG request for another seed or active set")
	case !ks.set.Contains(n.self.Index):
		return nil, fmt.Errorf("node %d is not in the active set %v", n.self.Index, []int(ks.set))
	}
	ks.mu.Lock()
	p := ks.party
	ks.mu.Unlock()
	if p == nil {
		return nil, errNotReady
	}
	s, err := p.CKGShare(ks.set, seed)
	if err != nil {
		return nil, err
	}
	return s.MarshalBinary()
}

// answerRKG answers the coordinator's request for this node's share in one
// round of relinearisation-key generation.
func (n *Node) answerRKG(caller roster.Node, r *pb.RKGRequest) ([]byte, error) {
	ks := n.keys
	switch {
	case caller.Index != keySetupCoordinator:
		return nil, fmt.Errorf("%v: only the coordinator (node %d) collects RKG shares", transport.ErrRefused, keySetupCoordinator)
	case r == nil:
		return nil, fmt.Errorf("empty RKG request")
	}
	seed := n.rkgSeed(r.Attempt)
	switch {
	case !bytes.Equal(r.Seed, seed[:]) || !slices.Equal(r.ActiveSet, setToWire(ks.set)):
		return nil, fmt.Errorf("RKG request for another seed or active set")
	case !ks.set.Contains(n.self.Index):
		return nil, fmt.Errorf("node %d is not in the active set %v", n.self.Index, []int(ks.set))
	}
	return n.rkgShare(seed, int(r.Round), r.Round1Aggregate)
}
