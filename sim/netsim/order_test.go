package netsim

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// burstRun has senders goroutines, started in the order given, write
// bursts at the same instants to one receiver over a 2 Mbit/s link (so
// that they queue behind each other) with jitter, and returns what the
// receiver got: sender, id and arrival time of each datagram, in order.
func burstRun(t *testing.T, order []int) []string {
	var got []string
	synctest.Test(t, func(t *testing.T) {
		n, err := New(Config{Seed: 4, Sites: 2, Link: twoLevel(Link{RTT: 30 * time.Millisecond,
			Jitter: 3 * time.Millisecond, Bandwidth: 2_000_000, Loss: 0.05})})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		conns := make([]net.PacketConn, len(order))
		for i := range conns {
			conns[i] = listen(t, n, fmt.Sprintf("10.0.0.%d:4001", i+1))
		}
		stop := reader(t, listen(t, n, "10.1.0.1:4001"))
		start := time.Now()
		var wg sync.WaitGroup
		for _, i := range order {
			wg.Go(func() {
				for round := range 50 {
					// Every sender writes at the same instants:
					// bursts of 1 to 3 datagrams of its own sizes.
					for k := range 1 + (i+round)%3 {
						write(t, conns[i], uint64(round*10+k), 100+100*i+k, "10.1.0.1:4001")
					}
					time.Sleep(7 * time.Millisecond)
				}
			})
		}
		wg.Wait()
		time.Sleep(time.Second)
		for _, r := range stop() {
			got = append(got, fmt.Sprintf("%s#%d@%v", r.from, r.id, r.at.Sub(start)))
		}
	})
	return got
}

// Datagrams written at one instant by goroutines that run in any order
// leave in an order of the network's own: who queues behind whom on a
// shared link, what is lost and every arrival time repeat exactly.
func TestSameInstantOrder(t *testing.T) {
	const senders = 6
	first := burstRun(t, []int{0, 1, 2, 3, 4, 5})
	if len(first) < 200 {
		t.Fatalf("only %d datagrams arrived", len(first))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 4 {
		order := rng.Perm(senders)
		if again := burstRun(t, order); !slices.Equal(again, first) {
			for i := range min(len(again), len(first)) {
				if again[i] != first[i] {
					t.Fatalf("senders started in order %v: datagram %d is %s, was %s", order, i, again[i], first[i])
				}
			}
			t.Fatalf("senders started in order %v: %d datagrams arrived, then %d", order, len(first), len(again))
		}
	}
}

// The jitter holds for a slot of JitterSlot: packets sent in one slot
// take the same time, and the delays of the slots vary.
func TestJitterSlot(t *testing.T) {
	delays := jitterRunEvery(t, 5, 5*time.Millisecond, time.Millisecond, 400)
	slotOf := func(i int) int64 { // the packets are sent 1 ms apart from the bubble's epoch
		return (epoch.UnixNano() + int64(i)*int64(time.Millisecond)) / int64(JitterSlot)
	}
	perSlot := map[int64]time.Duration{}
	distinct := map[time.Duration]bool{}
	for i, d := range delays {
		s := slotOf(i)
		if prev, ok := perSlot[s]; ok && prev != d && d > prev {
			// A later packet may only be held back to its flow's
			// order (when the jitter drops at a slot's start).
			t.Errorf("packet %d: delay %v, the slot's earlier packets took %v", i, d, prev)
		}
		if _, ok := perSlot[s]; !ok {
			perSlot[s] = d
		}
		distinct[d] = true
	}
	if len(distinct) < len(perSlot)/2 {
		t.Errorf("%d distinct delays over %d slots: the jitter does not vary", len(distinct), len(perSlot))
	}
}

// epoch is a bubble's start.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Datagrams due at one instant are handed over one per nanosecond, in
// order of launch; a connection's read buffer sees each apart.
func TestHandOverOnePerNanosecond(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, err := New(Config{Seed: 1, Sites: 2, Link: twoLevel(wan)})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		var senders []net.PacketConn
		for i := range 3 {
			senders = append(senders, listen(t, n, fmt.Sprintf("10.0.0.%d:4001", i+1)))
		}
		stopA := reader(t, listen(t, n, "10.1.0.1:4001"))
		stopB := reader(t, listen(t, n, "10.1.0.2:4001"))
		start := time.Now()
		for i, c := range senders {
			write(t, c, uint64(i), 100, "10.1.0.1:4001")
			write(t, c, uint64(10+i), 100, "10.1.0.1:4001") // the same flow: right after
		}
		write(t, senders[0], 99, 100, "10.1.0.2:4001") // another receiver: the network's next nanosecond
		time.Sleep(time.Second)
		var at []time.Duration
		for _, r := range append(stopA(), stopB()...) {
			at = append(at, r.at.Sub(start))
		}
		slices.Sort(at)
		for i, d := range at {
			if want := 20*time.Millisecond + time.Duration(i)*time.Nanosecond; d != want {
				t.Errorf("hand-over %d at %v, want %v", i, d, want)
			}
		}
		if len(at) != 7 {
			t.Errorf("%d datagrams handed over, want 7", len(at))
		}
	})
}

