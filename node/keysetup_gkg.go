package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/thhe"
	"github.com/dataembassy/embassy/transport"
)

// Galois-key generation (step 5 of the key setup, see keysetup.go): one
// Galois element per exchange, each key stored as soon as it is made or
// fetched.

func galoisKeyName(el uint64) string { return keyGaloisPfx + strconv.FormatUint(el, 10) }

func gkgGivenName(el uint64, attempt uint32) string {
	return keyGKGGivenPfx + strconv.FormatUint(el, 10) + "/" + strconv.FormatUint(uint64(attempt), 10)
}

// galoisDone reports whether every Galois key is stored.
func (k *keySetup) galoisDone() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.galois) == len(k.els)
}

// GaloisKey returns the encoded Galois key (thhe.EncodeGaloisKey) for
// element el once this node has it.
func (n *Node) GaloisKey(el uint64) ([]byte, bool) {
	ks := n.keys
	if ks == nil {
		return nil, false
	}
	ks.mu.Lock()
	have := ks.galois[el]
	ks.mu.Unlock()
	if !have {
		return nil, false
	}
	b, err := n.store.GetKey(galoisKeyName(el))
	if err != nil || b == nil {
		n.log.Error("key setup: stored Galois key unreadable", "element", el, "err", err)
		return nil, false
	}
	return b, true
}

// fetchGaloisKeys asks the coordinator for each missing Galois key in
// ascending order, checks and stores each as it arrives, and stops at the
// first the coordinator does not have yet.
func (n *Node) fetchGaloisKeys(ctx context.Context) error {
	ks := n.keys
	for _, el := range ks.els {
		if _, have := n.GaloisKey(el); have {
			continue
		}
		resp, err := n.askKey(ctx, fmt.Sprintf("Galois key %d", el), &pb.CollectiveKeyRequest{GaloisElement: el})
		if resp == nil || err != nil {
			return err
		}
		gk, err := thhe.DecodeGaloisKey(ks.g.Params, resp.GaloisKey)
		if err != nil {
			return fmt.Errorf("key setup: Galois key %d from the coordinator: %w", el, err)
		}
		if gk.GaloisElement != el {
			return fmt.Errorf("key setup: the coordinator sent the Galois key of %d for %d", gk.GaloisElement, el)
		}
		if err := n.storeGaloisKey(el, resp.GaloisKey, "received"); err != nil {
			return err
		}
	}
	return nil
}

// storeGaloisKey stores the Galois key of el (once) and forgets the GKG
// share this node gave for it.
func (n *Node) storeGaloisKey(el uint64, enc []byte, how string) error {
	ks := n.keys
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.galois[el] {
		return nil
	}
	if err := n.store.UpdateKeys(map[string][]byte{galoisKeyName(el): enc}); err != nil {
		return err
	}
	ks.galois[el] = true
	delete(ks.gkgShares, el)
	n.log.Info("key setup: Galois key "+how, "element", el, "have", len(ks.galois), "of", len(ks.els), "galois_key", fingerprint(enc))
	return nil
}

func (n *Node) gkgSeed(el uint64, attempt uint32) thhe.Seed {
	label := "gkg/" + strconv.FormatUint(el, 10) + "/" + strconv.FormatUint(uint64(attempt), 10)
	return thhe.Seed(protocol.KeySetupSeed(n.digest[:], label, n.keys.epoch))
}

// makeGaloisKeys (coordinator) makes the missing Galois keys in ascending
// order, storing each as soon as it is made; it stops at the first element
// whose shares it cannot collect.
func (n *Node) makeGaloisKeys(ctx context.Context) error {
	for _, el := range n.keys.els {
		if _, have := n.GaloisKey(el); have {
			continue
		}
		ok, err := n.makeGaloisKey(ctx, el)
		if !ok || err != nil {
			return err
		}
	}
	return nil
}

// gkgTriesPerPass bounds how many GKG instances the coordinator starts for
// one element in one pass (a member refuses an instance it answered before
// restarting: the next instance usually succeeds).
const gkgTriesPerPass = 3

// makeGaloisKey (coordinator) collects the active set's shares of the
// Galois key of el, aggregates and stores the key. It reports false when a
// member is away or not ready. A member that refuses (it cannot repeat its
// share) makes the coordinator start a new attempt, at once (up to
// gkgTriesPerPass times) or in the next pass. The coordinator's own share
// never leaves it (only the aggregate does, once stored), so it makes a
// fresh one on every try and keeps no marker.
func (n *Node) makeGaloisKey(ctx context.Context, el uint64) (bool, error) {
	var err error
	for range gkgTriesPerPass {
		var ok, refused bool
		if ok, refused, err = n.tryGaloisKey(ctx, el); !refused {
			return ok, err
		}
		n.log.Info("key setup: starting a new GKG attempt", "element", el, "err", err)
	}
	return false, err
}

