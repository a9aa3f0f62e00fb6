package netsim_test

// End to end: two embassy libp2p hosts (package sim/simhost: QUIC, TLS,
// the roster gater) over netsim, in a synctest bubble.

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/sim/netsim"
	"github.com/dataembassy/embassy/sim/simhost"
	"github.com/dataembassy/embassy/transport"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"
)

const echoID = protocol.ID("/embassy/netsim-echo/1")

// echoTimes runs two hosts at sites 0 and 1 of a network whose link
// between them is link, and returns the virtual durations of an echo
// request on a new connection, of one on the open connection, and the
// network's traffic at the end.
func echoTimes(t *testing.T, link netsim.Link, seed uint64) (first, second time.Duration, tr netsim.Traffic) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, seed)
		gen := func() *identity.Identity {
			id, err := identity.Generate()
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		custodian, node := gen(), gen()
		serverAddr := "/ip4/10.1.0.1/udp/4001/quic-v1"
		r := roster.Roster{Network: "netsim", Epoch: 1, Threshold: 1,
			Custodian: roster.Principal{Name: "custodian", SigningKey: custodian.PublicKey(), SealKey: custodian.SealPublicKey()},
			Nodes: []roster.Node{{Index: 1, Name: "node1", SigningKey: node.PublicKey(), SealKey: node.SealPublicKey(),
				Addrs: []string{serverAddr}}}}
		if err := r.Validate(); err != nil {
			t.Fatal(err)
		}
		g, err := transport.NewGater(r)
		if err != nil {
			t.Fatal(err)
		}
		n, err := netsim.New(netsim.Config{Seed: seed, Sites: 2, Log: slog.New(slog.DiscardHandler),
			Link: func(a, b int) netsim.Link {
				if a == b {
					return netsim.Link{RTT: 500 * time.Microsecond}
				}
				return link
			}})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		newHost := func(id *identity.Identity, listen string) host.Host {
			h, err := simhost.New(transport.HostConfig{Key: id.SigningKey(), Gater: g, Listen: []string{listen}}, n.Listen)
			if err != nil {
				t.Fatal(err)
			}
			return h
		}
		server := newHost(node, serverAddr)
		defer server.Close()
		client := newHost(custodian, "/ip4/10.0.0.1/udp/4001/quic-v1")
		defer client.Close()

		server.SetStreamHandler(echoID, func(s network.Stream) {
			defer s.Close()
			if _, err := io.Copy(s, s); err != nil {
				t.Errorf("echo: %v", err)
			}
		})
		client.Peerstore().AddAddrs(server.ID(), []ma.Multiaddr{ma.StringCast(serverAddr)}, peerstore.PermanentAddrTTL)

		time.Sleep(time.Minute) // start at an arbitrary instant
		exchange := func() time.Duration {
			start := time.Now()
			s, err := client.NewStream(context.Background(), server.ID(), echoID)
			if err != nil {
				t.Fatalf("new stream: %v", err)
			}
			defer s.Close()
			if _, err := s.Write([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			if err := s.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(s)
			if err != nil || string(got) != "ping" {
				t.Fatalf("echo %q: %v", got, err)
			}
			return time.Since(start)
		}
		first = exchange()
		second = exchange()
		client.Close()
		server.Close()
		time.Sleep(time.Second) // the last packets land
		tr = n.Traffic()
	})
	return first, second, tr
}

// A first request costs the QUIC handshake's round trip, identify's
// (libp2p's NewStream waits for it) and the request's own; a request on
// the open connection costs one round trip. Exactly, with no jitter and
// no bandwidth limit, but for a nanosecond per datagram that lands at the
// instant of another (the network hands over one per nanosecond).
func TestEchoOverQUIC(t *testing.T) {
	const rtt = 40 * time.Millisecond
	first, second, tr := echoTimes(t, netsim.Link{RTT: rtt}, 7)
	t.Logf("RTT %v: first request %v, second %v", rtt, first, second)
	if first < 3*rtt || first > 3*rtt+20*time.Nanosecond {
		t.Errorf("first request took %v, want 3 RTT = %v (+ at most 20 ns)", first, 3*rtt)
	}
	if second < rtt || second > rtt+10*time.Nanosecond {
		t.Errorf("second request took %v, want 1 RTT = %v (+ at most 10 ns)", second, rtt)
	}
	// Bare hosts without sim/run's stream gate, on several threads: the
	// hand-over order of one instant's datagrams may still differ by a
	// nanosecond or so (exact repeats are sim/run's TestSameSeedSameRun).
	if again, _, _ := echoTimes(t, netsim.Link{RTT: rtt}, 7); again-first > 20*time.Nanosecond || first-again > 20*time.Nanosecond {
		t.Errorf("same seed: first request took %v, then %v", first, again)
	}
	up, down := tr.Pairs[netsim.Pair{From: 0, To: 1}], tr.Pairs[netsim.Pair{From: 1, To: 0}]
	t.Logf("client→server %+v, server→client %+v", up, down)
	for _, p := range []netsim.PairTraffic{up, down} {
		// Nothing lost but, perhaps, a connection close that reached
		// a host already closed.
		lost := p.DroppedAll().Sub(p.Dropped[netsim.DropUnreachable])
		if p.Sent.Packets == 0 || p.InFlight() != (netsim.Count{}) || lost != (netsim.Count{}) {
			t.Errorf("traffic %+v", p)
		}
	}
	client := tr.Endpoints[netip.MustParseAddr("10.0.0.1")]
	if client.Sent != up.Sent || client.Received != down.Delivered || client.Missed != down.DroppedAll() {
		t.Errorf("client counted %+v, pairs %+v and %+v", client, up, down)
	}

	// A 2 Mbit/s link adds serialisation; 5 ms of jitter adds up to 5 ms
	// a way.
	jitter := 5 * time.Millisecond
	slowFirst, slowSecond, _ := echoTimes(t, netsim.Link{RTT: rtt, Bandwidth: 2_000_000, Jitter: jitter}, 7)
	t.Logf("at 2 Mbit/s with 5 ms jitter: first request %v, second %v", slowFirst, slowSecond)
	if slowFirst <= first || slowFirst > first+6*jitter+60*time.Millisecond {
		t.Errorf("first request over the slow link took %v, want in (%v, %v]", slowFirst, first, first+6*jitter+60*time.Millisecond)
	}
	if slowSecond <= second || slowSecond > second+2*jitter+10*time.Millisecond {
		t.Errorf("second request over the slow link took %v, want in (%v, %v]", slowSecond, second, second+2*jitter+10*time.Millisecond)
	}
}
