package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/node/store"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/transport"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
)

// ErrNotOnRoster is returned when the node's own key is not in the roster.
var ErrNotOnRoster = errors.New("this node's key is not on the roster")

// Node is a running embassy node.
type Node struct {
	cfg      Config
	log      *slog.Logger
	id       *identity.Identity
	roster   roster.Roster
	digest   roster.Digest
	self     roster.Node
	store    *store.Store
	host     host.Host
	net      *transport.Network
	verifier *protocol.Verifier
	metrics  *Metrics
	started  time.Time

	// The status server (nil when status_addr is empty). Its handlers hold
	// mu for reading; Close holds it to close the store and host.
	mu       sync.RWMutex
	http     *http.Server
	httpAddr string
	httpDone chan struct{}
	peers    map[peer.ID]principal
	keys     *keySetup   // nil if the stored key belongs to another roster
	releases *releaseLog // the durable once-per-ciphertext record
	stats    *statsBook  // the folded encrypted statistics per registry
	now      func() time.Time
	closed   bool // guarded by mu
}

// Start loads the node's identity and roster, opens its store and starts
// serving. Stop it with Close.
func Start(cfg Config, log *slog.Logger) (*Node, error) {
	id, err := identity.Load(cfg.IdentityFile)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(cfg.RosterFile)
	if err != nil {
		return nil, fmt.Errorf("read roster: %w", err)
	}
	r, digest, err := roster.Open(data, cfg.CustodianPublicKey())
	if err != nil {
		return nil, fmt.Errorf("roster %s: %w", cfg.RosterFile, err)
	}
	self, ok := r.NodeBySigningKey(id.PublicKey())
	if !ok {
		return nil, ErrNotOnRoster
	}
	log = log.With("node", self.Name)
	st, err := store.OpenWith(filepath.Join(cfg.DataDir, "badger"), log, cfg.Store)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: log, id: id, roster: r, digest: digest, self: self, store: st,
		verifier: protocol.NewVerifier(r.Custodian.SigningKey, digest[:], r.N(), r.Threshold),
		metrics:  NewMetrics(), started: time.Now(), now: time.Now}
	if err := n.openKeySetup(); err != nil {
		st.Close()
		return nil, err
	}
	if err := n.openStats(); err != nil {
		st.Close()
		return nil, err
	}
	if err := n.startHost(); err != nil {
		st.Close()
		return nil, err
	}
	if err := n.startStatus(); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

func (n *Node) startHost() error {
	g, err := transport.NewGater(n.roster)
	if err != nil {
		return err
	}
	newHost := n.cfg.NewHost
	if newHost == nil {
		newHost = transport.NewHost
	}
	h, err := newHost(transport.HostConfig{Key: n.id.SigningKey(), Listen: n.cfg.Listen, Gater: g})
	if err != nil {
		return err
	}
	nw, err := transport.NewNetwork(h, g, n.roster)
	if err != nil {
		h.Close()
		return err
	}
	n.host, n.net = h, nw
	// Roles are checked before a request is read, and again in each handler.
	transport.Handle(h, g, protocol.StoreID, n.log, []roster.Role{roster.RoleCustodian},
		func() *pb.StoreRequest { return &pb.StoreRequest{} }, n.handleStore, n.refusedAs("store"))
	transport.Handle(h, g, protocol.GetID, n.log, []roster.Role{roster.RoleCustodian, roster.RoleService},
		func() *pb.GetRequest { return &pb.GetRequest{} }, n.handleGet, n.refusedAs("get"))
	transport.Handle(h, g, protocol.HandoffID, n.log, []roster.Role{roster.RoleCustodian, roster.RoleNode},
		func() *pb.HandoffRequest { return &pb.HandoffRequest{} }, n.handleHandoff, n.refusedAs("handoff"))
	transport.Handle(h, g, protocol.QueryProtoID, n.log, []roster.Role{roster.RoleService, roster.RoleCoordinator},
		func() *pb.QueryRequest { return &pb.QueryRequest{} }, n.handleQuery, n.refusedAs("query"))
	transport.Handle(h, g, protocol.FedKeyID, n.log, []roster.Role{roster.RoleCustodian, roster.RoleService, roster.RoleCoordinator},
		func() *pb.FedKeyRequest { return &pb.FedKeyRequest{} }, n.handleFedKey, n.refusedAs("fedkey"))
	transport.Handle(h, g, protocol.KeySetupID, n.log, []roster.Role{roster.RoleNode},
		func() *pb.KeySetupRequest { return &pb.KeySetupRequest{} }, n.handleKeySetup, n.refusedAs("keysetup"))
	n.log.Info("node listening", "index", n.self.Index, "peer", h.ID(), "addrs", h.Addrs(),
		"n", n.roster.N(), "t", n.roster.Threshold)
	return nil
}

