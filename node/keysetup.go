package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/node/store"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/thhe"
	"github.com/dataembassy/embassy/transport"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
)

// The federation key setup: the nodes make a threshold-HE (BGV) key that
// no node holds, for encrypted queries, and the public keys that go with
// it. No dealer:
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
//     (thhe.AssembleParty) with its durable release log (below). The
//     sealed deals it received stay in its store; they are reopened at
//     each start.
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
//  5. GKG: the coordinator makes the Galois key of every element of
//     thhe.InnerSumGaloisElements (14 at N = 2^14, 2.5 MiB each), one
//     element per exchange, in ascending order: it collects the active
//     set's shares (seed "gkg/<element>/<attempt>"), aggregates them and
//     stores the key before anyone can fetch it. The others fetch the keys
//     in the same order and store each as it arrives, so a restart resumes
//     at the first missing element. A member answers a repeated request
//     with the share it gave; it writes a marker (k/gkg/given/…) before a
//     share leaves, and after a restart refuses a request for an attempt it
//     already answered, so the coordinator starts a new attempt instead of
//     getting a second share with fresh noise for one instance. (The
//     coordinator's own share never leaves it: it needs no marker.)
//
// Setup is done on a node when it holds the public, relinearisation and
// every Galois key (KeySetupStatus.Done; SetupKeys reports it too, once the
// node's deals are also delivered). keySetup.federation then gives the
// query path the party and the decoded keys, decoded once.
//
// Key switching: the party records every ciphertext it releases a
// key-switch share for in the store (k/rel/<digest>, synced before the
// share is computed; see keysetup_release.go), so a restarted node still
// releases at most one share per ciphertext. Node.Releases and
// ReadReleases list the record.
//
// Passive security only (as thhe): a node that sends a wrong share makes a
// wrong key, it is not detected. A node that lost its store after dealing
// cannot rejoin this setup (its peers refuse a second, different deal); a
// new setup needs a new roster epoch.
const (
	keySetupCoordinator = 1 // roster index of the node that aggregates
	keySetupRetry       = 2 * time.Second

	keyDealt       = "dealt"      // marker: this node has dealt (value: roster digest)
	keyOutPrefix   = "out/"       // out/<to>: sealed deal not yet acknowledged by node <to>
	keyInPrefix    = "in/"        // in/<from>: sealed deal received from <from> (own share under own index)
	keyPublic      = "public"     // the collective public key, thhe.EncodePublicKey
	keyRelin       = "relin"      // the relinearisation key, thhe.EncodeRelinKey
	keyGaloisPfx   = "galois/"    // galois/<element>: a Galois key, thhe.EncodeGaloisKey
	keyGKGGivenPfx = "gkg/given/" // gkg/given/<element>/<attempt>: this node gave its GKG share (value: seed)
	keyRoster      = "roster"     // digest of the roster the setup belongs to
)

// keySetup is a node's state of the federation key setup.
type keySetup struct {
	g     thhe.Group
	epoch uint64
	set   thhe.ActiveSet
	els   []uint64 // thhe.InnerSumGaloisElements, ascending: the order GKG follows
	st    *store.Store

	gkgMu sync.Mutex // member: one GKG share at a time; covers the k/gkg/given/ entries

	mu     sync.Mutex // serialises every other change to the k/ entries (but k/rel/) and the fields below
	party  *thhe.Party
	pk     []byte          // encoded collective public key
	rlk    []byte          // encoded relinearisation key
	galois map[uint64]bool // elements whose Galois key is stored

	rkgAttempt uint32               // coordinator: the RKG instance being tried
	rkgShares  map[rkgKey][]byte    // member: shares given per (seed, round), answered again
	givenMu    sync.Mutex           // serialises givenShare
	gkgAttempt map[uint64]uint32    // coordinator: the GKG instance being tried, per element
	gkgShares  map[uint64]gkgAnswer // member: the share given per element, answered again

	fed atomic.Pointer[federation] // set once every key is stored
}

type rkgKey struct {
	seed  thhe.Seed
	round int
}

// gkgAnswer is the GKG share a member gave for one element.
type gkgAnswer struct {
	attempt uint32
	share   []byte
}

