package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/dataembassy/embassy/client"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/sim"
	"github.com/dataembassy/embassy/sim/results"
	"github.com/dataembassy/embassy/sim/simhost"
	"github.com/dataembassy/embassy/transport"
)

// simClient is a custodian or service at its site, with its own host.
type simClient struct {
	placedClient
	c *client.Client
}

func (r *runner) startClients() error {
	g, err := transport.NewGater(r.lay.roster)
	if err != nil {
		return err
	}
	for _, pc := range r.lay.clients {
		id := r.lay.custodian
		if pc.Role == sim.RoleService {
			id = r.lay.services[pc.Name]
		}
		isolate()
		h, err := simhost.New(transport.HostConfig{Key: id.SigningKey(), Gater: g,
			Listen: []string{quicAddr(pc.addr)}}, r.packets)
		if err != nil {
			return fmt.Errorf("client %s: %w", pc.Name, err)
		}
		nw, err := transport.NewNetwork(newIsolatedHost(h, r.gate), g, r.lay.roster)
		if err != nil {
			_ = h.Close()
			return fmt.Errorf("client %s: %w", pc.Name, err)
		}
		r.clients[pc.Name] = &simClient{placedClient: pc,
			c: client.New(id, r.lay.roster, r.lay.digest, nw, nw.Close, r.lay.secret, time.Now)}
	}
	return nil
}

// custodian is the client that preloads: the ingest's, else the first
// custodian.
func (r *runner) custodian() *simClient {
	if in := r.s.Workload.Ingest; in != nil {
		return r.clients[in.From]
	}
	for _, pc := range r.lay.clients {
		if pc.Role == sim.RoleCustodian {
			return r.clients[pc.Name]
		}
	}
	return nil
}

// preload stores the first rows of every registry before the scenario
// starts.
func (r *runner) preload(ctx context.Context) error {
	names := make([]string, 0, len(r.data.regs))
	for name := range r.data.regs {
		names = append(names, name)
	}
	slices.Sort(names)
	c := r.custodian()
	for _, name := range names {
		if c == nil {
			return fmt.Errorf("preload %s: the scenario has no custodian client", name)
		}
		rd := r.data.regs[name]
		idx, in, err := rd.takeBatch(r.opts.Preload)
		if err != nil {
			return err
		}
		if in == nil {
			continue
		}
		prog, err := c.c.Ingest(ctx, rd.schema, in, client.IngestOptions{})
		if err != nil || prog.Failed != 0 {
			return fmt.Errorf("preload %s: %+v: %w", name, prog, err)
		}
		rd.stored(idx)
	}
	return nil
}

// scheduled is one look-up or query the workload starts at a fixed
// virtual time.
type scheduled struct {
	at       time.Duration
	seq      int
	kind     string // results.KindLookup or KindQuery
	client   string
	registry string
	sql      string
	draw     float64 // picks the record a look-up reads
}

// schedule draws the look-ups and queries of the whole scenario from its
// seed: Poisson arrivals at each part's rate (the rate is for the part as
// a whole), each from one of its clients chosen uniformly, with the mix's
// weights.
func (r *runner) schedule() []scheduled {
	var out []scheduled
	w := r.s.Workload
	if l := w.Lookups; l != nil && l.Rate > 0 {
		rng := rand.New(rand.NewPCG(r.s.Seed, 0x6c6f6f6b))
		weights := make([]int, len(l.Mix))
		for i, m := range l.Mix {
			weights[i] = m.Weight
		}
		for at := arrival(rng, l.Rate, 0); at < r.s.Duration; at = arrival(rng, l.Rate, at) {
			m := l.Mix[weighted(rng, weights)]
			out = append(out, scheduled{at: at, kind: results.KindLookup, client: l.From[rng.IntN(len(l.From))],
				registry: m.Registry, draw: rng.Float64()})
		}
	}
	if q := w.Queries; q != nil && q.Rate > 0 {
		rng := rand.New(rand.NewPCG(r.s.Seed, 0x71756572))
		weights := make([]int, len(q.Mix))
		for i, m := range q.Mix {
			weights[i] = m.Weight
		}
		for at := arrival(rng, q.Rate, 0); at < r.s.Duration; at = arrival(rng, q.Rate, at) {
			m := q.Mix[weighted(rng, weights)]
			out = append(out, scheduled{at: at, kind: results.KindQuery, client: q.From[rng.IntN(len(q.From))], sql: m.SQL})
		}
	}
	slices.SortStableFunc(out, func(a, b scheduled) int { return int(a.at - b.at) })
	for i := range out {
		out[i].seq = i + 1
	}
	return out
}