// Run runs the federation key setup (until this node's part is done) and
// delivers held parcels until ctx ends, then closes the node.
func (n *Node) Run(ctx context.Context) error {
	defer n.Close()
	setupCtx, stopSetup := context.WithCancel(ctx)
	var setup sync.WaitGroup
	setup.Go(func() { n.keySetupLoop(setupCtx) })
	defer setup.Wait() // before Close: the setup writes to the store
	defer stopSetup()
	ticker := time.NewTicker(n.cfg.handoff)
	defer ticker.Stop()
	prune := time.NewTicker(time.Minute)
	defer prune.Stop()
	for {
		select {
		case <-ctx.Done():
			n.log.Info("node stopping")
			return nil
		case <-ticker.C:
			n.deliverParcels(ctx)
		case <-prune.C:
			n.pruneQueryAttempts()
			if rewritten, err := n.store.CollectGarbage(); err != nil {
				n.log.Warn("value log garbage collection", "err", err)
			} else if rewritten > 0 {
				n.log.Debug("value log garbage collected", "files", rewritten)
			}
		}
	}
}

// pruneQueryAttempts forgets evaluated query attempts once no query that
// old can be fresh: issued at most MaxClockSkew ahead and living at most
// MaxQueryLifetime, any query evaluated before now − (lifetime + skew) has
// expired, and nodes refuse expired queries before looking at the record.
// (The once-per-ciphertext release record is never pruned.)
func (n *Node) pruneQueryAttempts() {
	cutoff := n.now().Add(-(protocol.MaxQueryLifetime + protocol.MaxClockSkew))
	if pruned, err := n.store.PruneAttempts(cutoff); err != nil {
		n.log.Warn("prune query attempts", "err", err)
	} else if pruned > 0 {
		n.log.Debug("pruned query attempts", "count", pruned)
	}
}

// refusedAs counts streams of protocol that transport resets before the
// handler runs.
func (n *Node) refusedAs(protocol string) func(reason string) {
	return func(reason string) { n.metrics.Refuse(protocol, reason) }
}

// Close stops serving and closes the store. Requests that arrive from then
// on are refused; Close waits for those in flight (each is bounded by its
// protocol's deadline) before it closes the store under them.
func (n *Node) Close() error {
	errs := []error{n.stopStatus()}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return errors.Join(errs...)
	}
	n.closed = true
	n.mu.Unlock()
	errs = append(errs, n.host.Close())
	n.mu.Lock() // every request in flight holds a read lock
	defer n.mu.Unlock()
	errs = append(errs, n.store.Close())
	return errors.Join(errs...)
}

// enter admits a request while the node is open; the caller must call
// the returned release when done. Close waits for admitted requests.
func (n *Node) enter() (release func(), ok bool) {
	n.mu.RLock()
	if n.closed {
		n.mu.RUnlock()
		return nil, false
	}
	return n.mu.RUnlock, true
}

const shuttingDown = "node is shutting down"

// Index is the node's roster index.
func (n *Node) Index() int { return n.self.Index }

// Host is the node's libp2p host.
func (n *Node) Host() host.Host { return n.host }

// StatusAddr is the address the status server listens on ("" if off).
func (n *Node) StatusAddr() string { return n.httpAddr }

// Metrics are the node's counters since start.
func (n *Node) Metrics() *Metrics { return n.metrics }
