package netsim

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// wan is the test networks' link between two different sites; local the
// link within a site.
var (
	wan   = Link{RTT: 40 * time.Millisecond}
	local = Link{RTT: 500 * time.Microsecond}
)

func twoLevel(between Link) func(a, b int) Link {
	return func(a, b int) Link {
		if a == b {
			return local
		}
		return between
	}
}

// A lone packet's one-way delay is RTT/2 plus its serialisation on the
// link, exactly.
func TestOneWayDelay(t *testing.T) {
	for _, tc := range []struct {
		name     string
		link     Link
		to       string
		size     int
		want     time.Duration
		fromSite string
	}{
		{name: "unlimited", link: wan, to: "10.1.0.1:4001", size: 100, want: 20 * time.Millisecond},
		{name: "1 Mbit/s, 1250 bytes on the wire", link: Link{RTT: 40 * time.Millisecond, Bandwidth: 1_000_000},
			to: "10.1.0.1:4001", size: 1222, want: 30 * time.Millisecond},
		{name: "1 Gbit/s, 1500 bytes on the wire", link: Link{RTT: 150 * time.Millisecond, Bandwidth: 1_000_000_000},
			to: "10.1.0.1:4001", size: 1472, want: 75*time.Millisecond + 12*time.Microsecond},
		{name: "serialisation rounds up", link: Link{RTT: 2 * time.Millisecond, Bandwidth: 7},
			to: "10.1.0.1:4001", size: 8, want: time.Millisecond + 41142857143}, // 288 bits at 7 bit/s
		{name: "within a site", link: wan, to: "10.0.7.9:4001", size: 1000, want: 250 * time.Microsecond},
		{name: "to itself", link: wan, to: "10.0.0.1:5000", size: 10, want: 250 * time.Microsecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n, err := New(Config{Sites: 2, Link: twoLevel(tc.link)})
				if err != nil {
					t.Fatal(err)
				}
				defer n.Close()
				a := listen(t, n, "10.0.0.1:4001")
				stop := reader(t, listen(t, n, tc.to))
				time.Sleep(time.Second)
				start := time.Now()
				write(t, a, 1, max(tc.size, 8), tc.to)
				time.Sleep(time.Minute)
				got := stop()
				if len(got) != 1 {
					t.Fatalf("got %d packets, want 1", len(got))
				}
				if d := got[0].at.Sub(start); d != tc.want {
					t.Errorf("one-way delay %v, want %v", d, tc.want)
				}
				if got[0].from != "10.0.0.1:4001" || got[0].size != max(tc.size, 8) {
					t.Errorf("got %d bytes from %s", got[0].size, got[0].from)
				}
			})
		})
	}
}

// Packets sent at one instant on a 1 Mbit/s link leave one after the
// other, whichever flow they belong to: flows in the order of their
// seeded rank, each flow's packets in the order written. Two seeds give
// the two orders.
func TestBandwidthSerialisation(t *testing.T) {
	a1, a2 := netip.MustParseAddrPort("10.0.0.1:4001"), netip.MustParseAddrPort("10.0.0.2:4001")
	b := netip.MustParseAddrPort("10.1.0.1:4001")
	epoch := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	firstFlows := map[bool]bool{}
	for seed := uint64(0); len(firstFlows) < 2; seed++ {
		a1First := orderDraw(seed, a1, b, epoch) < orderDraw(seed, a2, b, epoch)
		if firstFlows[a1First] {
			continue
		}
		firstFlows[a1First] = true
		synctest.Test(t, func(t *testing.T) {
			n, err := New(Config{Seed: seed, Sites: 2, Link: twoLevel(Link{RTT: 40 * time.Millisecond, Bandwidth: 1_000_000})})
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			c1, c2 := listen(t, n, a1.String()), listen(t, n, a2.String())
			stop := reader(t, listen(t, n, b.String()))
			start := time.Now()
			write(t, c1, 1, 1222, b.String()) // 10 ms on the wire
			write(t, c2, 2, 1222, b.String()) // another flow, same link: queues
			write(t, c1, 3, 597, b.String())  // 5 ms
			time.Sleep(time.Second)
			got := map[uint64]time.Duration{}
			for _, r := range stop() {
				got[r.id] = r.at.Sub(start)
			}
			want := map[uint64]time.Duration{1: 30 * time.Millisecond, 3: 35 * time.Millisecond, 2: 45 * time.Millisecond}
			if !a1First {
				want = map[uint64]time.Duration{2: 30 * time.Millisecond, 1: 40 * time.Millisecond, 3: 45 * time.Millisecond}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("seed %d (flow from %v first: %v): delays %v, want %v", seed, a1, a1First, got, want)
			}
		})
	}
}

