package netsim

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// conn is a simulated UDP socket: a net.PacketConn at one address.
type conn struct {
	net  *Network
	addr netip.AddrPort
	udp  *net.UDPAddr
	site int

	mu            sync.Mutex // never held while waiting
	closed        bool
	queue         []datagram // read buffer, oldest first
	queued        int        // bytes in queue
	wake          chan struct{}
	readDeadline  time.Time
	writeDeadline time.Time
}

// datagram is a packet in a read buffer.
type datagram struct {
	data []byte
	from *net.UDPAddr
}

var _ net.PacketConn = (*conn)(nil)

func newConn(n *Network, addr netip.AddrPort, site int) *conn {
	return &conn{net: n, addr: addr, site: site, wake: make(chan struct{}),
		udp: &net.UDPAddr{IP: addr.Addr().AsSlice(), Port: int(addr.Port())}}
}

// wakeAll wakes every blocked reader. c.mu is held.
func (c *conn) wakeAll() {
	close(c.wake)
	c.wake = make(chan struct{})
}

// push appends a datagram to the read buffer; false if it is full or
// closed.
func (c *conn) push(data []byte, from *net.UDPAddr) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.queued+len(data) > c.net.readBuffer {
		return false
	}
	c.queue = append(c.queue, datagram{data, from})
	c.queued += len(data)
	c.wakeAll()
	return true
}

func (c *conn) opError(op string, addr net.Addr, err error) error {
	return &net.OpError{Op: op, Net: "udp", Source: c.udp, Addr: addr, Err: err}
}

// ReadFrom waits for a datagram, the read deadline or Close. A datagram
// longer than p is cut to p's length, as recvfrom does.
func (c *conn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return 0, nil, c.opError("read", nil, net.ErrClosed)
		}
		if len(c.queue) > 0 {
			d := c.queue[0]
			c.queue[0] = datagram{}
			c.queue = c.queue[1:]
			c.queued -= len(d.data)
			c.mu.Unlock()
			return copy(p, d.data), d.from, nil
		}
		deadline, wake := c.readDeadline, c.wake
		c.mu.Unlock()
		if deadline.IsZero() {
			<-wake
			continue
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return 0, nil, c.opError("read", nil, os.ErrDeadlineExceeded)
		}
		t := time.NewTimer(wait)
		select {
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// WriteTo sends a datagram to addr, a *net.UDPAddr. It returns at once:
// the packet travels in virtual time. Like UDP, it reports no error when
// the packet is lost or nobody listens.
func (c *conn) WriteTo(p []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, c.opError("write", addr, fmt.Errorf("%w: %T", ErrNotUDP, addr))
	}
	if len(p) > maxDatagram {
		return 0, c.opError("write", addr, ErrTooLarge)
	}
	ip, ok := netip.AddrFromSlice(ua.IP)
	if !ok || ua.Port < 0 || ua.Port > 65535 {
		return 0, c.opError("write", addr, fmt.Errorf("%w: %v", ErrBadAddress, ua))
	}
	c.mu.Lock()
	closed, deadline := c.closed, c.writeDeadline
	c.mu.Unlock()
	if closed {
		return 0, c.opError("write", addr, net.ErrClosed)
	}
	if !deadline.IsZero() && !time.Now().Before(deadline) {
		return 0, c.opError("write", addr, os.ErrDeadlineExceeded)
	}
	if err := c.net.send(c, p, netip.AddrPortFrom(ip.Unmap(), uint16(ua.Port))); err != nil {
		return 0, c.opError("write", addr, err)
	}
	return len(p), nil
}

// Close closes the connection: blocked and later reads return
// net.ErrClosed, and the address is free for a new Listen.
func (c *conn) Close() error {
	n := c.net
	n.mu.Lock()
	if n.conns[c.addr] == c {
		delete(n.conns, c.addr)
	}
	n.mu.Unlock()
	c.shut()
	return nil
}

// shut marks c closed and wakes its readers.
func (c *conn) shut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	c.queue, c.queued = nil, 0
	c.wakeAll()
}

// LocalAddr is the connection's *net.UDPAddr.
func (c *conn) LocalAddr() net.Addr { return c.udp }

// SetDeadline sets both deadlines.
func (c *conn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readDeadline, c.writeDeadline = t, t
	c.wakeAll()
	return nil
}

// SetReadDeadline sets when blocked and later reads give up; it wakes
// blocked readers so that they see it.
func (c *conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readDeadline = t
	c.wakeAll()
	return nil
}

// SetWriteDeadline sets when writes give up (writes never block, so it
// only makes writes after t fail).
func (c *conn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writeDeadline = t
	return nil
}

// SetReadBuffer and SetWriteBuffer accept and ignore a buffer size: quic-go
// asks for bigger socket buffers and logs a warning when a connection
// cannot take the request (marcopolo/simnet does the same). The read
// buffer is Config.ReadBuffer.
func (c *conn) SetReadBuffer(int) error { return nil }

// SetWriteBuffer: see SetReadBuffer.
func (c *conn) SetWriteBuffer(int) error { return nil }
