package simhost_test

import (
	"errors"
	"net"
	"testing"

	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/sim/simhost"
	"github.com/dataembassy/embassy/transport"
)

// New refuses hosts that could not send simulated packets: none or two
// listen addresses, or an unspecified one; and it opens no packet
// connection for them. (sim/spike_test.go and sim/nodes_test.go show
// hosts that work.)
func TestNewRefuses(t *testing.T) {
	id, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	r := roster.Roster{Network: "simhost", Epoch: 1, Threshold: 1,
		Custodian: roster.Principal{Name: "custodian", SigningKey: id.PublicKey(), SealKey: id.SealPublicKey()},
		Nodes: []roster.Node{{Index: 1, Name: "node1", SigningKey: id.PublicKey(), SealKey: id.SealPublicKey(),
			Addrs: []string{"/ip4/10.0.0.2/udp/4001/quic-v1"}}}}
	g, err := transport.NewGater(r)
	if err != nil {
		t.Fatal(err)
	}
	opened := 0
	packets := func(*net.UDPAddr) (net.PacketConn, error) {
		opened++
		return nil, errors.New("no packets in this test")
	}
	for _, listen := range [][]string{
		nil,
		{"/ip4/10.0.0.1/udp/4001/quic-v1", "/ip4/10.0.0.2/udp/4001/quic-v1"},
		{"/ip4/0.0.0.0/udp/4001/quic-v1"},
	} {
		h, err := simhost.New(transport.HostConfig{Key: id.SigningKey(), Gater: g, Listen: listen}, packets)
		if err == nil {
			h.Close()
			t.Errorf("listen %v: accepted", listen)
			continue
		}
		t.Logf("listen %v: %v", listen, err)
	}
	if opened != 0 {
		t.Errorf("opened %d packet connections for refused hosts", opened)
	}
}
