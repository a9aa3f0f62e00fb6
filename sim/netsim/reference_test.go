package netsim

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// send is one datagram of a random workload.
type refSend struct {
	at       time.Duration // since the start
	src, dst netip.AddrPort
	size     int
}

// reference computes, without queues of events, when each datagram of a
// workload arrives (or that it is dropped) when access links are
// unlimited: the datagrams of one instant taken flow by flow in the
// order of their seeded rank; the loss draw; the directed site link as a
// FIFO of its bandwidth, holding at most queueDelay; RTT/2 plus the
// link's jitter for the time slot; a flow's order; and the hand-over of
// one datagram per nanosecond, in order of arrival and, at one instant,
// of launch. Sends must be in time order.
func reference(seed uint64, sites int, link func(a, b int) Link, queueDelay time.Duration, sends []refSend) []string {
	site := func(a netip.AddrPort) int { return int(a.Addr().As4()[1]) }
	epoch := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) // a bubble's start
	free := map[[2]int]time.Duration{}
	last := map[flowKey]time.Duration{}
	out := make([]string, len(sends))
	type landing struct {
		at time.Duration
		i  int // in sends
	}
	var landings []landing // in launch order
	for from := 0; from < len(sends); {
		to := from
		for to < len(sends) && sends[to].at == sends[from].at {
			to++
		}
		at := epoch.Add(sends[from].at)
		order := make([]int, 0, to-from)
		for i := from; i < to; i++ {
			order = append(order, i)
		}
		slices.SortStableFunc(order, func(i, j int) int {
			a, b := sends[i], sends[j]
			return cmp.Or(cmp.Compare(orderDraw(seed, a.src, a.dst, at), orderDraw(seed, b.src, b.dst, at)),
				a.src.Compare(b.src), a.dst.Compare(b.dst))
		})
		index := map[flowKey]uint64{}
		for _, i := range order {
			s := sends[i]
			k := flowKey{s.src, s.dst}
			idx := index[k]
			index[k]++
			a, b := site(s.src), site(s.dst)
			l := link(a, b)
			if unit(packetDraw(seed, s.src, s.dst, at, idx, drawLoss)) < l.Loss {
				out[i] = "loss"
				continue
			}
			start := max(s.at, free[[2]int{a, b}])
			if start-s.at > queueDelay {
				out[i] = "queue"
				continue
			}
			bits := int64(s.size+28) * 8
			done := start + time.Duration((bits*1e9+l.Bandwidth-1)/l.Bandwidth)
			free[[2]int{a, b}] = done
			arrival := max(done+l.RTT/2+below(jitterDraw(seed, a, b, at), l.Jitter), last[k])
			last[k] = arrival
			landings = append(landings, landing{arrival, i})
		}
		from = to
	}
	slices.SortStableFunc(landings, func(a, b landing) int { return cmp.Compare(a.at, b.at) })
	handed := time.Duration(-1)
	for _, a := range landings {
		handed = max(a.at, handed+1)
		out[a.i] = fmt.Sprint(handed)
	}
	return out
}

// The network computes the reference's arrivals and drops exactly, for
// random workloads over links of random figures.
func TestAgainstReference(t *testing.T) {
	allDrops := map[string]int{}
	for seed := range uint64(8) {
		rng := rand.New(rand.NewPCG(seed, 77))
		const sites = 3
		links := map[[2]int]Link{}
		for a := range sites {
			for b := a; b < sites; b++ {
				l := Link{RTT: time.Duration(rng.IntN(100_000)) * time.Microsecond,
					Jitter:    time.Duration(rng.IntN(10_000)) * time.Microsecond,
					Bandwidth: int64(500_000 + rng.IntN(5_000_000)), Loss: rng.Float64() * 0.2}
				links[[2]int{a, b}], links[[2]int{b, a}] = l, l
			}
		}
		link := func(a, b int) Link { return links[[2]int{a, b}] }
		var hosts []netip.AddrPort
		for s := range sites {
			for h := range 3 {
				hosts = append(hosts, netip.MustParseAddrPort(fmt.Sprintf("10.%d.0.%d:4001", s, h+1)))
			}
		}
		var sends []refSend
		at := time.Duration(0)
		for range 2000 {
			if rng.IntN(3) == 0 {
				at += time.Duration(rng.IntN(5000)) * time.Microsecond
			}
			// From port 4001 to port 5000, where readers record
			// arrivals.
			sends = append(sends, refSend{at: at, src: hosts[rng.IntN(len(hosts))],
				dst: netip.AddrPortFrom(hosts[rng.IntN(len(hosts))].Addr(), 5000), size: 8 + rng.IntN(1400)})
		}
		want := reference(seed, sites, link, DefaultQueueDelay, sends)

		got := make([]string, len(sends))
		synctest.Test(t, func(t *testing.T) {
			n, err := New(Config{Seed: seed, Sites: sites, Link: link})
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			conns := map[netip.AddrPort]net.PacketConn{}
			var stops []func() []received
			for _, h := range hosts {
				conns[h] = listen(t, n, h.String())
				stops = append(stops, reader(t, listen(t, n, netip.AddrPortFrom(h.Addr(), 5000).String())))
			}
			start := time.Now()
			for i, s := range sends {
				time.Sleep(s.at - time.Since(start))
				write(t, conns[s.src], uint64(i), s.size, s.dst.String())
			}
			time.Sleep(10 * time.Second)
			for i := range got {
				got[i] = "dropped"
			}
			for _, stop := range stops {
				for _, r := range stop() {
					got[r.id] = fmt.Sprint(r.at.Sub(start))
				}
			}
			tr := n.Traffic()
			checkBalance(t, tr)
		})
		mismatches := 0
		drops := map[string]int{}
		for i := range want {
			w := want[i]
			if w == "loss" || w == "queue" {
				drops[w]++
				w = "dropped"
			}
			if got[i] != w {
				if mismatches < 5 {
					t.Errorf("seed %d, datagram %d (%+v): got %s, want %s", seed, i, sends[i], got[i], want[i])
				}
				mismatches++
			}
		}
		if mismatches > 0 {
			t.Errorf("seed %d: %d of %d datagrams differ from the reference", seed, mismatches, len(sends))
		}
		t.Logf("seed %d: %d datagrams, drops %v", seed, len(sends), drops)
		for k, v := range drops {
			allDrops[k] += v
		}
	}
	if allDrops["loss"] == 0 || allDrops["queue"] == 0 {
		t.Errorf("drops %v: the workloads do not test both kinds", allDrops)
	}
}
