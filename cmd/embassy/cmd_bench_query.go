package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"google.golang.org/protobuf/proto"

	"github.com/dataembassy/embassy/client"
	"github.com/dataembassy/embassy/coordinator"
	"github.com/dataembassy/embassy/cube"
	"github.com/dataembassy/embassy/internal/rawquery"
	"github.com/dataembassy/embassy/node/store"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/testnet"
	"github.com/dataembassy/embassy/thhe"
)

const benchQueryHelp = `
Measure encrypted queries in one run on this machine. A testnet's nodes run
in this process (real libp2p sockets, real Badger stores) with the
coordinator's HTTP API (coordinator.Serve); the registries are generated,
ingested with their encrypted statistics deltas (the HE ingest rate), and
a fixed list of queries is asked --repeat times as the testnet's service
through the coordinator. Per query it prints:

  end-to-end  client.Query through the coordinator's API: planning,
              signing, prepare and evaluate on the nodes, key switch,
              decryption and assembly (p50 and max); every answer is
              checked against the plaintext oracle
  raw HE      the same plan's homomorphic work alone, in one process
              (internal/rawquery, an in-process thhe group with the same
              parameters, statistics folded from the same records): one
              node's Evaluate + Rerandomize + key-switch shares, then the
              combination of t shares, decryption and decoding; no network,
              storage, signatures or checks
  oracle      the plaintext baseline: query.Oracle (and Assemble) over the
              same records held in memory
  bytes       what one evaluating node sends and receives for the query
              (protobuf sizes of its responses and requests, computed from
              the raw run's result ciphertexts and shares: the transport
              has no byte counter)

and the goals (GROUP BY <= 1 s end to end and <= 2x raw HE, filtered SUM
<= 5 s, HE ingest >= 50,000 records/s), met or NOT met. At the end: the
statistics ciphertext bytes stored per node (node1's s/ entries).`

// benchQuerySpec is one query of the benchmark with its goals.
type benchQuerySpec struct {
	name, text string
	maxE2E     time.Duration // goal on the end-to-end p50 (0: none)
	maxRaw     float64       // goal on end-to-end p50 / raw HE p50 (0: none)
}

var benchQueries = []benchQuerySpec{
	{"population GROUP BY", "SELECT county, COUNT(*), SUM(birth_year), AVG(birth_year) FROM population GROUP BY county", time.Second, 2},
	{"land filtered SUM", "SELECT SUM(area_m2) FROM land WHERE county = 'Tartu maakond' AND purpose = 'forest' AND area_m2 BETWEEN 1000 AND 49999", 5 * time.Second, 0},
	{"business HISTOGRAM", "SELECT HISTOGRAM(employees, 0, 10, 50, 250) FROM business WHERE status = 'active'", 0, 0},
	{"business GROUP BY", "SELECT legal_form, COUNT(*), AVG(employees) FROM business WHERE status = 'active' GROUP BY legal_form", time.Second, 2},
}

// ingestGoal is the HE ingest goal, records per second.
const ingestGoal = 50000

func benchQuery(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "bench query", "bench query [--rows N] [--land N] [--business N] [--repeat N] [--he-params production|test]", benchQueryHelp)
	rows := fs.Int("rows", 1300000, "population rows")
	land := fs.Int("land", 200000, "land rows")
	business := fs.Int("business", 150000, "business rows")
	nodes := fs.Int("nodes", 5, "nodes n")
	threshold := fs.Int("threshold", 3, "threshold t")
	repeat := fs.Int("repeat", 5, "runs of each query")
	heParams := fs.String("he-params", "production", "HE parameters: production, or test (fast, NOT SECURE)")
	workers := fs.Int("workers", 2, "ingest batches in flight")
	batch := fs.Int("batch", client.DefaultBatchSize, "records per signed batch (each carries one encrypted statistics delta)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the queries (not the ingest) to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *rows < 1 || *land < 1 || *business < 1 {
		return usageErr("--rows, --land and --business must be at least 1")
	}
	if *repeat < 1 {
		return usageErr("--repeat must be at least 1")
	}
	if *heParams != "production" && *heParams != "test" {
		return usageErr("--he-params %q: want production or test", *heParams)
	}
	if *nodes < 1 || *threshold < 1 || *threshold > *nodes {
		return usageErr("--threshold %d with --nodes %d: want 1 <= t <= n", *threshold, *nodes)
	}
	tmp, err := os.MkdirTemp("", "embassy-bench-query-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	qb := &queryBench{e: e, dir: filepath.Join(tmp, "net"), n: *nodes, t: *threshold, heParams: *heParams, repeat: *repeat,
		sizes: map[string]int{"population": *rows, "land": *land, "business": *business},
		opts:  client.IngestOptions{Workers: *workers, BatchSize: *batch}, cpuProfile: *cpuProfile}
	return qb.run(ctx)
}