// jitterRun sends count packets 10 ms apart over a jittery link and
// returns their one-way delays.
func jitterRun(t *testing.T, seed uint64, jitter time.Duration, count int) []time.Duration {
	return jitterRunEvery(t, seed, jitter, 10*time.Millisecond, count)
}

// jitterRunEvery is jitterRun with a packet every gap.
func jitterRunEvery(t *testing.T, seed uint64, jitter, gap time.Duration, count int) []time.Duration {
	var delays []time.Duration
	synctest.Test(t, func(t *testing.T) {
		n, err := New(Config{Seed: seed, Sites: 2, Link: twoLevel(Link{RTT: 40 * time.Millisecond, Jitter: jitter})})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		a := listen(t, n, "10.0.0.1:4001")
		stop := reader(t, listen(t, n, "10.1.0.1:4001"))
		sent := make([]time.Time, count)
		for i := range count {
			sent[i] = time.Now()
			write(t, a, uint64(i), 100, "10.1.0.1:4001")
			time.Sleep(gap)
		}
		time.Sleep(time.Second)
		for _, r := range stop() {
			delays = append(delays, r.at.Sub(sent[r.id]))
		}
	})
	return delays
}

// Jitter stays in [RTT/2, RTT/2 + Jitter], covers that range, and is the
// same for the same seed.
func TestJitter(t *testing.T) {
	const count = 2000
	jitter := 5 * time.Millisecond
	delays := jitterRun(t, 1, jitter, count)
	if len(delays) != count {
		t.Fatalf("%d packets arrived, want %d", len(delays), count)
	}
	lo, hi := slices.Min(delays), slices.Max(delays)
	var sum time.Duration
	for _, d := range delays {
		sum += d
	}
	mean := sum / count
	t.Logf("one-way delay min %v mean %v max %v", lo, mean, hi)
	base := 20 * time.Millisecond
	if lo < base || hi > base+jitter {
		t.Errorf("delays in [%v, %v], want within [%v, %v]", lo, hi, base, base+jitter)
	}
	if lo > base+jitter/50 || hi < base+jitter*49/50 {
		t.Errorf("delays in [%v, %v] do not cover [%v, %v]", lo, hi, base, base+jitter)
	}
	if mean < base+jitter*45/100 || mean > base+jitter*55/100 {
		t.Errorf("mean delay %v, want about %v", mean, base+jitter/2)
	}
	if again := jitterRun(t, 1, jitter, count); !slices.Equal(again, delays) {
		t.Error("same seed, different delays")
	}
	if other := jitterRun(t, 2, jitter, count); slices.Equal(other, delays) {
		t.Error("another seed, same delays")
	}
}

// A flow is delivered in order even when jitter exceeds the gap between
// its packets.
func TestFlowOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, err := New(Config{Seed: 3, Sites: 2, Link: twoLevel(Link{RTT: 40 * time.Millisecond, Jitter: 20 * time.Millisecond})})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		a := listen(t, n, "10.0.0.1:4001")
		stop := reader(t, listen(t, n, "10.1.0.1:4001"))
		for i := range 500 {
			write(t, a, uint64(i), 100, "10.1.0.1:4001")
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Second)
		got := stop()
		if len(got) != 500 {
			t.Fatalf("%d packets arrived, want 500", len(got))
		}
		for i, r := range got {
			if r.id != uint64(i) {
				t.Fatalf("packet %d arrived in place %d", r.id, i)
			}
		}
	})
}

