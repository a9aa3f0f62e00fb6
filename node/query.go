package node

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/dataembassy/embassy/cube"
	"github.com/dataembassy/embassy/node/store"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/thhe"
	"github.com/dataembassy/embassy/transport"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
)

// Encrypted queries (/embassy/query/1.0.0). A node contributes to a query
// only after checking it itself, every time: the service's signature and
// roster membership, the roster and HE parameters it was signed for, its
// lifetime and freshness, that it parses and plans, and that the service's
// policy allows every field the plan touches. It evaluates only its own
// folded statistics (never a ciphertext someone hands it), at most once per
// (query, attempt) — recorded durably before it computes — and re-randomises
// the result with the attempt's seed, so every share it releases is for a
// ciphertext no share was released for before (thhe's release log refuses
// a repeat, across restarts).

func (n *Node) handleQuery(ctx context.Context, c transport.Caller, req *pb.QueryRequest) *pb.QueryResponse {
	release, ok := n.enter()
	if !ok {
		return &pb.QueryResponse{Error: shuttingDown, Code: protocol.CodeInternal}
	}
	defer release()
	phase := "prepare"
	if req.GetPhase() == pb.QueryRequest_PHASE_EVALUATE {
		phase = "evaluate"
	}
	resp, err := n.query(ctx, c, req)
	if err != nil {
		r := &protocol.Refusal{Code: protocol.CodeInternal, Err: err}
		errors.As(err, &r)
		n.metrics.Query(phase, r.Code)
		n.log.Info("query refused", "phase", phase, "code", r.Code, "err", err)
		return &pb.QueryResponse{Error: r.Err.Error(), Code: r.Code}
	}
	n.metrics.Query(phase, "ok")
	return resp
}

// checkedQuery is a query this node has checked and planned.
type checkedQuery struct {
	*protocol.CheckedQuery
	plan   *query.Plan
	schema registry.Schema
	target *rlwe.PublicKey
}

func (n *Node) query(_ context.Context, c transport.Caller, req *pb.QueryRequest) (*pb.QueryResponse, error) {
	if c.Role != roster.RoleService && c.Role != roster.RoleCoordinator {
		return nil, protocol.Refuse(protocol.CodeUnknownKey, "only services and coordinators may query")
	}
	fed, ok := n.keys.federation()
	if !ok {
		return nil, protocol.Refuse(protocol.CodeNotReady, "%s has not finished the federation key setup", n.self.Name)
	}
	q, err := n.checkQuery(req.Query, fed.Group.Params)
	if err != nil {
		return nil, err
	}
	switch req.Phase {
	case pb.QueryRequest_PHASE_PREPARE:
		return n.prepareQuery(q, req.Attempt)
	case pb.QueryRequest_PHASE_EVALUATE:
		return n.evaluateQuery(q, req, fed)
	}
	return nil, protocol.Refuse(protocol.CodeMalformed, "unknown phase %v", req.Phase)
}

// checkQuery runs every check that needs no statistics.
func (n *Node) checkQuery(sq *pb.SignedQuery, params thhe.Params) (*checkedQuery, error) {
	pid := params.ID()
	cq, err := protocol.CheckQuery(sq, n.digest[:], pid[:], n.now())
	if err != nil {
		return nil, err
	}
	svc, ok := n.roster.Service(cq.Query.ServiceKey)
	if !ok {
		return nil, protocol.Refuse(protocol.CodeUnknownKey, "query signed by a key that is not a service of this roster")
	}
	plan, err := query.Compile(cq.Query.Text, registry.Builtin())
	if err != nil {
		return nil, protocol.Refuse(protocol.CodeInvalid, "%v", err)
	}
	schema, err := registry.Lookup(plan.Registry)
	if err != nil {
		return nil, protocol.Refuse(protocol.CodeInvalid, "%v", err)
	}
	if err := svc.Policy.Allow(plan.Registry, plan.Uses()); err != nil {
		return nil, protocol.Refuse(protocol.CodePolicy, "service %s: %v", svc.Name, err)
	}
	q := &checkedQuery{CheckedQuery: cq, plan: plan, schema: schema}
	if len(sq.TargetKey) > 0 {
		if q.target, err = thhe.DecodePublicKey(params, sq.TargetKey); err != nil {
			return nil, protocol.Refuse(protocol.CodeMalformed, "target key: %v", err)
		}
	}
	return q, nil
}

func (n *Node) prepareQuery(q *checkedQuery, attempt uint32) (*pb.QueryResponse, error) {
	attempt = max(attempt, 1)
	used, err := n.store.Attempts(q.ID)
	if err != nil {
		return nil, err
	}
	// A coordinator prepares for the attempt it will evaluate next: if this
	// node evaluated that attempt or a later one, the query is replayed.
	if len(used) > 0 && slices.Max(used) >= attempt {
		return nil, protocol.Refuse(protocol.CodeReplay, "query %x was evaluated before (attempts %v): a replay", q.ID[:8], used)
	}
	if attempt > protocol.MaxQueryAttempts {
		return nil, protocol.Refuse(protocol.CodeReplay, "attempt %d: a query is evaluated at most %d times", attempt, protocol.MaxQueryAttempts)
	}
	resp := &pb.QueryResponse{}
	err = n.stats.with(q.plan.Registry, func(st registryStats) error {
		if st.Missing > 0 {
			return protocol.Refuse(protocol.CodeNotReady, "%s holds %d batches of %s stored without encrypted statistics", n.self.Name, st.Missing, q.plan.Registry)
		}
		resp.StateDigest, resp.StateBatches = st.Digest[:], st.Batches
		return nil
	})
	return resp, err
}

