package run

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/dataembassy/embassy/node"
	"github.com/dataembassy/embassy/node/store"
	"github.com/dataembassy/embassy/sim"
	"github.com/dataembassy/embassy/sim/netsim"
	"github.com/dataembassy/embassy/sim/results"
	"github.com/dataembassy/embassy/sim/simhost"
	"github.com/dataembassy/embassy/sim/topology"
	"github.com/dataembassy/embassy/testnet"
	"github.com/dataembassy/embassy/transport"
	"github.com/libp2p/go-libp2p/core/host"
)

// Options tune a run.
type Options struct {
	// Dir is a scratch directory for the nodes' keys and stores; it must
	// exist. Nothing in it is an output.
	Dir string
	// Costs is the CPU cost model; the zero value means DefaultCosts.
	Costs *CostModel
	// Progress receives a few lines about the run in wall-clock terms;
	// nil discards them.
	Progress *slog.Logger
	// Preload is how many records of each registry the workload uses are
	// stored before the scenario's clock starts, so that look-ups and
	// queries have something to read from the first instant (default 200).
	Preload int
	// SampleEvery is the availability sampling interval (default: the
	// duration / 240, at least one second).
	SampleEvery time.Duration
	// KeySetupLimit bounds the federation key setup in virtual time
	// (default 10 minutes).
	KeySetupLimit time.Duration
	// reseed restarts crypto randomness each time the network has
	// settled (set by InBubble).
	reseed func(time.Time, int)
	// Wall, if set, tells the wall-clock time elapsed since the run began
	// (inside the bubble time.Now is virtual), for progress lines.
	Wall func() time.Duration
}

// Timeouts of one operation, in virtual time.
const (
	LookupTimeout = 30 * time.Second
	IngestTimeout = 60 * time.Second
	QueryTimeout  = 60 * time.Second
)

// ErrKeySetup is returned when the federation key setup does not finish
// within the limit (before the scenario's clock starts).
var ErrKeySetup = errors.New("federation key setup did not finish")

