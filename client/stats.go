package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dataembassy/embassy/cube"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/thhe"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
)

// Statistics at ingest: a batch of a registry whose schema declares
// statistics carries its encrypted change to them — every new version's
// contribution added, every superseded or deleted version's subtracted —
// encrypted under the collective key (cube.Accumulator) and signed by the
// custodian for exactly that batch. The nodes fold it in when they store
// the batch. The superseded values come from the nodes (a verified Get of
// the version the nodes hold), never from a local cache.

// statsKeyWait is how long an ingest waits for the federation key when the
// nodes have not finished their key setup yet.
const statsKeyWait = 2 * time.Minute

// fedKey caches the collective key for the client's writes.
type fedKey struct {
	// sem (capacity 1) is the lock of the fields below, taken with lock.
	// Its holder may wait on the network; a channel rather than a
	// sync.Mutex lets the other callers give up when their context ends,
	// and, inside a testing/synctest bubble (a simulation), counts as
	// durably blocked, so virtual time advances while they wait (a
	// goroutine waiting for a Mutex would stop the bubble's clock).
	sem    chan struct{}
	params thhe.Params
	known  bool // params is set
	pk     *rlwe.PublicKey
	// service holds a service's own keys (queries), derived once.
	service *serviceKeys
}

func newFedKey() fedKey { return fedKey{sem: make(chan struct{}, 1)} }

// lock takes the lock, or returns ctx's error when ctx ends first.
func (f *fedKey) lock(ctx context.Context) error {
	select {
	case f.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fedKey) unlock() { <-f.sem }

// federationKeyForWrites returns the collective key, waiting (up to
// statsKeyWait) for the nodes to finish their key setup.
func (c *Client) federationKeyForWrites(ctx context.Context) (thhe.Params, *rlwe.PublicKey, error) {
	if err := c.fed.lock(ctx); err != nil {
		return thhe.Params{}, nil, err
	}
	defer c.fed.unlock()
	if c.fed.pk != nil {
		return c.fed.params, c.fed.pk, nil
	}
	// Real time, not the client's clock: this waits for the nodes.
	giveUp := time.NewTimer(statsKeyWait)
	defer giveUp.Stop()
	for {
		params, pk, err := c.FederationKey(ctx)
		if err == nil {
			c.fed.params, c.fed.known, c.fed.pk = params, true, pk
			return params, pk, nil
		}
		retry := time.NewTimer(500 * time.Millisecond)
		select {
		case <-ctx.Done():
			retry.Stop()
			return thhe.Params{}, nil, ctx.Err()
		case <-giveUp.C:
			retry.Stop()
			return thhe.Params{}, nil, fmt.Errorf("statistics need the federation key, and %d nodes do not agree on one after %v (key setup not finished? it needs every node up once): %w",
				c.roster.Threshold, statsKeyWait, err)
		case <-retry.C:
		}
	}
}

// statsDelta computes the encrypted statistics change of a batch: recs[k]
// is the new record of in[k] (ignored for tombstones); live[k] says some
// node holds a live version of it. It returns nil for a registry without
// statistics.
func (d *dealer) statsDelta(ctx context.Context, registryName string, in []protocol.RecordInput, recs []registry.Record, live []bool) ([]byte, error) {
	s, err := registry.Lookup(registryName)
	if err != nil || s.Statistics == nil {
		return nil, nil
	}
	params, pk, err := d.c.federationKeyForWrites(ctx)
	if err != nil {
		return nil, err
	}
	if d.acc == nil || d.accSlots != params.Slots() || d.accRegistry != registryName {
		if d.acc, err = cube.NewAccumulator(s, params.Slots()); err != nil {
			return nil, err
		}
		d.accSlots, d.accRegistry = params.Slots(), registryName
	}
	d.acc.Reset()
	for k, r := range in {
		if r.Tombstone {
			continue
		}
		if err := d.acc.Add(recs[k], +1); err != nil {
			return nil, fmt.Errorf("statistics: %w", err)
		}
	}
	var superseded [][]byte
	for k, r := range in {
		if live[k] {
			superseded = append(superseded, r.Pseudonym)
		}
	}
	old, err := d.c.currentRecords(ctx, s, superseded)
	if err != nil {
		return nil, err
	}
	for _, r := range old {
		if err := d.acc.Add(r, -1); err != nil {
			return nil, fmt.Errorf("statistics of a stored version: %w", err)
		}
	}
	delta, err := d.acc.Encrypt(params, pk)
	if err != nil {
		return nil, err
	}
	return delta.MarshalBinary()
}

// currentRecords returns the records that the pseudonyms currently hold on
// the nodes (live versions only): the version at least t nodes hold, which
// is the one their statistics count.
func (c *Client) currentRecords(ctx context.Context, s registry.Schema, want [][]byte) ([]registry.Record, error) {
	if len(want) == 0 {
		return nil, nil
	}
	var out []registry.Record
	for start := 0; start < len(want); start += getChunk {
		part := want[start:min(start+getChunk, len(want))]
		resps, errs := c.getAll(ctx, s.Name, part, false)
		for k := range part {
			rec, ok, err := c.resolveCounted(s, part[k], resps, errs, k)
			if err != nil {
				return nil, fmt.Errorf("statistics: the stored version of a record is not readable: %w", err)
			}
			if ok {
				out = append(out, rec)
			}
		}
	}
	return out, nil
}

// resolveCounted resolves pseudonym k: the newest version t nodes hold. A
// newer version on fewer than t nodes (a write that failed) is not counted
// in the statistics of the other nodes, so it is set aside and the newest
// version that t nodes hold is taken instead.
func (c *Client) resolveCounted(s registry.Schema, pseudonym []byte, resps []*pb.GetResponse, errs []error, k int) (registry.Record, bool, error) {
	answers := make([]protocol.Answer, c.roster.N())
	holders := map[uint64]int{}
	for i := range answers {
		a := protocol.Answer{Node: i + 1, Name: c.net.NodeName(i + 1), Err: errs[i]}
		if errs[i] == nil {
			a.Item = resps[i].Items[k]
			if a.Item.Found {
				holders[a.Item.Version]++
			}
		}
		answers[i] = a
	}
	res, err := protocol.Resolve(c.verifier, s.Name, pseudonym, answers)
	if errors.Is(err, protocol.ErrThresholdNotMet) {
		var counted uint64
		for v, h := range holders {
			if h >= c.roster.Threshold && v > counted {
				counted = v
			}
		}
		for i := range answers {
			if answers[i].Item != nil && answers[i].Item.Found && answers[i].Item.Version != counted {
				answers[i].Item, answers[i].Err = nil, errors.New("holds a version fewer than t nodes hold")
			}
		}
		res, err = protocol.Resolve(c.verifier, s.Name, pseudonym, answers)
	}
	switch {
	case errors.Is(err, protocol.ErrNotFound):
		return registry.Record{}, false, nil
	case err != nil:
		return registry.Record{}, false, err
	case res.Manifest != nil && res.Manifest.Tombstone:
		return registry.Record{}, false, nil
	}
	rec, err := s.DecodeRecord(res.Record)
	if err != nil {
		return registry.Record{}, false, err
	}
	return rec, true, nil
}