// tryGaloisKey runs one GKG instance for el; refused reports that a member
// refused its share (the next instance is already chosen).
func (n *Node) tryGaloisKey(ctx context.Context, el uint64) (ok, refused bool, err error) {
	ks := n.keys
	ks.mu.Lock()
	attempt, party := ks.gkgAttempt[el], ks.party
	ks.mu.Unlock()
	seed := n.gkgSeed(el, attempt)
	shares := make([]*thhe.GKGShare, 0, len(ks.set))
	for _, id := range ks.set {
		if id == n.self.Index {
			s, err := party.GKGShare(ks.set, seed, el)
			if err != nil {
				return false, false, err
			}
			shares = append(shares, s)
			continue
		}
		req := &pb.KeySetupRequest{Body: &pb.KeySetupRequest_Gkg{Gkg: &pb.GKGRequest{GaloisElement: el, Attempt: attempt,
			Seed: seed[:], ActiveSet: setToWire(ks.set)}}}
		resp := &pb.KeySetupResponse{}
		if err := n.net.Exchange(ctx, id, protocol.KeySetupID, req, resp); err != nil {
			n.log.Debug("key setup: active-set member away", "peer", n.net.NodeName(id), "err", err)
			return false, false, nil
		}
		if resp.NotReady {
			return false, false, nil
		}
		if resp.Error != "" {
			ks.mu.Lock()
			ks.gkgAttempt[el] = attempt + 1
			ks.mu.Unlock()
			return false, true, fmt.Errorf("key setup: %s refused its share of Galois key %d in attempt %d: %s",
				n.net.NodeName(id), el, attempt, resp.Error)
		}
		s, err := ks.g.DecodeGKGShare(resp.GkgShare)
		if err != nil {
			return false, false, fmt.Errorf("key setup: GKG share from %s: %w", n.net.NodeName(id), err)
		}
		if s.From != id || s.GaloisElement != el {
			return false, false, fmt.Errorf("key setup: %s sent a GKG share of party %d for element %d", n.net.NodeName(id), s.From, s.GaloisElement)
		}
		shares = append(shares, s)
	}
	gk, err := thhe.AggregateGKG(ks.g, seed, el, shares)
	if err != nil {
		return false, false, err
	}
	enc, err := thhe.EncodeGaloisKey(ks.g.Params, gk)
	if err != nil {
		return false, false, err
	}
	if err := n.storeGaloisKey(el, enc, "made"); err != nil {
		return false, false, err
	}
	return true, false, nil
}

// errShareGiven: a GKG share for this instance left before a restart; a
// second one (fresh noise, same instance) is not given.
var errShareGiven = errors.New("share for this instance given before a restart; start a new attempt")

// gkgShare (member) returns this node's share of the Galois key of el in
// instance attempt: the share it gave if asked again, none if it gave one
// before restarting (errShareGiven). The marker is stored before the share
// leaves. Shares are made one at a time (ks.gkgMu), outside ks.mu, so the
// node keeps answering key requests meanwhile.
func (n *Node) gkgShare(el uint64, attempt uint32) ([]byte, error) {
	ks := n.keys
	ks.gkgMu.Lock()
	defer ks.gkgMu.Unlock()
	ks.mu.Lock()
	party, given := ks.party, ks.gkgShares[el]
	ks.mu.Unlock()
	if party == nil {
		return nil, errNotReady
	}
	if given.share != nil && given.attempt == attempt {
		return given.share, nil
	}
	marker := gkgGivenName(el, attempt)
	had, err := n.store.GetKey(marker)
	if err != nil {
		return nil, err
	}
	if had != nil {
		return nil, fmt.Errorf("element %d, attempt %d: %w", el, attempt, errShareGiven)
	}
	seed := n.gkgSeed(el, attempt)
	s, err := party.GKGShare(ks.set, seed, el)
	if err != nil {
		return nil, err
	}
	enc, err := s.MarshalBinary()
	if err != nil {
		return nil, err
	}
	if err := n.store.UpdateKeys(map[string][]byte{marker: seed[:]}); err != nil {
		return nil, err
	}
	ks.mu.Lock()
	ks.gkgShares[el] = gkgAnswer{attempt: attempt, share: enc}
	ks.mu.Unlock()
	return enc, nil
}

// answerGKG answers the coordinator's request for this node's share of one
// Galois key.
func (n *Node) answerGKG(caller roster.Node, r *pb.GKGRequest) ([]byte, error) {
	ks := n.keys
	switch {
	case caller.Index != keySetupCoordinator:
		return nil, fmt.Errorf("%v: only the coordinator (node %d) collects GKG shares", transport.ErrRefused, keySetupCoordinator)
	case r == nil:
		return nil, fmt.Errorf("empty GKG request")
	case !slices.Contains(ks.els, r.GaloisElement):
		return nil, fmt.Errorf("GKG request for element %d, not one this setup makes", r.GaloisElement)
	}
	seed := n.gkgSeed(r.GaloisElement, r.Attempt)
	switch {
	case !bytes.Equal(r.Seed, seed[:]) || !slices.Equal(r.ActiveSet, setToWire(ks.set)):
		return nil, fmt.Errorf("GKG request for another seed or active set")
	case !ks.set.Contains(n.self.Index):
		return nil, fmt.Errorf("node %d is not in the active set %v", n.self.Index, []int(ks.set))
	}
	return n.gkgShare(r.GaloisElement, r.Attempt)
}
