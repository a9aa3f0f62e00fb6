package coordinator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/thhe"
)

// Sentinel errors.
var (
	// ErrRefused: the nodes refused the query itself (see Refusal codes).
	ErrRefused = errors.New("query refused")
	// ErrFailed: the nodes accepted the query but no attempt completed.
	ErrFailed = errors.New("query failed")
)

// Answer is a query's result, re-encrypted to the service's key.
type Answer struct {
	QueryID      [32]byte
	Ciphertexts  [][]byte // thhe.EncodeCiphertext, under the service's key
	ActiveSet    []int
	Attempts     int
	StateBatches uint64
}

// Coordinator relays queries. It is safe for concurrent use.
type Coordinator struct {
	roster roster.Roster
	net    protocol.Transport
	group  thhe.Group
	log    *slog.Logger
}

// New makes a coordinator for the roster's nodes over net, with the
// network's HE parameters (public).
func New(r roster.Roster, net protocol.Transport, params thhe.Params, log *slog.Logger) (*Coordinator, error) {
	g, err := thhe.NewGroup(params, r.N(), r.Threshold)
	if err != nil {
		return nil, err
	}
	return &Coordinator{roster: r, net: net, group: g, log: log}, nil
}

type prepared struct {
	node    int
	resp    *pb.QueryResponse
	err     error // transport failure
	refusal bool  // the node refused the query
}

// Run answers sq. See the package doc.
func (c *Coordinator) Run(ctx context.Context, sq *pb.SignedQuery) (*Answer, error) {
	id := protocol.QueryID(sq.GetQuery())
	preps := c.prepare(ctx, sq, 1)
	if err := refusal(preps); err != nil {
		return nil, err
	}
	group, batches, err := c.choose(preps)
	if err != nil {
		return nil, err
	}
	var failures []string
	for attempt := uint32(1); attempt <= protocol.MaxQueryAttempts; attempt++ {
		if len(group) < c.roster.Threshold {
			break
		}
		set := slices.Clone(group[:c.roster.Threshold])
		ans, failed, err := c.evaluate(ctx, sq, attempt, set, preps[set[0]-1].resp.StateDigest)
		if err == nil {
			ans.QueryID, ans.StateBatches = id, batches
			return ans, nil
		}
		var r *protocol.Refusal
		if errors.As(err, &r) && slices.Contains(queryCodes, r.Code) {
			return nil, fmt.Errorf("%w: %w", ErrRefused, err)
		}
		c.log.Warn("query attempt failed", "query", fmt.Sprintf("%x", id[:8]), "attempt", attempt, "err", err)
		failures = append(failures, err.Error())
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.As(err, &r) && r.Code == protocol.CodeState {
			// The statistics changed since prepare (an ingest): choose again.
			preps = c.prepare(ctx, sq, attempt+1)
			if err := refusal(preps); err != nil {
				return nil, err
			}
			if group, batches, err = c.choose(preps); err != nil {
				return nil, err
			}
			continue
		}
		group = slices.DeleteFunc(group, func(n int) bool { return slices.Contains(failed, n) })
	}
	if len(group) < c.roster.Threshold {
		return nil, fmt.Errorf("%w: %d of %d nodes left after failed attempts, %d needed (%s)",
			protocol.ErrThresholdNotMet, len(group), c.roster.N(), c.roster.Threshold, strings.Join(failures, "; "))
	}
	return nil, fmt.Errorf("%w: %d attempts: %s", ErrFailed, protocol.MaxQueryAttempts, strings.Join(failures, "; "))
}

func (c *Coordinator) prepare(ctx context.Context, sq *pb.SignedQuery, attempt uint32) []prepared {
	out := make([]prepared, c.roster.N())
	// Prepare needs no target key (1.5 MiB at production parameters).
	light := &pb.SignedQuery{Query: sq.GetQuery(), Signature: sq.GetSignature()}
	var wg sync.WaitGroup
	for i := 1; i <= c.roster.N(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := &pb.QueryResponse{}
			err := c.net.Exchange(ctx, i, protocol.QueryProtoID, &pb.QueryRequest{Phase: pb.QueryRequest_PHASE_PREPARE, Query: light, Attempt: attempt}, resp)
			out[i-1] = prepared{node: i, resp: resp, err: err, refusal: err == nil && resp.Error != ""}
		}()
	}
	wg.Wait()
	return out
}

// queryCodes are refusals about the query itself (not about one node's state).
var queryCodes = []string{protocol.CodeMalformed, protocol.CodeUnknownKey, protocol.CodeBadSignature,
	protocol.CodeExpired, protocol.CodeLifetime, protocol.CodeReplay, protocol.CodePolicy, protocol.CodeInvalid, protocol.CodeRoster}

// refusal returns ErrRefused if any node refused the query itself.
func refusal(preps []prepared) error {
	var reasons []string
	code := ""
	for _, p := range preps {
		if p.refusal && slices.Contains(queryCodes, p.resp.Code) {
			if code == "" {
				code = p.resp.Code
			}
			reasons = append(reasons, p.resp.Error)
		}
	}
	if len(reasons) == 0 {
		return nil
	}
	slices.Sort(reasons)
	reasons = slices.Compact(reasons)
	return fmt.Errorf("%w: %w", ErrRefused, &protocol.Refusal{Code: code, Err: errors.New(strings.Join(reasons, "; "))})
}

