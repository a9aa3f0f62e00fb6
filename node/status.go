package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"time"

	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/transport"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Status is what GET /status answers. It holds aggregate counts only:
// no pseudonym, record or client peer ID.
type Status struct {
	Name             string         `json:"name"`
	Index            int            `json:"index"`
	PeerID           string         `json:"peer_id"`
	ListenAddrs      []string       `json:"listen_addrs"`
	Network          string         `json:"network"`
	Epoch            uint64         `json:"epoch"`
	N                int            `json:"n"`
	T                int            `json:"t"`
	ConnectedNodes   []string       `json:"connected_nodes"`   // roster names of connected nodes
	ConnectedClients []string       `json:"connected_clients"` // roster names of the connected custodian and services
	ParcelsHeld      map[string]int `json:"parcels_held"`      // by target node name
	KeySetup         KeySetupStatus `json:"key_setup"`
	KeySwitchShares  uint64         `json:"keyswitch_shares"` // released, ever (the durable once-per-ciphertext record)
	Counters         Counters       `json:"counters"`         // since start
	Started          time.Time      `json:"started"`
	UptimeSeconds    float64        `json:"uptime_seconds"`
	Version          string         `json:"version"`
}

// principal is a roster member as the status page names it.
type principal struct {
	name string
	role roster.Role
}

// rosterPeers maps the peer ID of every roster member to its name and role.
func rosterPeers(r roster.Roster) (map[peer.ID]principal, error) {
	m := map[peer.ID]principal{}
	add := func(name string, key []byte, role roster.Role) error {
		id, err := transport.PeerID(key)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		m[id] = principal{name, role}
		return nil
	}
	if err := add(r.Custodian.Name, r.Custodian.SigningKey, roster.RoleCustodian); err != nil {
		return nil, err
	}
	for _, s := range r.Services {
		if err := add(s.Name, s.SigningKey, roster.RoleService); err != nil {
			return nil, err
		}
	}
	for _, c := range r.Coordinators {
		if err := add(c.Name, c.SigningKey, roster.RoleCoordinator); err != nil {
			return nil, err
		}
	}
	for _, nd := range r.Nodes {
		if err := add(nd.Name, nd.SigningKey, roster.RoleNode); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// version is the binary's module version and VCS revision, when the build
// recorded them.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	switch {
	case v == "" && rev == "":
		return "unknown"
	case rev != "":
		return v + "+" + rev + dirty
	}
	return v
}

// startStatus listens on the configured status address and serves
// /healthz, /status and /metrics until Close.
func (n *Node) startStatus() error {
	if n.cfg.StatusAddr == "" {
		return nil
	}
	peers, err := rosterPeers(n.roster)
	if err != nil {
		return err
	}
	n.peers = peers
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return err
	}
	if err := reg.Register(n.metrics); err != nil {
		return err
	}
	if err := reg.Register(newNodeCollector(n)); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", n.live(n.serveHealth))
	mux.HandleFunc("GET /status", n.live(n.serveStatus))
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError,
		ErrorLog: slog.NewLogLogger(n.log.Handler(), slog.LevelWarn)})
	mux.Handle("GET /metrics", n.live(metrics.ServeHTTP))
	l, err := net.Listen("tcp", n.cfg.StatusAddr)
	if err != nil {
		return fmt.Errorf("status_addr: %w", err)
	}
	n.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(n.log.Handler(), slog.LevelDebug),
	}
	n.httpAddr = l.Addr().String()
	n.httpDone = make(chan struct{})
	go func() {
		defer close(n.httpDone)
		if err := n.http.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("status server", "err", err)
		}
	}()
	n.log.Info("status server listening", "addr", n.httpAddr)
	return nil
}

// stopStatus shuts the status server down, waiting briefly for requests
// in flight.
func (n *Node) stopStatus() error {
	if n.http == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := n.http.Shutdown(ctx)
	if err != nil {
		err = n.http.Close()
	}
	<-n.httpDone
	n.http = nil
	return err
}