// InBubble runs s with t the bubble's (synctest.Test's) T, so that it
// repeats from the seed:
//   - In a test binary it seeds the bubble's crypto randomness from the
//     scenario's seed, and restarts it from (seed, instant) each time the
//     simulated network has settled (see reseeder). testing/cryptotest
//     refuses to seed in an ordinary program (testing.Testing() is false
//     there), where crypto randomness stays real.
//   - It sets GOMAXPROCS to 1 for the run (restored afterwards; the
//     setting is process-wide): goroutines woken at one virtual instant
//     then run one after another, not side by side, so that what one
//     host does at an instant (how QUIC packs frames into packets) does
//     not depend on two threads racing.
//
// In a test binary the same seed then gives byte-identical outputs
// (docs/sim.md, "Determinism"). Identities, workload, churn and network
// draws repeat from the seed either way.
func InBubble(ctx context.Context, t *testing.T, s *sim.Scenario, opts Options) (results.Run, error) {
	if testing.Testing() {
		cryptotest.SetGlobalRandom(t, s.Seed)
		opts.reseed = reseeder(s.Seed)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	return Run(ctx, s, opts)
}

// Run runs scenario s. It must be called inside a synctest bubble. The
// scenario's clock starts once every node holds the federation key and
// the preload is stored; the results' times count from then.
func Run(ctx context.Context, s *sim.Scenario, opts Options) (results.Run, error) {
	r, err := newRunner(s, opts)
	if err != nil {
		return results.Run{}, err
	}
	defer r.close()
	return r.run(ctx)
}

// runner is one scenario's run.
type runner struct {
	s        *sim.Scenario
	opts     Options
	costs    CostModel
	top      *topology.Topology
	sites    []topology.Site
	actions  []sim.Action
	lay      *layout
	net      *netsim.Network
	gate     *openGate // orders the hosts' stream operations (see isolatedHost)
	quiet    *slog.Logger
	progress *slog.Logger

	nodes   []*nodeProc
	clients map[string]*simClient
	data    *dataset

	t0 time.Time // the scenario's start, in virtual time

	mu   sync.Mutex // guards what follows; never held while waiting
	log  eventLog
	done []opDone // finished operations, for the samples
}

func newRunner(s *sim.Scenario, opts Options) (*runner, error) {
	if opts.Dir == "" {
		return nil, errors.New("run: no scratch directory")
	}
	costs := DefaultCosts()
	if opts.Costs != nil {
		costs = *opts.Costs
	}
	if opts.Preload == 0 {
		opts.Preload = 200
	}
	if opts.SampleEvery <= 0 {
		opts.SampleEvery = max(time.Second, (s.Duration / 240).Round(time.Second))
	}
	if opts.KeySetupLimit <= 0 {
		opts.KeySetupLimit = 10 * time.Minute
	}
	progress := opts.Progress
	if progress == nil {
		progress = slog.New(slog.DiscardHandler)
	}
	r := &runner{s: s, opts: opts, costs: costs, quiet: slog.New(slog.DiscardHandler), progress: progress,
		clients: map[string]*simClient{}, gate: &openGate{}}
	if err := r.rejectUnsupported(); err != nil {
		return nil, err
	}
	var err error
	if r.top, err = s.BuildTopology(); err != nil {
		return nil, err
	}
	r.sites = r.top.Sites()
	if r.actions, err = s.Expand(); err != nil {
		return nil, err
	}
	if r.lay, err = newLayout(opts.Dir, s, r.sites); err != nil {
		return nil, err
	}
	if r.data, err = newDataset(s, opts.Preload); err != nil {
		return nil, err
	}
	r.net, err = netsim.New(netsim.Config{Seed: s.Seed, Sites: len(r.sites), Log: r.quiet,
		Link:    func(a, b int) netsim.Link { return r.link(a, b) },
		Settled: opts.reseed, Subflow: simhost.ConnID})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// rejectUnsupported refuses what the simulator cannot run yet.
func (r *runner) rejectUnsupported() error {
	for _, e := range r.s.Timeline {
		switch e.Kind {
		case sim.KindAllyLeaves, sim.KindAllyJoins:
			return fmt.Errorf("line %d: %s needs resharing, which Embassy does not have yet", e.Pos.Line, e.Kind)
		}
	}
	return nil
}

// link is the netsim figure of the topology's link between sites a and b.
func (r *runner) link(a, b int) netsim.Link {
	l, err := r.top.Link(r.sites[a].ID, r.sites[b].ID)
	if err != nil {
		panic(fmt.Sprintf("topology has no link %s-%s: %v", r.sites[a].ID, r.sites[b].ID, err))
	}
	return netsim.Link{RTT: l.RTT, Jitter: l.Jitter, Bandwidth: l.Bandwidth, Loss: l.Loss}
}

func (r *runner) siteIndex(id string) int {
	return slices.IndexFunc(r.sites, func(s topology.Site) bool { return s.ID == id })
}

// packets opens simulated packet connections for simhost.
func (r *runner) packets(a *net.UDPAddr) (net.PacketConn, error) { return r.net.Listen(a) }

func (r *runner) close() {
	for _, c := range r.clients {
		_ = c.c.Close()
	}
	for _, n := range r.nodes {
		n.stop()
	}
	_ = r.net.Close()
}

func (r *runner) run(ctx context.Context) (results.Run, error) {
	if err := r.startNodes(ctx); err != nil {
		return results.Run{}, err
	}
	began := time.Now()
	if err := r.waitForKeys(ctx); err != nil {
		return results.Run{}, err
	}
	r.progress.Info("federation key set up", "virtual", time.Since(began).Round(time.Millisecond))
	if err := r.startClients(); err != nil {
		return results.Run{}, err
	}
	if err := r.preload(ctx); err != nil {
		return results.Run{}, err
	}
	// The scenario starts now: what came before (key setup, preload) is
	// not part of its figures.
	r.net.ResetTraffic()
	r.t0 = time.Now()
	r.record(event{rank: rankStart, ev: results.Event{Type: results.EventStart, Detail: r.startDetail()}})

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { r.applyActions(runCtx) })
	wg.Go(func() { r.reportProgress(runCtx) })
	ops := r.driveWorkload(runCtx)
	// The schedule is over at the scenario's end; operations still in
	// flight finish (within their timeouts) and are recorded.
	ops.Wait()
	cancel()
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return results.Run{}, fmt.Errorf("run stopped at %v of virtual time: %w", r.since().Round(time.Millisecond), err)
	}
	r.record(event{rank: rankEnd, at: max(r.s.Duration, r.since()), ev: results.Event{Type: results.EventEnd}})
	return r.results(), nil
}

func (r *runner) since() time.Duration { return time.Since(r.t0) }