// Config.Settled is called once the bubble has settled, numbering the
// rounds of an instant, and Config.Subflow groups a flow's datagrams of
// one instant.
func TestSettledAndSubflow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type call struct {
			at    time.Duration
			round int
		}
		var calls []call
		start := time.Now()
		n, err := New(Config{Seed: 1, Sites: 1,
			Settled: func(now time.Time, round int) { calls = append(calls, call{now.Sub(start), round}) },
			Subflow: func(b []byte) []byte { return b[7:8] }}) // the last byte of write's id
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		a := listen(t, n, "10.0.0.1:1")
		stop := reader(t, listen(t, n, "10.0.0.2:1"))
		// One flow, three subflows, written interleaved.
		for _, id := range []uint64{0x103, 0x101, 0x203, 0x102, 0x201, 0x303} {
			write(t, a, id, 8, "10.0.0.2:1")
		}
		time.Sleep(time.Millisecond)
		write(t, a, 0x401, 8, "10.0.0.2:1")
		time.Sleep(time.Millisecond)
		var ids []uint64
		for _, r := range stop() {
			ids = append(ids, r.id)
		}
		if want := []uint64{0x101, 0x201, 0x102, 0x103, 0x203, 0x303, 0x401}; !slices.Equal(ids, want) {
			t.Errorf("received %x, want %x", ids, want)
		}
		if len(calls) < 2 || calls[0] != (call{0, 0}) || calls[len(calls)-1].at != time.Millisecond {
			t.Errorf("Settled calls %v", calls)
		}
		for i := 1; i < len(calls); i++ {
			if c, p := calls[i], calls[i-1]; c.at == p.at && c.round != p.round+1 || c.at != p.at && c.round != 0 {
				t.Errorf("Settled calls %v: rounds not numbered per instant", calls)
			}
		}
	})
}

// Outside a bubble the network works in real time: datagrams go out as
// written, and the counters add up.
func TestOutsideBubble(t *testing.T) {
	n, err := New(Config{Seed: 1, Sites: 2, Link: twoLevel(Link{RTT: 2 * time.Millisecond, Jitter: time.Millisecond})})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	a := listen(t, n, "10.0.0.1:4001")
	b := listen(t, n, "10.1.0.1:4001")
	for i := range 20 {
		write(t, a, uint64(i), 100, "10.1.0.1:4001")
	}
	buf := make([]byte, 200)
	for i := range 20 {
		if err := b.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.ReadFrom(buf); err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
	}
	tr := n.Traffic()
	checkBalance(t, tr)
	if got := tr.Endpoints[netip.MustParseAddr("10.1.0.1")].Received.Packets; got != 20 {
		t.Errorf("received %d, want 20", got)
	}
}