// live runs h only while the node's store and host are open; Close waits
// for it.
func (n *Node) live(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n.mu.RLock()
		defer n.mu.RUnlock()
		if n.closed {
			http.Error(w, "node is shutting down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r)
	}
}

func (n *Node) serveHealth(w http.ResponseWriter, _ *http.Request) {
	switch {
	case n.store.DB().IsClosed():
		http.Error(w, "store closed", http.StatusServiceUnavailable)
	case len(n.host.Network().ListenAddresses()) == 0:
		http.Error(w, "host not listening", http.StatusServiceUnavailable)
	default:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	}
}

func (n *Node) serveStatus(w http.ResponseWriter, _ *http.Request) {
	st, err := n.status()
	if err != nil {
		n.log.Error("status page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(st)
}

// status gathers the status page; the caller holds n.mu.
func (n *Node) status() (Status, error) {
	held, err := n.parcelsHeld()
	if err != nil {
		return Status{}, err
	}
	st := Status{
		Name: n.self.Name, Index: n.self.Index, PeerID: n.host.ID().String(),
		Network: n.roster.Network, Epoch: n.roster.Epoch, N: n.roster.N(), T: n.roster.Threshold,
		ConnectedNodes: []string{}, ConnectedClients: []string{},
		ParcelsHeld: held, Counters: n.metrics.Snapshot(),
		KeySetup: n.KeySetupStatus(), KeySwitchShares: n.KeySwitchSharesReleased(),
		Started: n.started.UTC(), UptimeSeconds: time.Since(n.started).Seconds(), Version: version(),
	}
	for _, a := range n.host.Addrs() {
		st.ListenAddrs = append(st.ListenAddrs, a.String())
	}
	for _, p := range n.connected() {
		if p.role == roster.RoleNode {
			st.ConnectedNodes = append(st.ConnectedNodes, p.name)
		} else {
			st.ConnectedClients = append(st.ConnectedClients, p.name)
		}
	}
	return st, nil
}

// connected lists the roster members this node has a connection to, by
// name, sorted.
func (n *Node) connected() []principal {
	var out []principal
	for _, id := range n.host.Network().Peers() {
		if p, ok := n.peers[id]; ok {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b principal) int {
		if a.name < b.name {
			return -1
		}
		if a.name > b.name {
			return 1
		}
		return 0
	})
	return out
}

// parcelsHeld counts held parcels by target name; every other node is
// listed, with 0 when nothing is held for it.
func (n *Node) parcelsHeld() (map[string]int, error) {
	counts, err := n.store.CountParcels()
	if err != nil {
		return nil, err
	}
	held := map[string]int{}
	for _, nd := range n.roster.Nodes {
		if nd.Index != n.self.Index {
			held[nd.Name] = 0
		}
	}
	for target, c := range counts {
		name := n.net.NodeName(int(target))
		held[name] += c
	}
	return held, nil
}

// nodeCollector exports the node's gauges, read when scraped.
type nodeCollector struct {
	n                                   *Node
	parcelsHeld, connected, info, start *prometheus.Desc
	keySwitchShares, keySetupDone       *prometheus.Desc
}

func newNodeCollector(n *Node) nodeCollector {
	return nodeCollector{n: n,
		parcelsHeld: prometheus.NewDesc("embassy_handoff_parcels_held",
			"Parcels this node holds for an absent node, by target node name.", []string{"target"}, nil),
		connected: prometheus.NewDesc("embassy_connected_peers",
			"Roster members this node is connected to, by role.", []string{"role"}, nil),
		info: prometheus.NewDesc("embassy_node_info",
			"Constant 1, labelled with the node's name, roster index, network, epoch, n, t and version.",
			[]string{"name", "index", "network", "epoch", "n", "t", "version"}, nil),
		start: prometheus.NewDesc("embassy_node_start_time_seconds",
			"When the node started, in seconds since the Unix epoch.", nil, nil),
		keySwitchShares: prometheus.NewDesc("embassy_keyswitch_shares_total",
			"Key-switch shares this node has released, ever: the entries of its durable once-per-ciphertext record (not reset by a restart).", nil, nil),
		keySetupDone: prometheus.NewDesc("embassy_key_setup_done",
			"1 once this node holds the collective public, relinearisation and every Galois key, else 0.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.parcelsHeld
	ch <- c.connected
	ch <- c.info
	ch <- c.start
	ch <- c.keySwitchShares
	ch <- c.keySetupDone
}

// Collect implements prometheus.Collector; the caller holds n.mu.
func (c nodeCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.n
	if held, err := n.parcelsHeld(); err != nil {
		ch <- prometheus.NewInvalidMetric(c.parcelsHeld, err)
	} else {
		for target, count := range held {
			ch <- prometheus.MustNewConstMetric(c.parcelsHeld, prometheus.GaugeValue, float64(count), target)
		}
	}
	roles := map[roster.Role]int{roster.RoleNode: 0, roster.RoleCustodian: 0, roster.RoleService: 0, roster.RoleCoordinator: 0}
	for _, p := range n.connected() {
		roles[p.role]++
	}
	for role, count := range roles {
		ch <- prometheus.MustNewConstMetric(c.connected, prometheus.GaugeValue, float64(count), role.String())
	}
	ch <- prometheus.MustNewConstMetric(c.info, prometheus.GaugeValue, 1, n.self.Name, strconv.Itoa(n.self.Index),
		n.roster.Network, strconv.FormatUint(n.roster.Epoch, 10), strconv.Itoa(n.roster.N()),
		strconv.Itoa(n.roster.Threshold), version())
	ch <- prometheus.MustNewConstMetric(c.start, prometheus.GaugeValue, float64(n.started.UnixNano())/1e9)
	ch <- prometheus.MustNewConstMetric(c.keySwitchShares, prometheus.CounterValue, float64(n.KeySwitchSharesReleased()))
	done := 0.0
	if _, ok := n.keys.federation(); ok {
		done = 1
	}
	ch <- prometheus.MustNewConstMetric(c.keySetupDone, prometheus.GaugeValue, done)
}