// federation is what the query path needs from the key setup, decoded once
// (the keys are large: 35 MiB of Galois keys at N = 2^14).
type federation struct {
	Party     *thhe.Party         // this node's threshold share; key switches go through it
	Group     thhe.Group          // parameters, n and t
	PublicKey *rlwe.PublicKey     // the collective public key
	Keys      thhe.EvaluationKeys // relinearisation and inner-sum Galois keys (in thhe.InnerSumGaloisElements order)
	Digest    [32]byte            // SHA-256 of the encoded public, relinearisation and Galois keys
}

// federation returns the party and the collective keys once every key is
// stored on this node (ok false before, or when no setup runs). The result
// is shared: do not modify it.
func (k *keySetup) federation() (fed *federation, ok bool) {
	if k == nil {
		return nil, false
	}
	fed = k.fed.Load()
	return fed, fed != nil
}

// loadFederationLocked decodes the keys into k.fed once every one is
// stored and the party is assembled. k.mu must be held.
func (k *keySetup) loadFederationLocked() error {
	if k.fed.Load() != nil || k.party == nil || k.pk == nil || k.rlk == nil || len(k.galois) < len(k.els) {
		return nil
	}
	params := k.g.Params
	pk, err := thhe.DecodePublicKey(params, k.pk)
	if err != nil {
		return fmt.Errorf("key setup: stored public key: %w", err)
	}
	rlk, err := thhe.DecodeRelinKey(params, k.rlk)
	if err != nil {
		return fmt.Errorf("key setup: stored relinearisation key: %w", err)
	}
	h := sha256.New()
	h.Write([]byte("embassy/keysetup/federation-keys/v1\x00"))
	h.Write(k.pk)
	h.Write(k.rlk)
	gks := make([]*rlwe.GaloisKey, 0, len(k.els))
	for _, el := range k.els {
		b, err := k.st.GetKey(galoisKeyName(el))
		if err != nil {
			return err
		}
		gk, err := thhe.DecodeGaloisKey(params, b)
		if err != nil {
			return fmt.Errorf("key setup: stored Galois key %d: %w", el, err)
		}
		if gk.GaloisElement != el {
			return fmt.Errorf("key setup: stored Galois key %d is for element %d", el, gk.GaloisElement)
		}
		h.Write(b)
		gks = append(gks, gk)
	}
	fed := &federation{Party: k.party, Group: k.g, PublicKey: pk, Keys: thhe.EvaluationKeys{Relin: rlk, Galois: gks}}
	h.Sum(fed.Digest[:0])
	k.fed.Store(fed)
	return nil
}

func heParams(name string) (thhe.Params, error) {
	if name == "test" {
		return thhe.TestParams()
	}
	return thhe.ProductionParams()
}

