package transport_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	yamux "github.com/libp2p/go-yamux/v5"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/transport"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	libp2pprotocol "github.com/libp2p/go-libp2p/core/protocol"
)

// world is a roster of a custodian, one service and two nodes, plus an
// outsider whose key is on no roster.
type world struct {
	custodian, service, node1, node2, outsider *identity.Identity
	roster                                     roster.Roster
	gater                                      *transport.Gater
}

func newWorld(t *testing.T) *world {
	t.Helper()
	gen := func() *identity.Identity {
		id, err := identity.Generate()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	w := &world{custodian: gen(), service: gen(), node1: gen(), node2: gen(), outsider: gen()}
	principal := func(name string, id *identity.Identity) roster.Principal {
		return roster.Principal{Name: name, SigningKey: id.PublicKey(), SealKey: id.SealPublicKey()}
	}
	node := func(k int, id *identity.Identity) roster.Node {
		return roster.Node{Index: k, Name: fmt.Sprintf("node%d", k), SigningKey: id.PublicKey(), SealKey: id.SealPublicKey(),
			Addrs: []string{"/ip4/127.0.0.1/tcp/1"}}
	}
	w.roster = roster.Roster{Network: "test", Epoch: 1, Threshold: 1,
		Custodian: principal("custodian", w.custodian),
		Services: []roster.Principal{func() roster.Principal {
			p := principal("statistics", w.service)
			p.Policy = &roster.Policy{MinGroupSize: 1, Registries: []roster.Grant{{Registry: "population", Fields: []string{roster.AllFields}}}}
			return p
		}()},
		Nodes: []roster.Node{node(1, w.node1), node(2, w.node2)}}
	if err := w.roster.Validate(); err != nil {
		t.Fatal(err)
	}
	g, err := transport.NewGater(w.roster)
	if err != nil {
		t.Fatal(err)
	}
	w.gater = g
	return w
}

// host starts a host for id with the world's gater; listen says whether it
// accepts connections (on 127.0.0.1 TCP).
func (w *world) host(t *testing.T, id *identity.Identity, listen bool) host.Host {
	t.Helper()
	cfg := transport.HostConfig{Key: id.SigningKey(), Gater: w.gater, TCPOnly: true}
	if listen {
		cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	}
	h, err := transport.NewHost(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func addrInfo(h host.Host) peer.AddrInfo { return peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()} }

// serveGet registers a Get handler on h that answers one empty item per
// pseudonym and records the callers' roles.
func serveGet(w *world, h host.Host) *callers {
	c := &callers{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	everyone := []roster.Role{roster.RoleCustodian, roster.RoleService, roster.RoleNode}
	transport.Handle(h, w.gater, protocol.GetID, log, everyone, func() *pb.GetRequest { return &pb.GetRequest{} },
		func(_ context.Context, caller transport.Caller, req *pb.GetRequest) *pb.GetResponse {
			c.add(caller.Role)
			return &pb.GetResponse{Items: make([]*pb.GetItem, len(req.Pseudonyms)), Error: "served " + req.Registry}
		})
	return c
}

type callers struct {
	mu    sync.Mutex
	roles []roster.Role
}

func (c *callers) add(r roster.Role) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.roles = append(c.roles, r)
}

func (c *callers) list() []roster.Role {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]roster.Role(nil), c.roles...)
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func exchangeGet(ctx context.Context, from host.Host, to peer.ID) (*pb.GetResponse, error) {
	resp := &pb.GetResponse{}
	err := transport.Exchange(ctx, from, to, protocol.GetID,
		&pb.GetRequest{Registry: "land", Pseudonyms: [][]byte{make([]byte, 32), make([]byte, 32)}}, resp)
	return resp, err
}

func TestGaterRoles(t *testing.T) {
	w := newWorld(t)
	for _, c := range []struct {
		id   *identity.Identity
		want roster.Role
	}{{w.custodian, roster.RoleCustodian}, {w.service, roster.RoleService}, {w.node1, roster.RoleNode},
		{w.node2, roster.RoleNode}, {w.outsider, roster.RoleNone}} {
		p, err := transport.PeerID(c.id.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		if got := w.gater.Role(p); got != c.want {
			t.Errorf("Role(%s) = %v, want %v", p, got, c.want)
		}
		if c.want != roster.RoleNone && string(w.gater.Key(p)) != string(c.id.PublicKey()) {
			t.Errorf("Key(%s) is not the roster key", p)
		}
		if got := w.gater.InterceptPeerDial(p); got != (c.want != roster.RoleNone) {
			t.Errorf("InterceptPeerDial(%v) = %v", c.want, got)
		}
	}
}

func TestGaterRefusesUnlistedPeer(t *testing.T) {
	w := newWorld(t)
	ctx := testContext(t)
	node := w.host(t, w.node1, true)
	got := serveGet(w, node)
	outsider := w.host(t, w.outsider, false)

	// The refusal comes after the Noise handshake, so Connect itself may
	// succeed from the outsider's side; no stream may open.
	_ = outsider.Connect(ctx, addrInfo(node))
	if s, err := outsider.NewStream(ctx, node.ID(), libp2pprotocol.ID(protocol.GetID)); err == nil {
		s.Reset()
		t.Fatal("an unlisted peer opened a stream to a node")
	}
	if _, err := exchangeGet(ctx, outsider, node.ID()); err == nil {
		t.Fatal("an unlisted peer completed an exchange with a node")
	}
	if roles := got.list(); len(roles) != 0 {
		t.Fatalf("the handler ran for an unlisted peer: %v", roles)
	}

	// Listed peers are served, with their roles.
	for _, id := range []*identity.Identity{w.custodian, w.service, w.node2} {
		h := w.host(t, id, false)
		h.Peerstore().AddAddrs(node.ID(), node.Addrs(), time.Hour)
		resp, err := exchangeGet(ctx, h, node.ID())
		if err != nil {
			t.Fatalf("listed peer: %v", err)
		}
		if len(resp.Items) != 2 || resp.Error != "served land" {
			t.Fatalf("listed peer got %v", resp)
		}
	}
	if roles := fmt.Sprint(got.list()); roles != fmt.Sprint([]roster.Role{roster.RoleCustodian, roster.RoleService, roster.RoleNode}) {
		t.Fatalf("handler saw callers %s", roles)
	}
}

// TestGaterRefusesToDialUnlisted: a host does not even dial a peer that is
// not on its roster.
func TestGaterRefusesToDialUnlisted(t *testing.T) {
	w := newWorld(t)
	ctx := testContext(t)
	stranger := w.host(t, w.outsider, true)
	custodian := w.host(t, w.custodian, false)
	if err := custodian.Connect(ctx, addrInfo(stranger)); err == nil {
		t.Fatal("a host connected to a peer that is not on its roster")
	}
}

// rawRequest opens a Get stream, writes raw bytes, closes its side and
// returns the response bytes or the error from reading them.
func rawRequest(ctx context.Context, h host.Host, to peer.ID, raw []byte) ([]byte, error) {
	return rawRequestOn(ctx, h, to, protocol.GetID, raw)
}

// rawRequestOn is rawRequest on any protocol.
func rawRequestOn(ctx context.Context, h host.Host, to peer.ID, id protocol.ID, raw []byte) ([]byte, error) {
	s, err := h.NewStream(ctx, to, libp2pprotocol.ID(id))
	if err != nil {
		return nil, fmt.Errorf("open stream: %w", err)
	}
	defer s.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = s.SetDeadline(dl)
	}
	if _, err := s.Write(raw); err != nil {
		return nil, err
	}
	if err := s.CloseWrite(); err != nil {
		return nil, err
	}
	return io.ReadAll(s)
}

func TestHandleResetsBadStreamsAndKeepsServing(t *testing.T) {
	w := newWorld(t)
	ctx := testContext(t)
	node := w.host(t, w.node1, true)
	got := serveGet(w, node)
	client := w.host(t, w.custodian, false)
	client.Peerstore().AddAddrs(node.ID(), node.Addrs(), time.Hour)

	limit := protocol.LimitsFor(protocol.GetID).MaxRequest
	cases := []struct {
		name string
		raw  []byte
	}{
		{"oversized", binary.AppendUvarint(nil, uint64(limit)+1)},
		{"oversized with body", append(binary.AppendUvarint(nil, uint64(limit)+1), make([]byte, 4096)...)},
		{"huge length", binary.AppendUvarint(nil, 1<<62)},
		{"malformed", append(binary.AppendUvarint(nil, 2), 0x0a, 0x05)},
		{"bad wire type", append(binary.AppendUvarint(nil, 1), 0x0f)},
		{"truncated body", append(binary.AppendUvarint(nil, 100), 0x0a, 0x04, 'l', 'a')},
		{"cut length", []byte{0x80}},
		{"nothing", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := rawRequest(ctx, client, node.ID(), c.raw)
			// The reset may surface on the write (yamux's own error) or on
			// the read (libp2p's), depending on when it arrives.
			if !errors.Is(err, network.ErrReset) && !errors.Is(err, yamux.ErrStreamReset) {
				t.Errorf("bad request: read gave (%q, %v), want the stream reset", resp, err)
			}
			// The node never answers a bad request with a message.
			m := &pb.GetResponse{}
			if rerr := protocol.ReadMsg(bufio.NewReader(strings.NewReader(string(resp))), m, 1<<20); rerr == nil {
				t.Fatalf("the node answered a bad request: %v", m)
			}
			// The host and the handler still serve the next stream.
			r, err := exchangeGet(ctx, client, node.ID())
			if err != nil || len(r.Items) != 2 {
				t.Fatalf("after a %s request the node no longer serves: %v (%v)", c.name, r, err)
			}
		})
	}
	if n := len(got.list()); n != len(cases) {
		t.Fatalf("handler ran %d times, want %d (only for the good requests)", n, len(cases))
	}
}

