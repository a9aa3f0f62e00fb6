package netsim

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

// addr is a simulated address and port.
func addr(s string) *net.UDPAddr {
	return net.UDPAddrFromAddrPort(netip.MustParseAddrPort(s))
}

// listen opens a connection or fails the test.
func listen(t *testing.T, n *Network, a string) net.PacketConn {
	t.Helper()
	c, err := n.Listen(addr(a))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// received is one datagram a reader got.
type received struct {
	at   time.Time
	id   uint64
	size int
	from string
}

// reader reads c until it is closed; stop closes c and returns what it
// read.
func reader(t *testing.T, c net.PacketConn) (stop func() []received) {
	t.Helper()
	done := make(chan []received)
	go func() {
		var got []received
		buf := make([]byte, 70000)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					t.Errorf("read: %v", err)
				}
				done <- got
				return
			}
			r := received{at: time.Now(), size: n, from: from.String()}
			if n >= 8 {
				r.id = binary.BigEndian.Uint64(buf)
			}
			got = append(got, r)
		}
	}()
	return func() []received {
		c.Close()
		return <-done
	}
}

// datagram returns a payload of size bytes (≥ 8) carrying id.
func payload(id uint64, size int) []byte {
	b := make([]byte, size)
	binary.BigEndian.PutUint64(b, id)
	return b
}

// write sends one datagram or fails the test.
func write(t *testing.T, c net.PacketConn, id uint64, size int, to string) {
	t.Helper()
	if _, err := c.WriteTo(payload(id, size), addr(to)); err != nil {
		t.Fatal(err)
	}
}

// uniform returns a Config.Link giving l everywhere.
func uniform(l Link) func(a, b int) Link { return func(int, int) Link { return l } }

// checkBalance checks Sent = Delivered + Dropped for every pair (nothing
// may be on the way) and that the endpoints' counters agree with the
// pairs'.
func checkBalance(t *testing.T, tr Traffic) {
	t.Helper()
	var sent, delivered, dropped Count
	for k, p := range tr.Pairs {
		if f := p.InFlight(); f != (Count{}) {
			t.Errorf("pair %v: sent %+v, delivered %+v, dropped %+v: %+v unaccounted", k, p.Sent, p.Delivered, p.DroppedAll(), f)
		}
		sent, delivered, dropped = sent.Add(p.Sent), delivered.Add(p.Delivered), dropped.Add(p.DroppedAll())
	}
	var eSent, eRecv, eLost, eMissed Count
	for _, e := range tr.Endpoints {
		eSent, eRecv, eLost, eMissed = eSent.Add(e.Sent), eRecv.Add(e.Received), eLost.Add(e.Lost), eMissed.Add(e.Missed)
	}
	if eSent != sent.Add(tr.Unroutable) || eRecv != delivered || eLost != dropped.Add(tr.Unroutable) || eMissed != dropped {
		t.Errorf("endpoints sent %+v received %+v lost %+v missed %+v; pairs sent %+v delivered %+v dropped %+v, unroutable %+v",
			eSent, eRecv, eLost, eMissed, sent, delivered, dropped, tr.Unroutable)
	}
}