// openKeySetup opens the release log, prepares the setup state and loads
// what the store holds.
func (n *Node) openKeySetup() error {
	rel, err := openReleaseLog(n.store, time.Now)
	if err != nil {
		return err
	}
	n.releases = rel
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
	ks := &keySetup{g: g, epoch: n.roster.Epoch, set: set, els: thhe.InnerSumGaloisElements(params), st: n.store,
		galois: map[uint64]bool{}, rkgShares: map[rkgKey][]byte{}, gkgAttempt: map[uint64]uint32{}, gkgShares: map[uint64]gkgAnswer{}}
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
	gks, err := n.store.ListKeys(keyGaloisPfx)
	if err != nil {
		return err
	}
	for name := range gks {
		el, err := strconv.ParseUint(name[len(keyGaloisPfx):], 10, 64)
		if err != nil || !slices.Contains(ks.els, el) {
			return fmt.Errorf("key setup: store entry %s%s is not a Galois key of these parameters (he_params changed?)", store.KeyPrefix, name)
		}
		ks.galois[el] = true
	}
	if err := n.assembleLocked(); err != nil {
		return err
	}
	if err := ks.loadFederationLocked(); err != nil {
		return err
	}
	if ks.party != nil {
		n.log.Info("key setup: threshold share loaded", "public_key", fingerprint(ks.pk),
			"galois_keys", len(ks.galois), "of", len(ks.els), "done", ks.fed.Load() != nil)
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
	p, err := thhe.AssembleParty(ks.g, n.self.Index, shares, n.releases)
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
// unacknowledged deals, assemble, then make (coordinator) or fetch the
// collective public key, the relinearisation key and the Galois keys, in
// that order. It reports whether this node's part is finished (its deals
// acknowledged by everyone and every key held); until then call it again.
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
	ready := ks.party != nil
	ks.mu.Unlock()
	if err != nil || !ready {
		return false, err
	}
	coordinator := n.self.Index == keySetupCoordinator
	steps := []struct {
		have        func() bool
		make, fetch func(context.Context) error
	}{
		{func() bool { _, ok := n.FederationKey(); return ok }, n.makePublicKey, n.fetchPublicKey},
		{func() bool { _, ok := n.RelinKey(); return ok }, n.makeRelinKey, n.fetchRelinKey},
		{ks.galoisDone, n.makeGaloisKeys, n.fetchGaloisKeys},
	}
	for _, step := range steps {
		if step.have() {
			continue
		}
		run := step.fetch
		if coordinator {
			run = step.make
		}
		if err := run(ctx); err != nil || !step.have() {
			return false, err
		}
	}
	ks.mu.Lock()
	err = ks.loadFederationLocked()
	ks.mu.Unlock()
	if err != nil {
		return false, err
	}
	_, done := ks.federation()
	return pending == 0 && done, nil
}

// FederationKeysDigest returns a digest of all the collective keys (public,
// relinearisation, Galois) once this node holds every one: nodes that
// hold the same keys return the same digest.
func (n *Node) FederationKeysDigest() ([32]byte, bool) {
	fed, ok := n.keys.federation()
	if !ok {
		return [32]byte{}, false
	}
	return fed.Digest, true
}

// KeySetupStatus is the key setup's progress on one node, as /status shows
// it.
type KeySetupStatus struct {
	Skipped          bool   `json:"skipped,omitempty"` // the stored key belongs to another roster: no setup runs
	Done             bool   `json:"done"`              // every key below is stored and decoded
	ShareAssembled   bool   `json:"share_assembled"`   // this node holds its threshold share
	PublicKey        bool   `json:"public_key"`
	RelinKey         bool   `json:"relin_key"`
	GaloisKeys       int    `json:"galois_keys"`           // stored
	GaloisKeysWanted int    `json:"galois_keys_wanted"`    // len(thhe.InnerSumGaloisElements)
	Fingerprint      string `json:"fingerprint,omitempty"` // of FederationKeysDigest, once done
}

// KeySetupStatus reports the key setup's progress.
func (n *Node) KeySetupStatus() KeySetupStatus {
	ks := n.keys
	if ks == nil {
		return KeySetupStatus{Skipped: true}
	}
	ks.mu.Lock()
	st := KeySetupStatus{ShareAssembled: ks.party != nil, PublicKey: ks.pk != nil, RelinKey: ks.rlk != nil,
		GaloisKeys: len(ks.galois), GaloisKeysWanted: len(ks.els)}
	ks.mu.Unlock()
	if fed, ok := ks.federation(); ok {
		st.Done = true
		st.Fingerprint = fmt.Sprintf("%x", fed.Digest[:8])
	}
	return st
}

// KeySwitchSharesReleased counts the key-switch shares this node has
// released, ever (its durable record, see Releases).
func (n *Node) KeySwitchSharesReleased() uint64 { return n.releases.Count() }

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
	if round != 1 && round != 2 {
		return nil, fmt.Errorf("RKG round %d", round)
	}
	enc, err := n.givenShare(fmt.Sprintf("rkg/%x/%d", seed[:], round), func() ([]byte, error) {
		return n.makeRKGShare(seed, round, agg1Enc)
	})
	if err != nil {
		return nil, err
	}
	ks.rkgShares[rkgKey{seed, round}] = enc
	return enc, nil
}