// TestExchangeRefusesOversizedResponse: the caller bounds responses too.
func TestExchangeRefusesOversizedResponse(t *testing.T) {
	w := newWorld(t)
	ctx := testContext(t)
	node := w.host(t, w.node1, true)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	big := strings.Repeat("x", protocol.LimitsFor(protocol.StoreID).MaxResponse+1)
	transport.Handle(node, w.gater, protocol.StoreID, log, []roster.Role{roster.RoleCustodian},
		func() *pb.StoreRequest { return &pb.StoreRequest{} },
		func(context.Context, transport.Caller, *pb.StoreRequest) *pb.StoreResponse {
			return &pb.StoreResponse{Error: big}
		})
	client := w.host(t, w.custodian, false)
	client.Peerstore().AddAddrs(node.ID(), node.Addrs(), time.Hour)
	err := transport.Exchange(ctx, client, node.ID(), protocol.StoreID, &pb.StoreRequest{Registry: "land"}, &pb.StoreResponse{})
	if !errors.Is(err, protocol.ErrMessageTooLarge) {
		t.Fatalf("oversized response: %v, want ErrMessageTooLarge", err)
	}
}

// TestRoleRefusedBeforeReading: a listed peer whose role may not use a
// protocol has its stream reset before its request is read, and the
// handler never runs; a handler that panics resets only its stream.
func TestRoleRefusedBeforeReading(t *testing.T) {
	w := newWorld(t)
	ctx := testContext(t)
	node := w.host(t, w.node1, true)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ran := 0
	var refusals []string
	var mu sync.Mutex
	transport.Handle(node, w.gater, protocol.StoreID, log, []roster.Role{roster.RoleCustodian},
		func() *pb.StoreRequest { return &pb.StoreRequest{} },
		func(_ context.Context, _ transport.Caller, req *pb.StoreRequest) *pb.StoreResponse {
			mu.Lock()
			ran++
			mu.Unlock()
			if req.Registry == "panic" {
				panic("handler bug")
			}
			return &pb.StoreResponse{}
		},
		func(reason string) {
			mu.Lock()
			refusals = append(refusals, reason)
			mu.Unlock()
		})
	service := w.host(t, w.service, false)
	service.Peerstore().AddAddrs(node.ID(), node.Addrs(), time.Hour)
	if err := transport.Exchange(ctx, service, node.ID(), protocol.StoreID, &pb.StoreRequest{Registry: "land"}, &pb.StoreResponse{}); err == nil {
		t.Fatal("a service's Store stream was served")
	}
	custodian := w.host(t, w.custodian, false)
	custodian.Peerstore().AddAddrs(node.ID(), node.Addrs(), time.Hour)
	if err := transport.Exchange(ctx, custodian, node.ID(), protocol.StoreID, &pb.StoreRequest{Registry: "panic"}, &pb.StoreResponse{}); err == nil {
		t.Fatal("a panicking handler answered")
	}
	if err := transport.Exchange(ctx, custodian, node.ID(), protocol.StoreID, &pb.StoreRequest{Registry: "land"}, &pb.StoreResponse{}); err != nil {
		t.Fatalf("after a handler panic the node no longer serves: %v", err)
	}
	// A malformed request is refused too, and both refusals are reported.
	if _, err := rawRequestOn(ctx, custodian, node.ID(), protocol.StoreID, []byte{0x80}); err == nil {
		t.Fatal("a malformed Store request was answered")
	}
	mu.Lock()
	defer mu.Unlock()
	if ran != 2 {
		t.Fatalf("handler ran %d times, want 2 (never for the service)", ran)
	}
	if !slices.Equal(refusals, []string{transport.RefusedRole, transport.RefusedMalformed}) {
		t.Fatalf("refusals reported: %v, want role then malformed", refusals)
	}
}