// reportProgress logs the virtual time reached ten times over the run.
func (r *runner) reportProgress(ctx context.Context) {
	for k := 1; k < 10; k++ {
		if !r.sleepUntil(ctx, r.s.Duration*time.Duration(k)/10) {
			return
		}
		args := []any{"virtual", r.since().Round(time.Second)}
		if r.opts.Wall != nil {
			args = append(args, "wall", r.opts.Wall().Round(time.Millisecond))
		}
		r.mu.Lock()
		args = append(args, "events", len(r.log))
		r.mu.Unlock()
		r.progress.Info("running", args...)
	}
}

func (r *runner) startDetail() string {
	return fmt.Sprintf("%d nodes, threshold %d, %d sites, seed %d", len(r.lay.nodes), r.s.Nodes.Threshold,
		len(r.sites), r.s.Seed)
}

// waitForKeys waits until every node holds the federation key.
func (r *runner) waitForKeys(ctx context.Context) error {
	deadline := time.Now().Add(r.opts.KeySetupLimit)
	for {
		done := 0
		for _, n := range r.nodes {
			if n.hasKeys() {
				done++
			}
		}
		if done == len(r.nodes) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %d of %d nodes hold it after %v of virtual time", ErrKeySetup, done,
				len(r.nodes), r.opts.KeySetupLimit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// nodeProc is one node: its configuration and, while up, the running
// node.
type nodeProc struct {
	placedNode
	cfg    node.Config
	ctx    context.Context
	cur    *node.Node
	cancel context.CancelFunc
	done   chan struct{}
	cpu    cpu
	faults *byzantine
}

func (r *runner) startNodes(ctx context.Context) error {
	for _, pn := range r.lay.nodes {
		faults, err := newByzantine(r.s.Seed, pn.Index)
		if err != nil {
			return err
		}
		n := &nodeProc{placedNode: pn, ctx: ctx, cpu: newCPU(r.costs.Cores), faults: faults}
		n.cfg = node.Config{Name: pn.Name, IdentityFile: filepath.Join(pn.dir, testnet.NodeKey),
			DataDir: filepath.Join(pn.dir, "data"), Listen: []string{quicAddr(pn.addr)},
			RosterFile: r.lay.rosterFile(), CustodianKey: r.lay.custodianKey(), HEParams: "test",
			LogLevel: "warn", NewHost: r.hostFactory(n.cpu), Store: storeOptions(), Faults: faults}
		if err := n.cfg.Check(); err != nil {
			return fmt.Errorf("%s: %w", pn.Name, err)
		}
		r.nodes = append(r.nodes, n)
		isolate()
		if err := n.start(r.nodeLog(pn)); err != nil {
			return err
		}
	}
	return nil
}

// nodeLog is where a node's warnings go: a file in its scratch directory
// (never an output; a node logs no record values).
func (r *runner) nodeLog(pn placedNode) *slog.Logger {
	f, err := os.OpenFile(filepath.Join(pn.dir, "node.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return r.quiet
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// hostFactory builds a node's host over the simulated network with the
// cost model charged on its handlers.
func (r *runner) hostFactory(c cpu) transport.HostFactory {
	return func(cfg transport.HostConfig) (host.Host, error) {
		h, err := simhost.New(cfg, r.packets)
		if err != nil {
			return nil, err
		}
		return newCostHost(newIsolatedHost(h, r.gate), r.costs.Node, c), nil
	}
}

func (n *nodeProc) start(log *slog.Logger) error {
	nd, err := node.Start(n.cfg, log)
	if err != nil {
		return fmt.Errorf("start %s: %w", n.Name, err)
	}
	ctx, cancel := context.WithCancel(n.ctx)
	n.cur, n.cancel, n.done = nd, cancel, make(chan struct{})
	go func() {
		defer close(n.done)
		_ = nd.Run(ctx)
	}()
	return nil
}

// stop kills the node (its Run returns and closes host and store) and
// waits until it is gone.
func (n *nodeProc) stop() {
	if n.cur == nil {
		return
	}
	n.cancel()
	<-n.done
	n.cur = nil
}

func (n *nodeProc) hasKeys() bool {
	if n.cur == nil {
		return false
	}
	_, ok := n.cur.FederationKeysDigest()
	return ok
}

// isolate lets a little virtual time pass (a microsecond), so that what
// the runner does next (start a node or a client, apply an action)
// happens at an instant of its own: the goroutines that ran at the
// instant it was woken at, and those it started just before, have
// settled by then, and the hosts' own nanosecond steps (see
// isolatedHost) are over. Two things done at one instant run in the
// order the scheduler picks, and they draw crypto randomness (a new
// host's TLS certificate, a node's key shares) from one stream in that
// order.
func isolate() { time.Sleep(time.Microsecond) }

func storeOptions() store.Options { return store.Options{Small: true} }