// A partition drops exactly the packets between groups (sites in no group
// form one more group), also those on the way when it starts; Heal
// restores every pair.
func TestPartition(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const sites = 4
		n, err := New(Config{Sites: sites, Link: twoLevel(wan)})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		conns := make([]net.PacketConn, sites)
		stops := make([]func() []received, sites)
		for s := range sites {
			c, err := n.Listen(addr(fmt.Sprintf("10.%d.0.1:4001", s)))
			if err != nil {
				t.Fatal(err)
			}
			conns[s] = c
			// Each site also reads on a second port, so that the
			// first can send and the second count.
			stops[s] = reader(t, listen(t, n, fmt.Sprintf("10.%d.0.1:5000", s)))
		}
		groups := [][]int{{0, 1}, {2}} // and {3}
		side := []int{1, 1, 2, 0}
		n.Partition(groups)
		for a := range sites {
			for b := range sites {
				if got, want := n.Connected(a, b), side[a] == side[b]; got != want {
					t.Errorf("Connected(%d, %d) = %v, want %v", a, b, got, want)
				}
			}
		}
		send := func(id uint64) {
			for a := range sites {
				for b := range sites {
					write(t, conns[a], id+uint64(a*10+b), 8, fmt.Sprintf("10.%d.0.1:5000", b))
				}
			}
		}
		send(0)
		time.Sleep(time.Second)
		n.Heal()
		send(100)
		time.Sleep(time.Second)
		// Sent just before a partition: lost on the way.
		send(200)
		time.Sleep(10 * time.Millisecond)
		n.Partition(groups)
		time.Sleep(time.Second)
		n.Heal()

		tr := n.Traffic()
		checkBalance(t, tr)
		for b := range sites {
			var ids []uint64
			for _, r := range stops[b]() {
				ids = append(ids, r.id)
			}
			var want []uint64
			for _, round := range []uint64{0, 100, 200} {
				for a := range sites {
					if round == 100 || side[a] == side[b] || a == b {
						want = append(want, round+uint64(a*10+b))
					}
				}
			}
			slices.Sort(ids)
			if !slices.Equal(ids, want) {
				t.Errorf("site %d received %v, want %v", b, ids, want)
			}
			for a := range sites {
				p := tr.Pairs[Pair{a, b}]
				wantDrops := int64(0)
				if side[a] != side[b] {
					wantDrops = 2 // round 0 at sending, round 200 on the way
				}
				if p.Sent.Packets != 3 || p.Dropped[DropPartition].Packets != wantDrops || p.Delivered.Packets != 3-wantDrops {
					t.Errorf("pair %d→%d: %+v, want 3 sent, %d dropped by the partition", a, b, p, wantDrops)
				}
			}
		}
	})
}

// flowRecord is what a receiver saw of one flow: ids and one-way delays.
type flowRecord map[string][]string

// concurrentRun runs two flows from two goroutines over a lossy, jittery
// link, the goroutines started in the given order, and returns what
// arrived of each flow.
func concurrentRun(t *testing.T, seed uint64, order []int) flowRecord {
	rec := flowRecord{}
	synctest.Test(t, func(t *testing.T) {
		n, err := New(Config{Seed: seed, Sites: 2,
			Link: twoLevel(Link{RTT: 40 * time.Millisecond, Jitter: 8 * time.Millisecond, Loss: 0.3})})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		senders := []net.PacketConn{listen(t, n, "10.0.0.1:4001"), listen(t, n, "10.0.0.2:4001")}
		stop := reader(t, listen(t, n, "10.1.0.1:4001"))
		start := time.Now()
		var wg sync.WaitGroup
		for _, s := range order {
			wg.Go(func() {
				for i := range 300 {
					write(t, senders[s], uint64(i), 50+s, "10.1.0.1:4001")
					time.Sleep(time.Millisecond)
				}
			})
		}
		wg.Wait()
		time.Sleep(time.Second)
		for _, r := range stop() {
			rec[r.from] = append(rec[r.from], fmt.Sprintf("%d@%v", r.id, r.at.Sub(start)))
		}
	})
	return rec
}

