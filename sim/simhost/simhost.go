package simhost

import (
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/dataembassy/embassy/transport"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/quicreuse"
	quicgo "github.com/quic-go/quic-go"
	"go.uber.org/fx"
)

// publicDialTimeout is libp2p's swarm's dial timeout for public addresses.
const publicDialTimeout = 15 * time.Second

// PacketNet opens the packet connection that a host listening (or
// dialling) on addr uses in place of a UDP socket.
type PacketNet func(addr *net.UDPAddr) (net.PacketConn, error)

// Factory returns a transport.HostFactory whose hosts run QUIC over
// packets. Each host must listen on exactly one /ip4/A/udp/P/quic-v1
// address (a client too: its packets need a source address); that address
// is the host's source for every dial.
func Factory(packets PacketNet) transport.HostFactory {
	return func(cfg transport.HostConfig) (host.Host, error) { return New(cfg, packets) }
}

// New builds one simulated host; see Factory.
func New(cfg transport.HostConfig, packets PacketNet) (host.Host, error) {
	if len(cfg.Listen) != 1 {
		return nil, fmt.Errorf("simulated host: want one listen address, have %d", len(cfg.Listen))
	}
	opts, err := transport.BaseOptions(cfg)
	if err != nil {
		return nil, err
	}
	opts = append(opts,
		libp2p.NoTransports,
		libp2p.Transport(quic.NewTransport),
		quicOver(packets),
		// Simulated addresses are private (10.S.X.Y) but stand for
		// public ones: dial them with libp2p's timeout for public
		// addresses, not its 5 s for local ones (which would also fall
		// on the very instant QUIC's 5 s handshake timeout fires).
		libp2p.SwarmOpts(swarm.WithDialTimeoutLocal(publicDialTimeout)),
		libp2p.DisableIdentifyAddressDiscovery())
	h, err := libp2p.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("start simulated host: %w", err)
	}
	return h, nil
}

// fixedSourceIP answers quicreuse's source-address question with the
// address the host listens on (a simulation has no routes).
type fixedSourceIP struct{ ip atomic.Pointer[net.IP] }

func (f *fixedSourceIP) PreferredSourceIPForDestination(*net.UDPAddr) (net.IP, error) {
	if ip := f.ip.Load(); ip != nil {
		return *ip, nil
	}
	return nil, fmt.Errorf("simulated host: no listen address yet")
}

// quicOver makes libp2p's QUIC transport open its UDP sockets as packet
// connections from packets (x/simlibp2p does the same with
// marcopolo/simnet).
func quicOver(packets PacketNet) libp2p.Option {
	src := &fixedSourceIP{}
	// libp2p does not close a connection manager that an option supplies:
	// close it with the host, or its goroutines outlive the host.
	newCM := func(l fx.Lifecycle, reset quicgo.StatelessResetKey, token quicgo.TokenGeneratorKey,
		opts ...quicreuse.Option) (*quicreuse.ConnManager, error) {
		cm, err := quicreuse.NewConnManager(reset, token, opts...)
		if err != nil {
			return nil, err
		}
		l.Append(fx.StopHook(cm.Close))
		return cm, nil
	}
	return libp2p.QUICReuse(newCM,
		quicreuse.OverrideSourceIPSelector(func() (quicreuse.SourceIPSelector, error) { return src, nil }),
		quicreuse.OverrideListenUDP(func(_ string, a *net.UDPAddr) (net.PacketConn, error) {
			if a.IP.IsUnspecified() {
				return nil, fmt.Errorf("simulated host: %v is not a simulated address (listen on one)", a)
			}
			c, err := packets(a)
			if err != nil {
				return nil, err
			}
			src.ip.Store(&a.IP)
			return c, nil
		}))
}

// connIDLength is the length of the connection IDs quic-go issues (its
// default, which libp2p keeps): a short-header packet does not carry it.
const connIDLength = 4

// ConnID returns the destination connection ID of the QUIC packet that
// starts datagram (nil if it cannot be one): it tells apart the
// connections that share a pair of addresses and ports (two hosts that
// dialled each other at once have two). For netsim.Config.Subflow.
func ConnID(datagram []byte) []byte {
	switch {
	case len(datagram) == 0:
		return nil
	case datagram[0]&0x80 != 0: // long header: flags, version, DCID length, DCID
		if len(datagram) < 6 || len(datagram) < 6+int(datagram[5]) {
			return nil
		}
		return datagram[6 : 6+int(datagram[5])]
	case len(datagram) < 1+connIDLength:
		return nil
	default: // short header: flags, DCID
		return datagram[1 : 1+connIDLength]
	}
}