// choose picks the largest-state group of ≥ t nodes that agree.
func (c *Coordinator) choose(preps []prepared) (group []int, batches uint64, err error) {
	groups := map[string][]int{}
	reachable := 0
	var notReady []string
	for _, p := range preps {
		if p.err != nil {
			continue
		}
		reachable++
		if p.refusal {
			notReady = append(notReady, fmt.Sprintf("%s: %s", c.net.NodeName(p.node), p.resp.Error))
			continue
		}
		groups[string(p.resp.StateDigest)] = append(groups[string(p.resp.StateDigest)], p.node)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	found := false
	for _, k := range keys {
		g := groups[k]
		b := preps[g[0]-1].resp.StateBatches
		if len(g) >= c.roster.Threshold && (!found || b > batches) {
			group, batches, found = g, b, true
		}
	}
	if found {
		return group, batches, nil
	}
	t, n := c.roster.Threshold, c.roster.N()
	if reachable < t {
		return nil, 0, fmt.Errorf("%w: %d of %d nodes reachable, %d needed", protocol.ErrThresholdNotMet, reachable, n, t)
	}
	largest := 0
	for _, g := range groups {
		largest = max(largest, len(g))
	}
	detail := ""
	if len(notReady) > 0 {
		detail = " (" + strings.Join(notReady, "; ") + ")"
	}
	return nil, 0, fmt.Errorf("%w: %d of %d nodes reachable, at most %d agree on the statistics, %d needed%s",
		protocol.ErrThresholdNotMet, reachable, n, largest, t, detail)
}

type evaluated struct {
	resp *pb.QueryResponse
	err  error
}

// evaluate runs one attempt on set; failed lists the members that failed.
func (c *Coordinator) evaluate(ctx context.Context, sq *pb.SignedQuery, attempt uint32, set []int, state []byte) (*Answer, []int, error) {
	req := &pb.QueryRequest{Phase: pb.QueryRequest_PHASE_EVALUATE, Query: sq, Attempt: attempt, StateDigest: state}
	for _, m := range set {
		req.ActiveSet = append(req.ActiveSet, uint32(m))
	}
	res := make([]evaluated, len(set))
	var wg sync.WaitGroup
	for k, m := range set {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := &pb.QueryResponse{}
			err := c.net.Exchange(ctx, m, protocol.QueryProtoID, req, resp)
			if err == nil && resp.Error != "" {
				err = &protocol.Refusal{Code: resp.Code, Err: fmt.Errorf("%s: %s", c.net.NodeName(m), resp.Error)}
			}
			res[k] = evaluated{resp, err}
		}()
	}
	wg.Wait()
	var failed []int
	var errs []error
	for k, r := range res {
		if r.err != nil {
			failed = append(failed, set[k])
			errs = append(errs, r.err)
		}
	}
	if len(errs) > 0 {
		var rf *protocol.Refusal
		for _, e := range errs {
			if errors.As(e, &rf) && slices.Contains(queryCodes, rf.Code) {
				return nil, failed, e
			}
		}
		return nil, failed, errors.Join(errs...)
	}
	cts, err := c.combine(set, res)
	if err != nil {
		return nil, set, err
	}
	return &Answer{Ciphertexts: cts, ActiveSet: set, Attempts: int(attempt)}, nil, nil
}

// combine checks that the members computed one result and aggregates
// their shares into ciphertexts under the service's key.
func (c *Coordinator) combine(set []int, res []evaluated) ([][]byte, error) {
	first := res[0].resp
	if len(first.Ciphertexts) == 0 {
		return nil, fmt.Errorf("%s returned no result", c.net.NodeName(set[0]))
	}
	for k, r := range res {
		if len(r.resp.Ciphertexts) != len(first.Ciphertexts) || len(r.resp.Shares) != len(first.Ciphertexts) {
			return nil, fmt.Errorf("%s returned %d ciphertexts and %d shares, %s %d",
				c.net.NodeName(set[k]), len(r.resp.Ciphertexts), len(r.resp.Shares), c.net.NodeName(set[0]), len(first.Ciphertexts))
		}
		for j := range first.Ciphertexts {
			if !bytes.Equal(r.resp.Ciphertexts[j], first.Ciphertexts[j]) {
				return nil, fmt.Errorf("%s and %s computed different results", c.net.NodeName(set[k]), c.net.NodeName(set[0]))
			}
		}
	}
	out := make([][]byte, len(first.Ciphertexts))
	for j, raw := range first.Ciphertexts {
		ct, err := thhe.DecodeCiphertext(c.group.Params, raw)
		if err != nil {
			return nil, fmt.Errorf("result %d: %w", j, err)
		}
		shares := make([]*thhe.KeySwitchShare, len(set))
		for k, r := range res {
			if shares[k], err = c.group.DecodeKeySwitchShare(r.resp.Shares[j]); err != nil {
				return nil, fmt.Errorf("share of %s: %w", c.net.NodeName(set[k]), err)
			}
		}
		switched, err := thhe.AggregateKeySwitch(c.group, ct, shares)
		if err != nil {
			return nil, fmt.Errorf("result %d: %w", j, err)
		}
		if out[j], err = thhe.EncodeCiphertext(c.group.Params, switched); err != nil {
			return nil, err
		}
	}
	return out, nil
}
