package rawquery

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/dataembassy/embassy/cube"
	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/thhe"
)

// Group is an in-process threshold group with its collective keys and a
// querier's key pair.
type Group struct {
	params  thhe.Params
	g       thhe.Group
	parties []*thhe.Party // index i is party i+1
	set     thhe.ActiveSet
	pk      *rlwe.PublicKey
	ev      *thhe.Evaluator
	tsk     *rlwe.SecretKey
	tpk     *rlwe.PublicKey
	runs    int
}

// NewGroup makes n parties with threshold t, deals their threshold shares,
// and runs the collective public key and Galois key protocols with the
// active set {1..t}. At thhe.ProductionParams this takes seconds (14
// Galois keys).
func NewGroup(params thhe.Params, n, t int) (*Group, error) {
	g, err := thhe.NewGroup(params, n, t)
	if err != nil {
		return nil, err
	}
	gr := &Group{params: params, g: g}
	for id := 1; id <= n; id++ {
		p, err := thhe.NewParty(g, id)
		if err != nil {
			return nil, err
		}
		gr.parties = append(gr.parties, p)
	}
	for _, p := range gr.parties {
		shares, err := p.ThresholdShares()
		if err != nil {
			return nil, err
		}
		for to, s := range shares {
			if err := gr.parties[to-1].ReceiveThresholdShare(s); err != nil {
				return nil, err
			}
		}
	}
	ids := make([]int, t)
	for i := range ids {
		ids[i] = i + 1
	}
	if gr.set, err = g.NewActiveSet(ids...); err != nil {
		return nil, err
	}
	var seed thhe.Seed
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, err
	}
	var ck []*thhe.CKGShare
	for _, id := range gr.set {
		s, err := gr.parties[id-1].CKGShare(gr.set, seed)
		if err != nil {
			return nil, err
		}
		ck = append(ck, s)
	}
	if gr.pk, err = thhe.AggregateCKG(g, seed, ck); err != nil {
		return nil, err
	}
	var galois []*rlwe.GaloisKey
	for _, el := range thhe.InnerSumGaloisElements(params) {
		var gk []*thhe.GKGShare
		for _, id := range gr.set {
			s, err := gr.parties[id-1].GKGShare(gr.set, seed, el)
			if err != nil {
				return nil, err
			}
			gk = append(gk, s)
		}
		key, err := thhe.AggregateGKG(g, seed, el, gk)
		if err != nil {
			return nil, err
		}
		galois = append(galois, key)
	}
	gr.ev = thhe.NewEvaluator(params, thhe.EvaluationKeys{Galois: galois})
	gr.tsk, gr.tpk = thhe.NewTargetKeyPair(params)
	return gr, nil
}

// Params returns the group's HE parameters.
func (gr *Group) Params() thhe.Params { return gr.params }

// Fold encrypts the statistics of records (schema s) as one delta under
// the group's collective key and folds it into a new state.
func (gr *Group) Fold(s registry.Schema, records []registry.Record) (*cube.State, error) {
	acc, err := cube.NewAccumulator(s, gr.params.Slots())
	if err != nil {
		return nil, err
	}
	for i, r := range records {
		if err := acc.Add(r, 1); err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
	}
	d, err := acc.Encrypt(gr.params, gr.pk)
	if err != nil {
		return nil, err
	}
	st, err := cube.NewState(gr.params, s)
	if err != nil {
		return nil, err
	}
	if err := st.Fold(d); err != nil {
		return nil, err
	}
	return st, nil
}

// Timing is where one Run's time went.
type Timing struct {
	Evaluate    time.Duration // cube.Evaluate, on one node
	Rerandomize time.Duration // Result.Rerandomize, on one node
	Share       time.Duration // one node: encode its result ciphertexts, compute and marshal its key-switch shares (mean over the t nodes)
	Combine     time.Duration // coordinator and querier: decode and aggregate t shares per ciphertext, decrypt, decode the cells
}

// Node is one node's work: Evaluate + Rerandomize + Share.
func (t Timing) Node() time.Duration { return t.Evaluate + t.Rerandomize + t.Share }

// Total is the critical path with the t nodes working in parallel: one
// node's work plus the combination.
func (t Timing) Total() time.Duration { return t.Node() + t.Combine }

// Run is the outcome of one plan's evaluation.
type Run struct {
	Cells []query.Cell
	Timing
	// Ciphertexts are the result ciphertexts as a node sends them
	// (thhe.EncodeCiphertext), Shares one node's marshalled key-switch
	// shares for them, in the same order.
	Ciphertexts [][]byte
	Shares      [][]byte
}

// Run evaluates plan on st as t nodes and the querier would, all in this
// process. Each call re-randomises with a fresh seed, so the parties never
// key-switch the same ciphertext twice.
func (gr *Group) Run(st *cube.State, plan *query.Plan) (*Run, error) {
	layout, cts, err := st.Cube(plan.Cube)
	if err != nil {
		return nil, err
	}
	rl, err := cube.NewResultLayout(layout, plan)
	if err != nil {
		return nil, err
	}
	var seed [32]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, err
	}
	gr.runs++
	out := &Run{}
	start := time.Now()
	res, err := cube.Evaluate(gr.ev, layout, plan, cts)
	if err != nil {
		return nil, err
	}
	out.Evaluate = time.Since(start)
	start = time.Now()
	if err := res.Rerandomize(gr.params, gr.pk, seed); err != nil {
		return nil, err
	}
	out.Rerandomize = time.Since(start)

	// Every member's shares (wire bytes), member by member.
	shares := make([][][]byte, len(gr.set))
	start = time.Now()
	for k, id := range gr.set {
		for i, ct := range res.Ciphertexts {
			enc, err := thhe.EncodeCiphertext(gr.params, ct)
			if err != nil {
				return nil, err
			}
			s, err := gr.parties[id-1].KeySwitchShare(gr.set, ct, gr.tpk, fmt.Sprintf("rawquery run %d result %d", gr.runs, i))
			if err != nil {
				return nil, err
			}
			b, err := s.MarshalBinary()
			if err != nil {
				return nil, err
			}
			shares[k] = append(shares[k], b)
			if k == 0 {
				out.Ciphertexts = append(out.Ciphertexts, enc)
			}
		}
	}
	out.Share = time.Since(start) / time.Duration(len(gr.set))
	out.Shares = shares[0]

	start = time.Now()
	plain := make([][]int64, len(out.Ciphertexts))
	for i, raw := range out.Ciphertexts {
		ct, err := thhe.DecodeCiphertext(gr.params, raw)
		if err != nil {
			return nil, err
		}
		ss := make([]*thhe.KeySwitchShare, len(gr.set))
		for k := range gr.set {
			if ss[k], err = gr.g.DecodeKeySwitchShare(shares[k][i]); err != nil {
				return nil, err
			}
		}
		sw, err := thhe.AggregateKeySwitch(gr.g, ct, ss)
		if err != nil {
			return nil, err
		}
		if plain[i], err = thhe.Decrypt(gr.params, gr.tsk, sw); err != nil {
			return nil, err
		}
	}
	if out.Cells, err = cube.Decode(rl, plan, plain); err != nil {
		return nil, err
	}
	out.Combine = time.Since(start)
	return out, nil
}