// Same seed, same drops and delays per flow, whichever goroutine runs
// first; another seed changes them.
func TestSameSeedConcurrentFlows(t *testing.T) {
	first := concurrentRun(t, 11, []int{0, 1})
	second := concurrentRun(t, 11, []int{1, 0})
	for from, r := range first {
		t.Logf("flow from %s: %d of 300 packets arrived", from, len(r))
		if len(r) < 150 || len(r) > 270 {
			t.Errorf("flow from %s: %d of 300 arrived with 30%% loss", from, len(r))
		}
		if !slices.Equal(r, second[from]) {
			t.Errorf("flow from %s differs between runs", from)
		}
	}
	if len(first) != 2 || len(second) != 2 {
		t.Fatalf("flows %d and %d, want 2", len(first), len(second))
	}
	other := concurrentRun(t, 12, []int{0, 1})
	for from := range first {
		if slices.Equal(first[from], other[from]) {
			t.Errorf("flow from %s: another seed, same record", from)
		}
	}
}

// A squeezed endpoint's access link serialises its packets both ways and
// holds at most QueueDelay of them; unsqueezed, it adds nothing again.
func TestSqueeze(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, err := New(Config{Sites: 2, Link: twoLevel(wan)})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		a := listen(t, n, "10.0.0.1:4001")
		stop := reader(t, listen(t, n, "10.1.0.1:4001"))
		ipA, ipB := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.1.0.1")
		to := "10.1.0.1:4001"
		var sent []time.Time
		send := func(id uint64) {
			for uint64(len(sent)) <= id {
				sent = append(sent, time.Time{})
			}
			sent[id] = time.Now()
			write(t, a, id, 1222, to) // 1250 bytes: 10 ms at 1 Mbit/s
		}
		n.Squeeze(ipB, 1_000_000)
		send(0) // 20 + 10 ms
		time.Sleep(time.Second)
		n.Squeeze(ipA, 1_000_000)
		send(1) // 10 + 20 + 10 ms
		time.Sleep(time.Second)
		for i := range uint64(10) { // a burst: 6 fit in 50 ms of queue
			send(2 + i)
		}
		time.Sleep(time.Second)
		n.Squeeze(ipA, 0)
		n.Squeeze(ipB, 0)
		send(12)
		time.Sleep(time.Second)

		delays := map[uint64]time.Duration{}
		for _, r := range stop() {
			delays[r.id] = r.at.Sub(sent[r.id])
		}
		want := map[uint64]time.Duration{0: 30 * time.Millisecond, 1: 40 * time.Millisecond, 12: 20 * time.Millisecond}
		for i := range uint64(6) {
			want[2+i] = time.Duration(40+10*i) * time.Millisecond
		}
		if fmt.Sprint(delays) != fmt.Sprint(want) {
			t.Errorf("delays %v, want %v", delays, want)
		}
		tr := n.Traffic()
		checkBalance(t, tr)
		if d := tr.Pairs[Pair{0, 1}].Dropped[DropQueue].Packets; d != 4 {
			t.Errorf("%d packets dropped by the full queue, want 4", d)
		}
	})
}