// arrival is the next arrival of a Poisson process at rate after prev,
// in whole microseconds.
func arrival(rng *rand.Rand, rate sim.Rate, prev time.Duration) time.Duration {
	gap := rng.ExpFloat64() / float64(rate)
	return prev + max(time.Microsecond, time.Duration(gap*1e6)*time.Microsecond)
}

func weighted(rng *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += max(w, 1)
	}
	x := rng.IntN(total)
	for i, w := range weights {
		if x -= max(w, 1); x < 0 {
			return i
		}
	}
	return len(weights) - 1
}

// driveWorkload starts the ingest loop and every scheduled operation at
// its time, and returns a group that ends when all of them have.
func (r *runner) driveWorkload(ctx context.Context) *sync.WaitGroup {
	ops := &sync.WaitGroup{}
	if r.s.Workload.Ingest != nil {
		ops.Go(func() { r.ingestLoop(ctx) })
	}
	plan := r.schedule()
	ops.Go(func() {
		for _, op := range plan {
			if !r.sleepUntil(ctx, op.at) {
				return
			}
			ops.Go(func() { r.do(ctx, op) })
		}
	})
	ops.Go(func() { r.sleepUntil(ctx, r.s.Duration) })
	return ops
}

// sleepUntil waits until at on the scenario's clock; false if ctx ended.
func (r *runner) sleepUntil(ctx context.Context, at time.Duration) bool {
	d := at - r.since()
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// ingestLoop stores the ingest's batches one after another, the k-th due
// at k × batch / rate: a batch that is late starts when the one before
// it has finished.
func (r *runner) ingestLoop(ctx context.Context) {
	in := r.s.Workload.Ingest
	rd := r.data.regs[in.Registry]
	c := r.clients[in.From]
	every := time.Duration(float64(in.Batch) / float64(in.Rate) * float64(time.Second))
	for k := 0; ; k++ {
		// Half a millisecond after the whole interval, so that a batch
		// never starts at the very instant of a timeline action (whose
		// order against it would be the scheduler's choice).
		due := time.Duration(k)*every + 500*time.Microsecond
		if due >= r.s.Duration || !r.sleepUntil(ctx, due) {
			return
		}
		idx, rows, err := rd.takeBatch(in.Batch)
		if rows == nil && err == nil {
			return // the generated rows have run out
		}
		op := r.begin(results.KindIngest, c, in.Registry, -(k + 1))
		if err == nil {
			err = r.ingest(withOp(ctx, -(k+1)), c, rd, rows, len(idx))
		}
		if err == nil {
			rd.stored(idx)
		} else if idx != nil {
			rd.failed(idx)
		}
		r.finish(op, err, "")
	}
}

func (r *runner) ingest(ctx context.Context, c *simClient, rd *regData, rows *registry.Reader, n int) error {
	ctx, cancel := context.WithTimeout(ctx, IngestTimeout)
	defer cancel()
	// The custodian's own work: encrypting the batch's statistics delta
	// and splitting, sealing and signing each record.
	time.Sleep(r.costs.IngestBatch + time.Duration(n)*r.costs.IngestPerRecord)
	prog, err := c.c.Ingest(ctx, rd.schema, rows, client.IngestOptions{BatchSize: n, Workers: 1})
	if err != nil {
		return err
	}
	if prog.Failed != 0 || prog.Rejected != 0 {
		return fmt.Errorf("%d of %d records not stored (%d rejected)", prog.Failed, n, prog.Rejected)
	}
	return nil
}

// do runs one scheduled operation and records it.
func (r *runner) do(ctx context.Context, s scheduled) {
	ctx = withOp(ctx, s.seq)
	c := r.clients[s.client]
	switch s.kind {
	case results.KindLookup:
		op := r.begin(results.KindLookup, c, s.registry, s.seq)
		reason, err := r.lookup(ctx, c, s)
		r.finish(op, err, reason)
	case results.KindQuery:
		p, _ := query.Compile(s.sql, registry.Builtin())
		op := r.begin(results.KindQuery, c, p.Registry, s.seq)
		reason, err := r.query(ctx, c, s.sql)
		r.finish(op, err, reason)
	}
}

func (r *runner) lookup(ctx context.Context, c *simClient, s scheduled) (reason string, err error) {
	rd := r.data.regs[s.registry]
	row := rd.pick(s.draw)
	if row < 0 {
		return results.ReasonError, errors.New("no record stored yet")
	}
	key := rd.schema.Key(rd.records[row])
	ctx, cancel := context.WithTimeout(ctx, LookupTimeout)
	defer cancel()
	got, err := c.c.Get(ctx, s.registry, []string{key})
	if err == nil && len(got) == 1 {
		err = got[0].Err
	}
	if err != nil {
		return "", err
	}
	time.Sleep(r.costs.LookupPerRecord)
	if want := rd.schema.EncodeRecord(rd.records[row]); !bytes.Equal(got[0].Record, want) {
		return results.ReasonCorrupt, fmt.Errorf("%s %q: the record read back differs from the one stored", s.registry, key)
	}
	return "", nil
}

func (r *runner) query(ctx context.Context, c *simClient, sql string) (reason string, err error) {
	plan, err := query.Compile(sql, registry.Builtin())
	if err != nil {
		return results.ReasonError, err
	}
	rd := r.data.regs[plan.Registry]
	before := rd.candidates()
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	res, err := c.c.Query(ctx, sql, client.QueryOptions{})
	if err != nil {
		return "", err
	}
	time.Sleep(r.costs.QueryCombine)
	got, err := resultJSON(res.Result)
	if err != nil {
		return results.ReasonError, err
	}
	// An ingest batch may land while the query runs, and a batch whose
	// ingest failed may be stored on enough nodes to be counted: the
	// answer must be the oracle's over the records readable when the
	// query started or when it ended, with any of the failed batches.
	for _, records := range append(before, rd.candidates()...) {
		want, err := oracleJSON(sql, records, res.Result.K)
		if err != nil {
			return results.ReasonError, err
		}
		if bytes.Equal(got, want) {
			return "", nil
		}
	}
	return results.ReasonWrongAnswer, errors.New("the decrypted answer differs from the plaintext oracle's")
}

func resultJSON(res *query.Result) ([]byte, error) {
	var buf bytes.Buffer
	err := query.WriteJSON(&buf, res)
	return buf.Bytes(), err
}

func oracleJSON(sql string, records []registry.Record, k int) ([]byte, error) {
	res, err := query.PlainAnswer(sql, registry.Builtin(), records, k)
	if err != nil {
		return nil, err
	}
	return resultJSON(res)
}

// classify names why an operation failed.
func classify(err error) string {
	var refusal *protocol.Refusal
	switch {
	case errors.Is(err, protocol.ErrThresholdNotMet):
		return results.ReasonThreshold
	case errors.Is(err, context.DeadlineExceeded):
		return results.ReasonTimeout
	case errors.As(err, &refusal), errors.Is(err, protocol.ErrBadQuery):
		return results.ReasonRefused
	}
	return results.ReasonError
}

// openOp is an operation in flight.
type openOp struct {
	op  results.Op
	seq int
}

// begin notes an operation's start: when, and how many nodes its client
// can reach.
func (r *runner) begin(kind string, c *simClient, registryName string, seq int) *openOp {
	return &openOp{seq: seq, op: results.Op{Start: r.since(), Kind: kind, Client: c.Name, Site: c.Site,
		Registry: registryName, Reachable: r.reachableAt(c.Site, r.since())}}
}

// finish records an operation's outcome.
func (r *runner) finish(o *openOp, err error, reason string) {
	o.op.Latency = r.since() - o.op.Start
	o.op.OK = err == nil
	if err != nil {
		if reason == "" {
			reason = classify(err)
		}
		o.op.Reason, o.op.Error = reason, err.Error()
	}
	op := o.op
	r.mu.Lock()
	r.done = append(r.done, opDone{end: op.Start + op.Latency, client: op.Client, ok: op.OK})
	r.mu.Unlock()
	r.record(event{rank: rankOp, seq: o.seq, at: op.Start + op.Latency,
		ev: results.Event{Type: results.EventOp, Op: &op}})
}
