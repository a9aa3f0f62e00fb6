package netsim

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// BenchmarkPackets measures datagrams per wall second through the
// network, outside a bubble (real time, zero-delay links, so that the
// figure is the network's own cost): flows senders each send to their
// own reader.
func BenchmarkPackets(b *testing.B) {
	for _, flows := range []int{1, 16} {
		for _, bw := range []int64{0, 100_000_000_000} {
			b.Run(fmt.Sprintf("flows=%d/bandwidth=%d", flows, bw), func(b *testing.B) {
				n, err := New(Config{Sites: 2, Link: uniform(Link{Bandwidth: bw})})
				if err != nil {
					b.Fatal(err)
				}
				defer n.Close()
				senders := make([]net.PacketConn, flows)
				dsts := make([]*net.UDPAddr, flows)
				var wg sync.WaitGroup
				for i := range flows {
					senders[i] = must(n.Listen(addr(fmt.Sprintf("10.0.0.%d:1", i+1))))
					dsts[i] = addr(fmt.Sprintf("10.1.0.%d:1", i+1))
					r := must(n.Listen(dsts[i]))
					wg.Go(func() {
						buf := make([]byte, 2000)
						for {
							if _, _, err := r.ReadFrom(buf); err != nil {
								return
							}
						}
					})
				}
				msg := make([]byte, 1200)
				i := 0
				start := time.Now()
				for b.Loop() {
					if _, err := senders[i%flows].WriteTo(msg, dsts[i%flows]); err != nil {
						b.Fatal(err)
					}
					i++
				}
				// Wait until every datagram has landed.
				for {
					p := n.Traffic().Pairs[Pair{0, 1}]
					if p.InFlight() == (Count{}) {
						b.ReportMetric(float64(p.Delivered.Packets)/time.Since(start).Seconds(), "delivered/s")
						if d := p.DroppedAll().Packets; d > 0 {
							b.ReportMetric(float64(d)/float64(p.Sent.Packets), "dropped-fraction")
						}
						break
					}
					time.Sleep(time.Millisecond)
				}
				n.Close()
				wg.Wait()
			})
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestBubbleThroughput reports the wall rate of datagrams in virtual
// time: 20 flows across 4 sites with RTT, jitter, bandwidth and loss, a
// virtual minute of 100 datagrams a second each. It asserts nothing about
// speed (no timing assertions); it checks that the counters add up.
func TestBubbleThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("figures only")
	}
	const flows, perSecond, seconds = 20, 100, 60
	wallStart := time.Now()
	synctest.Test(t, func(t *testing.T) {
		n, err := New(Config{Seed: 1, Sites: 4, Link: uniform(Link{RTT: 60 * time.Millisecond,
			Jitter: 2 * time.Millisecond, Bandwidth: 1_000_000_000, Loss: 0.001})})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		var wg sync.WaitGroup
		var stops []func() []received
		for f := range flows {
			c := listen(t, n, fmt.Sprintf("10.%d.0.%d:1", f%4, f+1))
			to := fmt.Sprintf("10.%d.1.%d:1", (f+1)%4, f+1)
			stops = append(stops, reader(t, listen(t, n, to)))
			wg.Go(func() {
				for i := range perSecond * seconds {
					write(t, c, uint64(i), 1200, to)
					time.Sleep(time.Second / perSecond)
				}
			})
		}
		wg.Wait()
		time.Sleep(time.Second)
		got := 0
		for _, stop := range stops {
			got += len(stop())
		}
		checkBalance(t, n.Traffic())
		t.Logf("%d of %d datagrams delivered", got, flows*perSecond*seconds)
	})
	wall := time.Since(wallStart)
	total := flows * perSecond * seconds
	t.Logf("%d datagrams (%v of virtual time) in %v wall: %.0f datagrams per wall second",
		total, time.Duration(seconds)*time.Second, wall, float64(total)/wall.Seconds())
}