// Floods: junk under the capacity leaves legitimate packets the rest of
// it; junk over it drops them with the overflow fraction and delays the
// rest by a full buffer; without a squeeze, junk does nothing. Junk is
// counted apart.
func TestFlood(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, err := New(Config{Seed: 5, Sites: 2, Link: twoLevel(wan)})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		a := listen(t, n, "10.0.0.1:4001")
		stop := reader(t, listen(t, n, "10.1.0.1:4001"))
		ipB := netip.MustParseAddr("10.1.0.1")
		to := "10.1.0.1:4001"
		// Phases of 1000 packets 100 ms apart (100 s each), 1250 bytes
		// on the wire.
		sent := map[uint64]time.Time{}
		phase := func(base uint64) {
			for i := range uint64(1000) {
				sent[base+i] = time.Now()
				write(t, a, base+i, 1222, to)
				time.Sleep(100 * time.Millisecond)
			}
			time.Sleep(time.Second)
		}
		n.Flood(ipB, 1000, 1222) // 10 Mbit/s of junk, unlimited access: no effect
		phase(0)
		n.Squeeze(ipB, 1_000_000)
		n.Flood(ipB, 50, 1222) // 0.5 of 1 Mbit/s: legit packets get 0.5 Mbit/s
		phase(1000)
		n.Flood(ipB, 200, 1222) // 2 Mbit/s on 1: half of everything is dropped
		phase(2000)
		n.Flood(ipB, 0, 0)
		before := n.Traffic().Endpoints[ipB]
		time.Sleep(time.Hour)
		after := n.Traffic().Endpoints[ipB]

		byPhase := [3][]time.Duration{}
		for _, r := range stop() {
			byPhase[r.id/1000] = append(byPhase[r.id/1000], r.at.Sub(sent[r.id]))
		}
		for i, want := range []time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond} {
			for _, d := range byPhase[i] {
				if d != want {
					t.Errorf("phase %d: delay %v, want %v", i, d, want)
					break
				}
			}
		}
		if len(byPhase[0]) != 1000 || len(byPhase[1]) != 1000 {
			t.Errorf("phases 0 and 1 delivered %d and %d of 1000", len(byPhase[0]), len(byPhase[1]))
		}
		if got := len(byPhase[2]); got < 450 || got > 550 {
			t.Errorf("saturated phase delivered %d of 1000, want about 500", got)
		}
		t.Logf("saturated by junk at twice the capacity: %d of 1000 delivered", len(byPhase[2]))

		// Junk: 1000/s for ~100.1 s, then 50/s, then 200/s (half
		// dropped), each phase 101 s long.
		const phaseSecs = 101
		wantJunk := int64((1000 + 50 + 200) * phaseSecs)
		if j := before.Junk.Packets; j < wantJunk-1 || j > wantJunk+1 {
			t.Errorf("junk %d packets, want %d", j, wantJunk)
		}
		if j := before.JunkDropped.Packets; j < 100*phaseSecs-1 || j > 100*phaseSecs+1 {
			t.Errorf("junk dropped %d packets, want %d", j, 100*phaseSecs)
		}
		if before.Junk.Bytes/before.Junk.Packets != 1250 {
			t.Errorf("junk %+v: want 1250 bytes a packet", before.Junk)
		}
		if after.Junk != before.Junk || after.JunkDropped != before.JunkDropped {
			t.Errorf("junk went on after the flood stopped: %+v then %+v", before, after)
		}
		checkBalance(t, n.Traffic())
	})
}