// makeRKGShare computes this node's share of one RKG round (ks.mu held).
func (n *Node) makeRKGShare(seed thhe.Seed, round int, agg1Enc []byte) ([]byte, error) {
	ks := n.keys
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
	return s.MarshalBinary()
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
	// In name order, not the map's: the order of the exchanges is then
	// the same in every run (the simulator's runs repeat from a seed).
	for _, name := range slices.Sorted(maps.Keys(out)) {
		sealed := out[name]
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

// askKey asks the coordinator for one collective key; nil (and no error)
// when the coordinator is away or does not have it yet.
func (n *Node) askKey(ctx context.Context, what string, r *pb.CollectiveKeyRequest) (*pb.KeySetupResponse, error) {
	req := &pb.KeySetupRequest{Body: &pb.KeySetupRequest_Key{Key: r}}
	resp := &pb.KeySetupResponse{}
	if err := n.net.Exchange(ctx, keySetupCoordinator, protocol.KeySetupID, req, resp); err != nil {
		n.log.Debug("key setup: coordinator away", "err", err)
		return nil, nil
	}
	if resp.NotReady {
		return nil, nil
	}
	if resp.Error != "" {
		return nil, fmt.Errorf("key setup: coordinator refused the %s: %s", what, resp.Error)
	}
	return resp, nil
}

// fetchPublicKey asks the coordinator for the collective public key,
// checks its shape and stores it.
func (n *Node) fetchPublicKey(ctx context.Context) error {
	resp, err := n.askKey(ctx, "public key", &pb.CollectiveKeyRequest{})
	if resp == nil || err != nil {
		return err
	}
	if _, err := thhe.DecodePublicKey(n.keys.g.Params, resp.PublicKey); err != nil {
		return fmt.Errorf("key setup: public key from the coordinator: %w", err)
	}
	return n.storePublicKey(resp.PublicKey, "received")
}

// fetchRelinKey asks the coordinator for the relinearisation key, checks
// its shape and stores it.
func (n *Node) fetchRelinKey(ctx context.Context) error {
	ks := n.keys
	resp, err := n.askKey(ctx, "relinearisation key", &pb.CollectiveKeyRequest{Relin: true})
	if resp == nil || err != nil {
		return err
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
		err = n.answerKey(body.Key, resp)
	case *pb.KeySetupRequest_Rkg:
		resp.RkgShare, err = n.answerRKG(caller, body.Rkg)
	case *pb.KeySetupRequest_Gkg:
		resp.GkgShare, err = n.answerGKG(caller, body.Gkg)
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
	return n.givenShare(fmt.Sprintf("ckg/%x", seed[:]), func() ([]byte, error) {
		s, err := p.CKGShare(ks.set, seed)
		if err != nil {
			return nil, err
		}
		return s.MarshalBinary()
	})
}

// givenShare returns the share this node gave for the protocol instance
// name (k/given/<name>), making and storing it (synced) the first time. A
// member must never answer one instance with two different shares: each
// carries fresh noise over the same common random polynomial, and enough
// of them average the noise away and reveal the member's key share. So a
// repeated request — a retry, a restarted coordinator, or a dishonest
// one — gets the same bytes, also after this node restarts.
func (n *Node) givenShare(name string, make func() ([]byte, error)) ([]byte, error) {
	n.keys.givenMu.Lock()
	defer n.keys.givenMu.Unlock()
	key := "given/" + name
	if had, err := n.store.GetKey(key); err != nil || had != nil {
		return had, err
	}
	enc, err := make()
	if err != nil {
		return nil, err
	}
	if err := n.store.UpdateKeys(map[string][]byte{key: enc}); err != nil {
		return nil, err
	}
	return enc, nil
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

// answerKey answers a request for one collective key.
func (n *Node) answerKey(r *pb.CollectiveKeyRequest, resp *pb.KeySetupResponse) error {
	var have bool
	switch el := r.GetGaloisElement(); {
	case el != 0 && r.GetRelin():
		return fmt.Errorf("key request for both the relinearisation key and a Galois key")
	case el != 0:
		if !slices.Contains(n.keys.els, el) {
			return fmt.Errorf("no Galois key for element %d in this setup", el)
		}
		resp.GaloisKey, have = n.GaloisKey(el)
	case r.GetRelin():
		resp.RelinKey, have = n.RelinKey()
	default:
		resp.PublicKey, have = n.FederationKey()
	}
	if !have {
		return errNotReady
	}
	return nil
}
