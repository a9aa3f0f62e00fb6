package run

import (
	"sync"
	"time"

	"github.com/dataembassy/embassy/protocol"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	libp2pprotocol "github.com/libp2p/go-libp2p/core/protocol"
)

// Cost is the modelled CPU time of one request on a node: Base plus PerKiB
// for every KiB of request read. Inside the simulation computation takes
// no virtual time, so the node's handler sleeps this long, holding one of
// the node's cores, before it answers.
type Cost struct {
	Base   time.Duration
	PerKiB time.Duration
}

func (c Cost) of(requestBytes int64) time.Duration {
	return c.Base + time.Duration(requestBytes)*c.PerKiB/1024
}

// CostModel is what operations cost in virtual time. The simulation runs
// the homomorphic encryption at the fast test parameters (LogN 12) to save
// wall time and charges the cost of the production parameters (LogN 14)
// measured on this project's 2-core reference machine (ROADMAP.md,
// "Measured"; `embassy bench query`).
type CostModel struct {
	// Node is the cost of answering one request, by protocol.
	Node map[protocol.ID]Cost
	// Cores is how many requests a node computes at once; more wait.
	Cores int
	// Client-side work, charged in the client's own virtual time:
	IngestBatch     time.Duration // encrypting one batch's statistics delta
	IngestPerRecord time.Duration // splitting, sealing and signing one record
	LookupPerRecord time.Duration // verifying and combining the shares of one record
	QueryCombine    time.Duration // the coordinator combining key-switch shares and the service decrypting
}

// DefaultCosts are the measured production costs:
//   - get: index and store reads, about 0.2 ms plus 20 µs per KiB asked;
//   - store: 7.8 µs per record with synchronous commits (about 300 bytes
//     of request per record: 26 µs per KiB) plus 5 ms to check and fold
//     the batch's statistics delta;
//   - query: an evaluation (64 ms), re-randomisation (6 ms) and a
//     key-switch share (14 ms) for a GROUP BY over the population cube;
//     preparing is about 1 ms;
//   - fedkey, handoff, keysetup: 1 ms plus 26 µs per KiB;
//   - client: 11 ms to encrypt a batch's delta plus 2.3 µs to split each
//     record (and about 20 µs to seal and sign it), 50 µs to verify and
//     combine a record's shares, 10 ms to combine shares and decrypt a
//     query's answer.
func DefaultCosts() CostModel {
	io := Cost{Base: time.Millisecond, PerKiB: 26 * time.Microsecond}
	return CostModel{
		Node: map[protocol.ID]Cost{
			protocol.GetID:        {Base: 200 * time.Microsecond, PerKiB: 20 * time.Microsecond},
			protocol.StoreID:      {Base: 5 * time.Millisecond, PerKiB: 26 * time.Microsecond},
			protocol.QueryProtoID: {Base: 84 * time.Millisecond},
			protocol.FedKeyID:     io,
			protocol.HandoffID:    io,
			protocol.KeySetupID:   io,
		},
		Cores:           4,
		IngestBatch:     11 * time.Millisecond,
		IngestPerRecord: 22 * time.Microsecond,
		LookupPerRecord: 50 * time.Microsecond,
		QueryCombine:    10 * time.Millisecond,
	}
}

// cpu is one node's cores: a request holds one while it computes.
type cpu chan struct{}

func newCPU(cores int) cpu { return make(cpu, max(1, cores)) }

// spend holds a core for d of virtual time, or until closed (the node is
// being killed: what it computes no longer matters, and a kill must not
// wait for it).
func (c cpu) spend(d time.Duration, closed <-chan struct{}) {
	if d <= 0 {
		return
	}
	select {
	case c <- struct{}{}:
	case <-closed:
		return
	}
	defer func() { <-c }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-closed:
	}
}

// costHost charges the cost model on every stream the node handles. The
// node's code is unchanged: its handlers see a stream that, at the first
// byte of the answer, takes the modelled time.
type costHost struct {
	host.Host
	model     map[protocol.ID]Cost
	cpu       cpu
	closed    chan struct{}
	closeOnce sync.Once
}

func newCostHost(h host.Host, model map[protocol.ID]Cost, c cpu) *costHost {
	return &costHost{Host: h, model: model, cpu: c, closed: make(chan struct{})}
}

// Close ends every modelled computation at once, then closes the host.
func (h *costHost) Close() error {
	h.closeOnce.Do(func() { close(h.closed) })
	return h.Host.Close()
}

func (h *costHost) SetStreamHandler(pid libp2pprotocol.ID, handler network.StreamHandler) {
	cost, ok := h.model[protocol.ID(pid)]
	if !ok {
		h.Host.SetStreamHandler(pid, handler)
		return
	}
	h.Host.SetStreamHandler(pid, func(s network.Stream) {
		handler(&costStream{Stream: s, cost: cost, cpu: h.cpu, closed: h.closed})
	})
}

// costStream counts the request's bytes and charges the cost once, before
// the first byte of the answer (or the close) goes out.
type costStream struct {
	network.Stream
	cost    Cost
	cpu     cpu
	closed  <-chan struct{}
	once    sync.Once
	readLen int64
}

func (s *costStream) Read(p []byte) (int, error) {
	n, err := s.Stream.Read(p)
	s.readLen += int64(n)
	return n, err
}

func (s *costStream) charge() { s.once.Do(func() { s.cpu.spend(s.cost.of(s.readLen), s.closed) }) }

func (s *costStream) Write(p []byte) (int, error) {
	s.charge()
	return s.Stream.Write(p)
}

func (s *costStream) Close() error {
	s.charge()
	return s.Stream.Close()
}