// Counters add up under a mixed workload: loss, jitter, bandwidth
// queues, partitions, a squeezed endpoint, a closed one, unroutable
// destinations, and every endpoint's received count matches its reads.
func TestCountersAddUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const sites = 3
		n, err := New(Config{Seed: 9, Sites: sites,
			Link: uniform(Link{RTT: 30 * time.Millisecond, Jitter: 5 * time.Millisecond, Bandwidth: 2_000_000, Loss: 0.05})})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		var addrs []string
		conns := map[string]net.PacketConn{}
		stops := map[string]func() []received{}
		for s := range sites {
			for h := 1; h <= 2; h++ {
				a := fmt.Sprintf("10.%d.0.%d:4001", s, h)
				addrs = append(addrs, a)
				conns[a] = listen(t, n, a)
				stops[a] = reader(t, listen(t, n, fmt.Sprintf("10.%d.0.%d:5000", s, h)))
			}
		}
		n.Squeeze(netip.MustParseAddr("10.2.0.2"), 500_000)
		targets := []string{"10.9.0.1:1", "192.168.0.1:1", "10.1.0.9:5000"} // outside, outside, nobody
		for _, a := range addrs {
			targets = append(targets, a[:len(a)-4]+"5000")
		}
		x := uint64(1)
		for step := range 3000 {
			x = mix(x)
			from := addrs[x%uint64(len(addrs))]
			to := targets[(x>>8)%uint64(len(targets))]
			write(t, conns[from], uint64(step), 8+int(x>>16)%1400, to)
			switch step {
			case 1000:
				n.Partition([][]int{{0}})
			case 1500:
				n.Heal()
			case 2000:
				stops["10.1.0.2:4001"]() // closes 10.1.0.2:5000
				delete(stops, "10.1.0.2:4001")
			}
			if x>>40%4 == 0 {
				time.Sleep(time.Duration(x>>44%3000) * time.Microsecond)
			}
		}
		time.Sleep(10 * time.Second)
		tr := n.Traffic()
		checkBalance(t, tr)
		var reasons [NumDropReasons]int64
		for _, p := range tr.Pairs {
			for r, c := range p.Dropped {
				reasons[r] += c.Packets
			}
		}
		t.Logf("drops by reason (loss, partition, queue, unreachable): %v; unroutable %d", reasons, tr.Unroutable.Packets)
		for r, c := range reasons {
			if c == 0 {
				t.Errorf("no drop for reason %v: the workload does not exercise it", DropReason(r))
			}
		}
		if tr.Unroutable.Packets == 0 {
			t.Error("no unroutable packet")
		}
		for a, stop := range stops {
			got := len(stop())
			ip := netip.MustParseAddrPort(a).Addr()
			if want := tr.Endpoints[ip].Received.Packets; int64(got) != want {
				t.Errorf("%s read %d packets, counted %d", a, got, want)
			}
		}
		n.ResetTraffic()
		if tr := n.Traffic(); len(tr.Pairs) != 0 || tr.Endpoints[netip.MustParseAddr("10.0.0.1")] != (EndpointTraffic{}) {
			t.Errorf("after reset: %+v", tr)
		}
	})
}

// Close unblocks readers with net.ErrClosed and frees the address; an
// address in use, or outside the network, is refused.
func TestListenAndClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, err := New(Config{Sites: 5, Link: twoLevel(wan)})
		if err != nil {
			t.Fatal(err)
		}
		c := listen(t, n, "10.4.0.1:4001")
		if _, err := n.Listen(addr("10.4.0.1:4001")); !errors.Is(err, ErrAddrInUse) {
			t.Errorf("second listen: %v, want ErrAddrInUse", err)
		}
		for _, bad := range []*net.UDPAddr{nil, addr("10.5.0.1:1"), addr("11.0.0.1:1"), addr("[fd00::1]:1"),
			{IP: net.IP{1, 2, 3}, Port: 1}, {IP: net.IPv4(10, 0, 0, 1), Port: 70000}} {
			if _, err := n.Listen(bad); !errors.Is(err, ErrBadAddress) {
				t.Errorf("listen %v: %v, want ErrBadAddress", bad, err)
			}
		}
		mapped, err := n.Listen(&net.UDPAddr{IP: net.IPv4(10, 3, 0, 1), Port: 7})
		if err != nil || mapped.LocalAddr().String() != "10.3.0.1:7" {
			t.Errorf("listen on an IPv4-in-IPv6 address: %v, %v", mapped, err)
		}
		e1, e2 := listen(t, n, "10.2.0.1:0"), listen(t, n, "10.2.0.1:0")
		if e1.LocalAddr().String() != "10.2.0.1:49152" || e2.LocalAddr().String() != "10.2.0.1:49153" {
			t.Errorf("ephemeral ports %v and %v", e1.LocalAddr(), e2.LocalAddr())
		}

		errc := make(chan error)
		go func() {
			_, _, err := c.ReadFrom(make([]byte, 10))
			errc <- err
		}()
		time.Sleep(time.Minute)
		synctest.Wait()
		select {
		case err := <-errc:
			t.Fatalf("read returned %v with nothing sent", err)
		default:
		}
		start := time.Now()
		c.Close()
		if err := <-errc; !errors.Is(err, net.ErrClosed) || time.Since(start) != 0 {
			t.Errorf("blocked read after Close: %v after %v", err, time.Since(start))
		}
		if _, _, err := c.ReadFrom(make([]byte, 10)); !errors.Is(err, net.ErrClosed) {
			t.Errorf("read after Close: %v", err)
		}
		if _, err := c.WriteTo([]byte("x"), addr("10.0.0.1:1")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("write after Close: %v", err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		again := listen(t, n, "10.4.0.1:4001") // a restarted node
		c.Close()                              // closing the old one does not free the new one
		if _, err := n.Listen(addr("10.4.0.1:4001")); !errors.Is(err, ErrAddrInUse) {
			t.Errorf("listen after the old connection closed again: %v, want ErrAddrInUse", err)
		}

		go func() {
			_, _, err := again.ReadFrom(make([]byte, 10))
			errc <- err
		}()
		synctest.Wait()
		n.Close()
		if err := <-errc; !errors.Is(err, net.ErrClosed) {
			t.Errorf("blocked read after the network closed: %v", err)
		}
		if _, err := n.Listen(addr("10.0.0.1:1")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("listen after the network closed: %v", err)
		}
		if _, err := e1.WriteTo([]byte("x"), addr("10.0.0.1:1")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("write after the network closed: %v", err)
		}
	})
}