// registryOrder is the order registries are generated and ingested in.
var registryOrder = []string{"population", "land", "business"}

type queryBench struct {
	e        env
	dir      string
	n, t     int
	heParams string
	repeat   int
	sizes    map[string]int
	opts     client.IngestOptions
	// cpuProfile, if set, receives a CPU profile of the query phase.
	cpuProfile string

	csv     map[string][]byte
	records map[string][]registry.Record
	goals   []string
}

func (qb *queryBench) printf(format string, a ...any) { fmt.Fprintf(qb.e.stdout, format, a...) }

// goal records and returns "met" or "NOT met".
func (qb *queryBench) goal(what string, met bool, detail string) string {
	verdict := "met"
	if !met {
		verdict = "NOT met"
	}
	qb.goals = append(qb.goals, fmt.Sprintf("%s: %s (%s)", what, verdict, detail))
	return verdict
}

func (qb *queryBench) run(ctx context.Context) error {
	qb.printf("bench query: %d nodes, t=%d, %s HE parameters, nodes and coordinator in this process; %d CPU cores\n",
		qb.n, qb.t, qb.heParams, runtime.NumCPU())
	if err := qb.generate(); err != nil {
		return err
	}
	net, keyTime, err := startBenchNet(ctx, qb.dir, testnet.Options{Nodes: qb.n, Threshold: qb.t, HEParams: qb.heParams})
	if err != nil {
		return err
	}
	defer net.Close()
	qb.printf("federation key: %d nodes set up the threshold-HE keys in %s; coordinator API at %s\n", qb.n, dur(keyTime), net.api)
	params, pk, batches, err := qb.ingest(ctx)
	if err != nil {
		return err
	}
	if err := qb.deltaCost(params, pk, batches); err != nil {
		return err
	}
	start := time.Now()
	group, err := rawquery.NewGroup(params, qb.n, qb.t)
	if err != nil {
		return err
	}
	keys := time.Since(start)
	start = time.Now()
	states := map[string]*cube.State{}
	for _, name := range registryOrder {
		s, _ := registry.Lookup(name)
		if states[name], err = group.Fold(s, qb.records[name]); err != nil {
			return fmt.Errorf("raw HE: fold %s: %w", name, err)
		}
	}
	qb.printf("raw HE reference: an in-process %d-of-%d thhe group with the same parameters, keys in %s; each registry's records folded into one encrypted state in %s\n",
		qb.t, qb.n, dur(keys), dur(time.Since(start)))
	svc, k, err := openTestnetService(qb.dir)
	if err != nil {
		return err
	}
	defer svc.Close()
	if qb.cpuProfile != "" {
		f, err := os.Create(qb.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for i, spec := range benchQueries {
		if err := qb.query(ctx, i, spec, svc, k, net.api, group, states); err != nil {
			return fmt.Errorf("%s: %w", spec.name, err)
		}
	}
	pprof.StopCPUProfile()
	svc.Close()
	net.Close()
	if err := qb.statsStored(); err != nil {
		return err
	}
	qb.printf("goals:\n")
	for _, g := range qb.goals {
		qb.printf("  %s\n", g)
	}
	qb.printf("notes: the %d evaluating nodes share this machine's %d cores (each would have its own machine), so end-to-end includes %d evaluations competing for them; raw HE counts one node's work, as if the nodes ran in parallel. End-to-end also includes, per query, the service's HE key derivation, and sending the service's HE public key to each evaluating node (the network's parameters are asked once per client).\n",
		qb.t, runtime.NumCPU(), qb.t)
	return nil
}

// generate makes the CSV of every registry and reads it back as records
// (the last row of a repeated key wins, as in ingest).
func (qb *queryBench) generate() error {
	start := time.Now()
	qb.csv, qb.records = map[string][]byte{}, map[string][]registry.Record{}
	var parts []string
	for _, name := range registryOrder {
		schema, err := registry.Lookup(name)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := registry.Generate(&buf, registry.FormatCSV, name, qb.sizes[name], 7); err != nil {
			return err
		}
		byKey, err := readAll(buf.Bytes(), schema)
		if err != nil {
			return err
		}
		qb.csv[name], qb.records[name] = buf.Bytes(), slices.Collect(maps.Values(byKey))
		parts = append(parts, fmt.Sprintf("%d %s", len(qb.records[name]), name))
	}
	qb.printf("generated %s records (held in memory for the oracle) in %s\n", strings.Join(parts, ", "), dur(time.Since(start)))
	return nil
}

// ingest stores every registry through the custodian's client and reports
// the HE ingest rate. It returns the federation key and the batch counts.
func (qb *queryBench) ingest(ctx context.Context) (thhe.Params, *rlwe.PublicKey, map[string]int, error) {
	cfg, err := client.LoadConfig(filepath.Join(qb.dir, testnet.ClientFile))
	if err != nil {
		return thhe.Params{}, nil, nil, err
	}
	c, err := client.Open(cfg)
	if err != nil {
		return thhe.Params{}, nil, nil, err
	}
	defer c.Close()
	batchSize := qb.opts.BatchSize
	if batchSize <= 0 {
		batchSize = client.DefaultBatchSize
	}
	var total int
	var elapsed time.Duration
	batches := map[string]int{}
	for _, name := range registryOrder {
		schema, _ := registry.Lookup(name)
		rd, err := registry.NewReader(bytes.NewReader(qb.csv[name]), registry.FormatCSV, schema)
		if err != nil {
			return thhe.Params{}, nil, nil, err
		}
		p, err := c.Ingest(ctx, schema, rd, qb.opts)
		if err != nil {
			return thhe.Params{}, nil, nil, fmt.Errorf("ingest %s: %w", name, err)
		}
		if p.Stored != len(qb.records[name]) {
			return thhe.Params{}, nil, nil, fmt.Errorf("ingest %s: stored %d of %d records (%+v)", name, p.Stored, len(qb.records[name]), p)
		}
		batches[name] = (p.Read + batchSize - 1) / batchSize
		total += p.Stored
		elapsed += p.Elapsed
		qb.printf("ingest %s: %d records in %s: %.0f records/s (%s of up to %d records, each with its encrypted statistics delta)\n",
			name, p.Stored, dur(p.Elapsed), float64(p.Stored)/p.Elapsed.Seconds(), plural(batches[name], "batch"), batchSize)
	}
	rate := float64(total) / elapsed.Seconds()
	verdict := qb.goal(fmt.Sprintf("HE ingest >= %d records/s", ingestGoal), rate >= ingestGoal, fmt.Sprintf("%.0f records/s", rate))
	qb.printf("HE ingest: %d records in %s: %.0f records/s (goal >= %d records/s: %s)\n", total, dur(elapsed), rate, ingestGoal, verdict)
	params, pk, err := c.FederationKey(ctx)
	if err != nil {
		return thhe.Params{}, nil, nil, err
	}
	return params, pk, batches, nil
}

// deltaCost times the encryption of one batch's statistics delta under
// the federation key, the custodian's HE work per batch.
func (qb *queryBench) deltaCost(params thhe.Params, pk *rlwe.PublicKey, batches map[string]int) error {
	batchSize := qb.opts.BatchSize
	if batchSize <= 0 {
		batchSize = client.DefaultBatchSize
	}
	var parts []string
	var total time.Duration
	for _, name := range registryOrder {
		s, _ := registry.Lookup(name)
		acc, err := cube.NewAccumulator(s, params.Slots())
		if err != nil {
			return err
		}
		recs := qb.records[name]
		for _, r := range recs[:min(batchSize, len(recs))] {
			if err := acc.Add(r, 1); err != nil {
				return err
			}
		}
		var best time.Duration
		var size int
		for range 3 {
			start := time.Now()
			d, err := acc.Encrypt(params, pk)
			if err != nil {
				return err
			}
			took := time.Since(start)
			if best == 0 || took < best {
				best = took
			}
			enc, _ := d.MarshalBinary()
			size = len(enc)
		}
		total += best * time.Duration(batches[name])
		parts = append(parts, fmt.Sprintf("%s %s in %s", name, bytesOf(int64(size)), dur(best)))
	}
	qb.printf("statistics delta per batch, encrypted by the custodian: %s; over this ingest's batches %s of custodian CPU\n",
		strings.Join(parts, ", "), dur(total))
	return nil
}

// query runs one benchmark query --repeat times end to end, in raw HE and
// in the oracle, and prints its figures.
func (qb *queryBench) query(ctx context.Context, i int, spec benchQuerySpec, svc *client.Client, k int, api string,
	group *rawquery.Group, states map[string]*cube.State) error {
	plan, err := query.Compile(spec.text, registry.Builtin())
	if err != nil {
		return err
	}
	s, err := registry.Lookup(plan.Registry)
	if err != nil {
		return err
	}
	recs := qb.records[plan.Registry]
	var e2e, raw, oracle []time.Duration
	var runs []*rawquery.Run
	var last *client.QueryResult
	for range qb.repeat {
		start := time.Now()
		want, err := plainAnswer(spec.text, recs, k)
		if err != nil {
			return fmt.Errorf("oracle: %w", err)
		}
		oracle = append(oracle, time.Since(start))

		start = time.Now()
		got, err := svc.Query(ctx, spec.text, client.QueryOptions{CoordinatorURL: api})
		if err != nil {
			return err
		}
		e2e = append(e2e, time.Since(start))
		if same, err := sameAnswer(got.Result, want); err != nil || !same {
			return fmt.Errorf("the encrypted answer differs from the plaintext oracle (%v)", err)
		}
		last = got

		run, err := group.Run(states[plan.Registry], plan)
		if err != nil {
			return fmt.Errorf("raw HE: %w", err)
		}
		res, err := query.Assemble(plan, s, run.Cells, k)
		if err != nil {
			return fmt.Errorf("raw HE: %w", err)
		}
		if same, err := sameAnswer(res, want); err != nil || !same {
			return fmt.Errorf("the raw HE answer differs from the plaintext oracle (%v)", err)
		}
		raw = append(raw, run.Total())
		runs = append(runs, run)
	}
	mid := runs[medianIndex(raw)]
	e50, emax, r50, o50 := median(e2e), slices.Max(e2e), median(raw), median(oracle)
	qb.printf("query %d/%d, %s: %s\n", i+1, len(benchQueries), spec.name, spec.text)
	qb.printf("  end-to-end: p50 %s, max %s over %d runs (client.Query through the coordinator's HTTP API; every answer = the plaintext oracle)\n",
		dur(e50), dur(emax), qb.repeat)
	allNodes := time.Duration(qb.t)*mid.Node() + mid.Combine
	qb.printf("  raw HE:     p50 %s = one node's evaluate %s + rerandomize %s + key-switch shares %s, then combine %s (%s); all %d nodes' HE work in one process: %s\n",
		dur(r50), dur(mid.Evaluate), dur(mid.Rerandomize), dur(mid.Share), dur(mid.Combine), plural(len(mid.Ciphertexts), "result ciphertext"), qb.t, dur(allNodes))
	qb.printf("  oracle:     p50 %s (query.Oracle over %d %s records in memory)\n", dur(o50), len(recs), plan.Registry)
	rawRatio, oracleRatio := e50.Seconds()/r50.Seconds(), e50.Seconds()/o50.Seconds()
	qb.printf("  ratios:     end-to-end/raw HE %.1fx, end-to-end/oracle %.1fx (end-to-end/all %d nodes' HE work %.1fx)\n",
		rawRatio, oracleRatio, qb.t, e50.Seconds()/allNodes.Seconds())
	if err := qb.queryBytes(ctx, spec.text, svc, last, mid); err != nil {
		return err
	}
	var verdicts []string
	if spec.maxE2E > 0 {
		v := qb.goal(fmt.Sprintf("%s end-to-end <= %s", spec.name, spec.maxE2E), e50 <= spec.maxE2E, "p50 "+dur(e50))
		verdicts = append(verdicts, fmt.Sprintf("end-to-end <= %s: %s", spec.maxE2E, v))
	}
	if spec.maxRaw > 0 {
		v := qb.goal(fmt.Sprintf("%s end-to-end <= %gx raw HE", spec.name, spec.maxRaw), rawRatio <= spec.maxRaw, fmt.Sprintf("%.1fx", rawRatio))
		verdicts = append(verdicts, fmt.Sprintf("<= %gx raw HE: %s", spec.maxRaw, v))
	}
	if len(verdicts) == 0 {
		verdicts = append(verdicts, "none stated")
	}
	qb.printf("  goals:      %s\n", strings.Join(verdicts, "; "))
	return nil
}

// queryBytes prints what one evaluating node sends and receives for a
// query: the protobuf sizes of its prepare and evaluate responses (result
// ciphertexts and key-switch shares from the raw run, whose ciphertexts
// have the answer's sizes) and of the requests carrying the signed query.
func (qb *queryBench) queryBytes(ctx context.Context, text string, svc *client.Client, ans *client.QueryResult, run *rawquery.Run) error {
	if len(ans.Answer.Ciphertexts) != len(run.Ciphertexts) {
		return fmt.Errorf("the answer has %d ciphertexts, the raw run %d", len(ans.Answer.Ciphertexts), len(run.Ciphertexts))
	}
	for j := range run.Ciphertexts {
		if len(ans.Answer.Ciphertexts[j]) != len(run.Ciphertexts[j]) {
			return fmt.Errorf("answer ciphertext %d has %d bytes, the raw run's %d", j, len(ans.Answer.Ciphertexts[j]), len(run.Ciphertexts[j]))
		}
	}
	sq, err := svc.SignQuery(ctx, text, 0)
	if err != nil {
		return err
	}
	digest := make([]byte, 32)
	set := make([]uint32, qb.t)
	for i := range set {
		set[i] = uint32(i + 1)
	}
	batches := ans.Answer.StateBatches
	sent := proto.Size(&pb.QueryResponse{StateDigest: digest, StateBatches: batches}) +
		proto.Size(&pb.QueryResponse{StateDigest: digest, StateBatches: batches, Ciphertexts: run.Ciphertexts, Shares: run.Shares})
	// Prepare carries the signed query without the target key (as the
	// coordinator sends it); evaluate carries the key too.
	light := &pb.SignedQuery{Query: sq.Query, Signature: sq.Signature}
	received := proto.Size(&pb.QueryRequest{Phase: pb.QueryRequest_PHASE_PREPARE, Query: light, Attempt: 1}) +
		proto.Size(&pb.QueryRequest{Phase: pb.QueryRequest_PHASE_EVALUATE, Query: sq, Attempt: 1, ActiveSet: set, StateDigest: digest})
	var ctBytes, shareBytes int
	for j := range run.Ciphertexts {
		ctBytes += len(run.Ciphertexts[j])
		shareBytes += len(run.Shares[j])
	}
	qb.printf("  bytes:      each evaluating node sends %s (%s %s + key-switch shares %s, with the prepare response) and receives %s (the signed query in prepare, with the service's HE key in evaluate); computed from message sizes, no transport counter\n",
		bytesOf(int64(sent)), plural(len(run.Ciphertexts), "result ciphertext"), bytesOf(int64(ctBytes)), bytesOf(int64(shareBytes)), bytesOf(int64(received)))
	return nil
}

// statsStored prints the statistics ciphertext bytes node1 stores (its
// s/ entries) and its whole data directory. The nodes must be stopped.
func (qb *queryBench) statsStored() error {
	dataDir := filepath.Join(testnet.NodeDir(qb.dir, 1), "data")
	st, err := store.OpenReadOnly(filepath.Join(dataDir, "badger"), slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer st.Close()
	var total, count int64
	var parts []string
	for _, name := range registryOrder {
		var b, c int64
		if err := st.EachStats(name, func(_, delta []byte) error {
			b += int64(len(delta))
			c++
			return nil
		}); err != nil {
			return err
		}
		total, count = total+b, count+c
		parts = append(parts, fmt.Sprintf("%s %s in %d", name, bytesOf(b), c))
	}
	qb.printf("statistics stored per node: %s of ciphertext in %d deltas (node1's s/ entries: %s); node1's data directory %s in all\n",
		bytesOf(total), count, strings.Join(parts, ", "), bytesOf(dirSize(dataDir)))
	return nil
}

// benchNet is a testnet run in this process: its nodes (testnet.Local)
// and its coordinator's HTTP API (coordinator.Serve).
type benchNet struct {
	local  *testnet.Local
	api    string // http://host:port
	cancel context.CancelFunc
	done   chan error
}

// startBenchNet lays out a testnet in dir, starts its nodes and
// coordinator in this process and waits for the federation keys; it
// returns the key setup's duration.
func startBenchNet(ctx context.Context, dir string, o testnet.Options) (*benchNet, time.Duration, error) {
	if err := testnet.Init(dir, o); err != nil {
		return nil, 0, err
	}
	quiet := slog.New(slog.DiscardHandler)
	b := &benchNet{local: testnet.NewLocal(dir, quiet), done: make(chan error, 1)}
	start := time.Now()
	if err := b.local.StartAll(); err != nil {
		b.local.StopAll()
		return nil, 0, err
	}
	keyCtx, cancelKeys := context.WithTimeout(ctx, 5*time.Minute)
	defer cancelKeys()
	if _, err := b.local.WaitForKeys(keyCtx); err != nil {
		b.local.StopAll()
		return nil, 0, err
	}
	keys := time.Since(start)
	cfg, err := coordinator.LoadConfig(filepath.Join(dir, testnet.CoordinatorDir, testnet.CoordinatorConfig))
	if err != nil {
		b.local.StopAll()
		return nil, 0, err
	}
	cctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	ready := make(chan string, 1)
	go func() { b.done <- coordinator.Serve(cctx, cfg, quiet, func(addr string) { ready <- addr }) }()
	select {
	case addr := <-ready:
		b.api = "http://" + addr
		return b, keys, nil
	case err := <-b.done:
		b.done <- err
		b.Close()
		return nil, 0, fmt.Errorf("coordinator: %w", err)
	case <-ctx.Done():
		b.Close()
		return nil, 0, ctx.Err()
	}
}

// Close stops the coordinator and the nodes; it may be called again.
func (b *benchNet) Close() {
	if b.cancel != nil {
		b.cancel()
		b.cancel = nil
		<-b.done
	}
	b.local.StopAll()
}

// median returns the p50 of ds (the lower middle for an even count).
func median(ds []time.Duration) time.Duration { return ds[medianIndex(ds)] }

// medianIndex returns the index in ds of its p50.
func medianIndex(ds []time.Duration) int {
	idx := make([]int, len(ds))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(ds[a], ds[b]) })
	return idx[(len(ds)-1)/2]
}

// plural is "1 thing" or "n things" ("batches" after ch, sh, s or x).
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	for _, end := range []string{"ch", "sh", "s", "x"} {
		if strings.HasSuffix(thing, end) {
			return fmt.Sprintf("%d %ses", n, thing)
		}
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// dur rounds a duration for printing.
func dur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Microsecond).String()
}

// bytesOf formats a byte count.
func bytesOf(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