func (n *Node) evaluateQuery(q *checkedQuery, req *pb.QueryRequest, fed *federation) (*pb.QueryResponse, error) {
	if q.target == nil {
		return nil, protocol.Refuse(protocol.CodeMalformed, "no target key to re-encrypt the answer to")
	}
	if req.Attempt < 1 || req.Attempt > protocol.MaxQueryAttempts {
		return nil, protocol.Refuse(protocol.CodeReplay, "attempt %d: a query is evaluated at most %d times", req.Attempt, protocol.MaxQueryAttempts)
	}
	set, err := n.activeSet(fed.Group, req.ActiveSet)
	if err != nil {
		return nil, err
	}
	var result *cube.Result
	var resp pb.QueryResponse
	err = n.stats.with(q.plan.Registry, func(st registryStats) error {
		if st.Missing > 0 {
			return protocol.Refuse(protocol.CodeNotReady, "%s holds %d batches of %s stored without encrypted statistics", n.self.Name, st.Missing, q.plan.Registry)
		}
		if string(st.Digest[:]) != string(req.StateDigest) {
			return protocol.Refuse(protocol.CodeState, "%s's statistics of %s differ from the state chosen for the query (%d batches folded)", n.self.Name, q.plan.Registry, st.Batches)
		}
		// Recorded before anything is computed: a crash after this point
		// uses the attempt up rather than risking a second evaluation.
		if err := n.store.ReserveAttempt(q.ID, req.Attempt, n.now()); err != nil {
			if errors.Is(err, store.ErrAttemptUsed) {
				return protocol.Refuse(protocol.CodeReplay, "query %x attempt %d was evaluated before: a replay", q.ID[:8], req.Attempt)
			}
			return err
		}
		layout, cts, err := st.State.Cube(q.plan.Cube)
		if err != nil {
			return err
		}
		result, err = cube.Evaluate(thhe.NewEvaluator(fed.Group.Params, fed.Keys), layout, q.plan, cts)
		resp.StateDigest, resp.StateBatches = st.Digest[:], st.Batches
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := result.Rerandomize(fed.Group.Params, fed.PublicKey, protocol.AttemptSeed(q.ID, req.Attempt)); err != nil {
		return nil, err
	}
	label := fmt.Sprintf("query %x attempt %d", q.ID, req.Attempt)
	for i, ct := range result.Ciphertexts {
		enc, err := thhe.EncodeCiphertext(fed.Group.Params, ct)
		if err != nil {
			return nil, err
		}
		share, err := fed.Party.KeySwitchShare(set, ct, q.target, fmt.Sprintf("%s result %d", label, i))
		if err != nil {
			return nil, err
		}
		if f := n.cfg.Faults; f != nil {
			f.KeySwitchShare(i, ct, share)
		}
		sb, err := share.MarshalBinary()
		if err != nil {
			return nil, err
		}
		resp.Ciphertexts = append(resp.Ciphertexts, enc)
		resp.Shares = append(resp.Shares, sb)
	}
	n.log.Info("query evaluated", "query", fmt.Sprintf("%x", q.ID[:8]), "attempt", req.Attempt, "registry", q.plan.Registry,
		"cube", q.plan.Cube, "results", len(resp.Ciphertexts), "set", set)
	return &resp, nil
}

// activeSet checks the coordinator's active set: t distinct roster nodes,
// this one among them.
func (n *Node) activeSet(g thhe.Group, members []uint32) (thhe.ActiveSet, error) {
	ids := make([]int, len(members))
	for i, m := range members {
		ids[i] = int(m)
	}
	set, err := g.NewActiveSet(ids...)
	if err != nil {
		return nil, protocol.Refuse(protocol.CodeMalformed, "active set %v: %v", ids, err)
	}
	if !slices.Contains(ids, n.self.Index) {
		return nil, protocol.Refuse(protocol.CodeMalformed, "active set %v does not include %s", ids, n.self.Name)
	}
	return set, nil
}

func (n *Node) handleFedKey(_ context.Context, _ transport.Caller, req *pb.FedKeyRequest) *pb.FedKeyResponse {
	release, ok := n.enter()
	if !ok {
		return &pb.FedKeyResponse{Error: shuttingDown}
	}
	defer release()
	fed, ok := n.keys.federation()
	if !ok {
		return &pb.FedKeyResponse{Error: fmt.Sprintf("%s has not finished the federation key setup", n.self.Name)}
	}
	pid := fed.Group.Params.ID()
	if req.ParamsOnly {
		return &pb.FedKeyResponse{ParamsId: pid[:]}
	}
	pk, err := thhe.EncodePublicKey(fed.Group.Params, fed.PublicKey)
	if err != nil {
		return &pb.FedKeyResponse{Error: err.Error()}
	}
	return &pb.FedKeyResponse{PublicKey: pk, ParamsId: pid[:]}
}