// Read deadlines wake readers in virtual time with a timeout error; a
// deadline set while a reader waits applies to it; write deadlines fail
// writes; bad destinations are refused; a short buffer truncates.
func TestDeadlinesAndWrites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, err := New(Config{Sites: 2, Link: twoLevel(wan)})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		a, b := listen(t, n, "10.0.0.1:4001"), listen(t, n, "10.1.0.1:4001")

		start := time.Now()
		b.SetReadDeadline(start.Add(30 * time.Millisecond))
		_, _, err = b.ReadFrom(make([]byte, 10))
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("read past the deadline: %v", err)
		}
		if d := time.Since(start); d != 30*time.Millisecond {
			t.Errorf("read gave up after %v, want 30ms", d)
		}

		// A packet before the deadline is read.
		b.SetDeadline(time.Now().Add(time.Second))
		write(t, a, 7, 100, "10.1.0.1:4001")
		buf := make([]byte, 10) // shorter than the datagram
		nr, from, err := b.ReadFrom(buf)
		if err != nil || nr != 10 || from.String() != "10.0.0.1:4001" {
			t.Errorf("read %d bytes from %v: %v", nr, from, err)
		}

		// A deadline set while a reader waits wakes it.
		b.SetReadDeadline(time.Time{})
		errc := make(chan error)
		go func() {
			_, _, err := b.ReadFrom(buf)
			errc <- err
		}()
		time.Sleep(time.Hour)
		b.SetReadDeadline(time.Now())
		if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("read woken by a deadline: %v", err)
		}

		a.SetWriteDeadline(time.Now().Add(-time.Second))
		if _, err := a.WriteTo([]byte("x"), addr("10.1.0.1:4001")); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("write past the deadline: %v", err)
		}
		a.SetWriteDeadline(time.Time{})
		if _, err := a.WriteTo([]byte("x"), &net.TCPAddr{IP: net.IPv4(10, 1, 0, 1), Port: 4001}); !errors.Is(err, ErrNotUDP) {
			t.Errorf("write to a TCP address: %v", err)
		}
		if _, err := a.WriteTo(make([]byte, 65508), addr("10.1.0.1:4001")); !errors.Is(err, ErrTooLarge) {
			t.Errorf("write of 65508 bytes: %v", err)
		}
		if _, err := a.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IP{1}, Port: 1}); !errors.Is(err, ErrBadAddress) {
			t.Errorf("write to a malformed address: %v", err)
		}
		if err := a.(interface{ SetReadBuffer(int) error }).SetReadBuffer(1 << 20); err != nil {
			t.Errorf("SetReadBuffer: %v", err)
		}
	})
}

