package sim_test

// The spike behind the decision in doc.go and docs/sim.md: the real
// transport code (transport.Handle, transport.Network.Exchange, the roster
// gater) carries one request between two libp2p hosts whose only transport
// is QUIC over in-process packet connections with a configured latency,
// inside a testing/synctest bubble, so that an hour of virtual time passes
// without an hour of wall time.

import (
	"context"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/sim/simhost"
	"github.com/dataembassy/embassy/transport"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/marcopolo/simnet"
)

// simHost builds a host with transport.NewHost's rules over packets from
// newConn (package simhost).
func simHost(t *testing.T, id *identity.Identity, g *transport.Gater, listen string,
	newConn func(*net.UDPAddr) net.PacketConn) host.Host {
	t.Helper()
	h, err := simhost.New(transport.HostConfig{Key: id.SigningKey(), Gater: g, Listen: []string{listen}},
		func(a *net.UDPAddr) (net.PacketConn, error) { return newConn(a), nil })
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// spikeExchange builds a roster of a custodian, a service and one node,
// then, in a synctest bubble with crypto randomness drawn from seed,
// starts the node's host and the custodian's host over simnet, lets idle
// virtual time pass, and sends one Get request through transport.Network.
// It returns the request's virtual duration and the bubble's.
func spikeExchange(t *testing.T, oneWay, idle time.Duration, seed uint64) (elapsed, virtual time.Duration) {
	synctest.Test(t, func(t *testing.T) {
		// Keys, QUIC connection IDs, TLS certificates: all from the seed,
		// so packet sizes, and with them the virtual timings, repeat.
		cryptotest.SetGlobalRandom(t, seed)
		bubbleStart := time.Now()
		gen := func() *identity.Identity {
			id, err := identity.Generate()
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		custodian, service, node := gen(), gen(), gen()
		nodeAddr := "/ip4/1.0.0.2/udp/4001/quic-v1"
		r := roster.Roster{Network: "spike", Epoch: 1, Threshold: 1,
			Custodian: roster.Principal{Name: "custodian", SigningKey: custodian.PublicKey(), SealKey: custodian.SealPublicKey()},
			Services: []roster.Principal{{Name: "statistics", SigningKey: service.PublicKey(), SealKey: service.SealPublicKey(),
				Policy: &roster.Policy{MinGroupSize: 1, Registries: []roster.Grant{{Registry: "population", Fields: []string{roster.AllFields}}}}}},
			Nodes: []roster.Node{{Index: 1, Name: "node1", SigningKey: node.PublicKey(), SealKey: node.SealPublicKey(),
				Addrs: []string{nodeAddr}}}}
		if err := r.Validate(); err != nil {
			t.Fatal(err)
		}
		g, err := transport.NewGater(r)
		if err != nil {
			t.Fatal(err)
		}

		netw := &simnet.Simnet{LatencyFunc: simnet.StaticLatency(oneWay), Logger: slog.New(slog.DiscardHandler)}
		link := simnet.NodeBiDiLinkSettings{
			Downlink: simnet.LinkSettings{BitsPerSecond: 100 * simnet.Mibps},
			Uplink:   simnet.LinkSettings{BitsPerSecond: 100 * simnet.Mibps},
		}
		endpoint := func(a *net.UDPAddr) net.PacketConn { return netw.NewEndpoint(a, link) }
		server := simHost(t, node, g, nodeAddr, endpoint)
		client := simHost(t, custodian, g, "/ip4/1.0.0.1/udp/4001/quic-v1", endpoint)
		netw.Start()
		defer netw.Close()
		defer client.Close()
		defer server.Close()

		var served atomic.Int32
		transport.Handle(server, g, protocol.GetID, slog.New(slog.DiscardHandler),
			[]roster.Role{roster.RoleCustodian},
			func() *pb.GetRequest { return &pb.GetRequest{} },
			func(_ context.Context, c transport.Caller, req *pb.GetRequest) *pb.GetResponse {
				served.Add(1)
				if c.Role != roster.RoleCustodian {
					return &pb.GetResponse{Error: "wrong role " + c.Role.String()}
				}
				return &pb.GetResponse{Items: []*pb.GetItem{{Found: len(req.Pseudonyms) == 1}}}
			})

		time.Sleep(idle)
		nw, err := transport.NewNetwork(client, g, r)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		var resp pb.GetResponse
		err = nw.Exchange(context.Background(), 1, protocol.GetID,
			&pb.GetRequest{Registry: "population", Pseudonyms: [][]byte{[]byte("p")}, MetaOnly: true}, &resp)
		elapsed = time.Since(start)
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		if resp.Error != "" || len(resp.Items) != 1 || !resp.Items[0].Found || served.Load() != 1 {
			t.Fatalf("response %v after %d handler calls", &resp, served.Load())
		}
		virtual = time.Since(bubbleStart)
	})
	return elapsed, virtual
}

func TestSpikeRequestOverSimulatedQUIC(t *testing.T) {
	const (
		oneWay = 20 * time.Millisecond // each direction; RTT 40 ms
		idle   = time.Hour             // virtual time that passes before the request
	)
	wallStart := time.Now() // outside the bubble: the real clock
	elapsed, virtual := spikeExchange(t, oneWay, idle, 7)
	wall := time.Since(wallStart)
	t.Logf("first request (QUIC handshake + stream) took %v virtual for RTT %v; %v virtual in %v wall",
		elapsed, 2*oneWay, virtual, wall)

	// A request on a new connection needs the QUIC/TLS handshake (one RTT)
	// and the request/response (one more); it cannot beat one RTT, and
	// with nothing else on the link it takes a small number of them.
	if rtt := 2 * oneWay; elapsed < rtt || elapsed > 4*rtt {
		t.Errorf("request took %v of virtual time, want between %v and %v", elapsed, rtt, 4*rtt)
	}
	if virtual < idle {
		t.Errorf("virtual time %v, want at least %v", virtual, idle)
	}
	if wall >= virtual {
		t.Errorf("wall time %v is not below virtual time %v", wall, virtual)
	}

	// With the crypto randomness seeded, the virtual timing repeats to the
	// nanosecond (without it, certificate and key sizes vary and so does
	// the serialisation delay, by about a microsecond).
	again, _ := spikeExchange(t, oneWay, idle, 7)
	if again != elapsed {
		t.Errorf("same seed, different virtual timing: %v then %v", elapsed, again)
	}
}