// A connection holds at most ReadBuffer bytes of unread datagrams.
func TestReadBuffer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, err := New(Config{Sites: 1, ReadBuffer: 10_000})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		a, b := listen(t, n, "10.0.0.1:1"), listen(t, n, "10.0.0.2:1")
		for i := range 25 {
			write(t, a, uint64(i), 1000, "10.0.0.2:1")
		}
		time.Sleep(time.Second)
		tr := n.Traffic()
		checkBalance(t, tr)
		if p := tr.Pairs[Pair{0, 0}]; p.Delivered.Packets != 10 || p.Dropped[DropQueue].Packets != 15 {
			t.Errorf("%+v, want 10 delivered and 15 dropped", p)
		}
		stop := reader(t, b)
		time.Sleep(time.Second)
		if got := stop(); len(got) != 10 || got[9].id != 9 {
			t.Errorf("read %d packets", len(got))
		}
	})
}

// New refuses what it cannot simulate; SetLink, Partition, Squeeze and
// Flood panic on bad arguments.
func TestBadArguments(t *testing.T) {
	for _, cfg := range []Config{
		{Sites: 0}, {Sites: 256}, {Sites: 1, QueueDelay: -1},
		{Sites: 2, Link: uniform(Link{RTT: -1})},
		{Sites: 2, Link: uniform(Link{Loss: 1.5})},
		{Sites: 2, Link: uniform(Link{Bandwidth: -1})},
		{Sites: 2, Link: uniform(Link{Jitter: -1})},
		{Sites: 2, Link: func(a, b int) Link { return Link{RTT: time.Duration(a)} }},
	} {
		if _, err := New(cfg); !errors.Is(err, ErrBadConfig) {
			t.Errorf("New(%+v): %v, want ErrBadConfig", cfg, err)
		}
	}
	n, err := New(Config{Sites: 3})
	if err != nil {
		t.Fatal(err)
	}
	ip := netip.MustParseAddr("10.0.0.1")
	for name, f := range map[string]func(){
		"SetLink site":     func() { n.SetLink(0, 3, Link{}) },
		"SetLink figures":  func() { n.SetLink(0, 1, Link{Loss: -1}) },
		"Link":             func() { n.Link(-1, 0) },
		"Connected":        func() { n.Connected(0, 3) },
		"Partition site":   func() { n.Partition([][]int{{4}}) },
		"Partition twice":  func() { n.Partition([][]int{{0}, {0, 1}}) },
		"Squeeze address":  func() { n.Squeeze(netip.MustParseAddr("10.3.0.1"), 1) },
		"Squeeze capacity": func() { n.Squeeze(ip, -1) },
		"Flood rate":       func() { n.Flood(ip, -1, 1) },
		"Flood size":       func() { n.Flood(ip, 1, 70000) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	n.SetLink(2, 1, Link{RTT: time.Second})
	if l := n.Link(1, 2); l.RTT != time.Second {
		t.Errorf("SetLink(2, 1) then Link(1, 2) = %+v", l)
	}
}

// FuzzListen: no address makes Listen or WriteTo panic, and Listen
// accepts exactly the simulated ones.
func FuzzListen(f *testing.F) {
	f.Add([]byte{10, 0, 0, 1}, 4001)
	f.Add([]byte{10, 3, 0, 1}, 0)
	f.Add([]byte(net.IPv4(10, 1, 2, 3)), 65535)
	f.Add([]byte{}, -1)
	f.Fuzz(func(t *testing.T, ip []byte, port int) {
		n, err := New(Config{Sites: 3})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		a := &net.UDPAddr{IP: ip, Port: port}
		c, err := n.Listen(a)
		parsed, ok := netip.AddrFromSlice(ip)
		parsed = parsed.Unmap()
		want := ok && parsed.Is4() && parsed.As4()[0] == 10 && parsed.As4()[1] < 3 && port >= 0 && port <= 65535
		if (err == nil) != want {
			t.Fatalf("Listen(%v): %v, want accepted %v", a, err, want)
		}
		if err == nil {
			c.WriteTo([]byte("x"), a)
			c.Close()
		}
	})
}
