package node

import (
	"sync/atomic"

	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/transport"
	"github.com/prometheus/client_golang/prometheus"
)

// Refusal reasons counted by Metrics.Refused. They describe the request,
// never its contents.
const (
	reasonRole     = "role"     // the caller's role may not use the protocol
	reasonLimits   = "limits"   // too many items, a nonce or pseudonym of the wrong size
	reasonInvalid  = "invalid"  // verification failed (bad seal, proof, manifest, registry name)
	reasonInternal = "internal" // the node could not answer (store error)
)

var (
	refusalProtocols = []string{"store", "get", "handoff", "keysetup", "query", "fedkey"}
	// queryResults label embassy_queries_total: ok, or a refusal code.
	queryResults = []string{"ok", protocol.CodeMalformed, protocol.CodeUnknownKey, protocol.CodeBadSignature,
		protocol.CodeExpired, protocol.CodeLifetime, protocol.CodeReplay, protocol.CodePolicy, protocol.CodeInvalid,
		protocol.CodeRoster, protocol.CodeNotReady, protocol.CodeState, protocol.CodeInternal}
	queryPhases    = []string{"prepare", "evaluate"}
	refusalReasons = []string{reasonRole, reasonLimits, reasonInvalid, reasonInternal,
		transport.RefusedBusy, transport.RefusedMalformed}
)

// Metrics counts what a node has done since it started. Every counter is an
// aggregate: nothing here names a record, a pseudonym or a caller. The
// handlers update it; the status page and /metrics read it.
type Metrics struct {
	StoreOK          atomic.Uint64 // Store requests answered with success
	StoreRefused     atomic.Uint64 // Store requests refused
	RecordsStored    atomic.Uint64 // record versions newly written (Store requests and parcels)
	RecordsPresent   atomic.Uint64 // record versions received again and already held
	GetOK            atomic.Uint64 // Get requests answered
	GetRefused       atomic.Uint64 // Get requests refused
	KeysServed       atomic.Uint64 // pseudonyms asked for in answered Get requests and found
	KeysMissing      atomic.Uint64 // pseudonyms asked for in answered Get requests and not held
	ParcelsAccepted  atomic.Uint64 // parcels for this node opened and stored
	ParcelsRefused   atomic.Uint64 // parcels refused (bad id, signature or contents)
	ParcelsHeld      atomic.Uint64 // parcels taken to hold for another node
	ParcelsDelivered atomic.Uint64 // held parcels their target accepted
	ParcelsSetAside  atomic.Uint64 // held parcels their target refused for good

	refused map[[2]string]*atomic.Uint64 // [protocol, reason]
	queries map[[2]string]*atomic.Uint64 // [phase, result]
	series  []counterSeries
}

// Query counts one query request of phase ("prepare", "evaluate") with
// result "ok" or a refusal code.
func (m *Metrics) Query(phase, result string) {
	if c := m.queries[[2]string{phase, result}]; c != nil {
		c.Add(1)
	}
}

// NewMetrics returns zeroed counters.
func NewMetrics() *Metrics {
	m := &Metrics{refused: map[[2]string]*atomic.Uint64{}, queries: map[[2]string]*atomic.Uint64{}}
	for _, p := range queryPhases {
		for _, r := range queryResults {
			m.queries[[2]string{p, r}] = new(atomic.Uint64)
		}
	}
	for _, p := range refusalProtocols {
		for _, r := range refusalReasons {
			m.refused[[2]string{p, r}] = new(atomic.Uint64)
		}
	}
	m.series = m.makeSeries()
	return m
}

// Refuse counts one refused request of protocol ("store", "get",
// "handoff") for reason.
func (m *Metrics) Refuse(protocol, reason string) {
	if c := m.refused[[2]string{protocol, reason}]; c != nil {
		c.Add(1)
	}
}

// Counters is a snapshot of Metrics, as the status page shows it.
type Counters struct {
	StoreRequestsOK      uint64 `json:"store_requests_ok"`
	StoreRequestsRefused uint64 `json:"store_requests_refused"`
	RecordsStored        uint64 `json:"records_stored"`
	RecordsAlreadyHeld   uint64 `json:"records_already_held"`
	GetRequestsOK        uint64 `json:"get_requests_ok"`
	GetRequestsRefused   uint64 `json:"get_requests_refused"`
	GetKeysServed        uint64 `json:"get_keys_served"`
	GetKeysMissing       uint64 `json:"get_keys_missing"`
	ParcelsAccepted      uint64 `json:"parcels_accepted"`
	ParcelsRefused       uint64 `json:"parcels_refused"`
	ParcelsHeld          uint64 `json:"parcels_taken_to_hold"`
	ParcelsDelivered     uint64 `json:"parcels_delivered"`
	ParcelsSetAside      uint64 `json:"parcels_set_aside"`
}

// Snapshot reads every counter.
func (m *Metrics) Snapshot() Counters {
	return Counters{
		StoreRequestsOK: m.StoreOK.Load(), StoreRequestsRefused: m.StoreRefused.Load(),
		RecordsStored: m.RecordsStored.Load(), RecordsAlreadyHeld: m.RecordsPresent.Load(),
		GetRequestsOK: m.GetOK.Load(), GetRequestsRefused: m.GetRefused.Load(),
		GetKeysServed: m.KeysServed.Load(), GetKeysMissing: m.KeysMissing.Load(),
		ParcelsAccepted: m.ParcelsAccepted.Load(), ParcelsRefused: m.ParcelsRefused.Load(),
		ParcelsHeld: m.ParcelsHeld.Load(), ParcelsDelivered: m.ParcelsDelivered.Load(),
		ParcelsSetAside: m.ParcelsSetAside.Load(),
	}
}

// counterSeries is one exported counter series.
type counterSeries struct {
	desc   *prometheus.Desc
	v      *atomic.Uint64
	labels []string
}

// makeSeries lists every counter series with its Prometheus description.
func (m *Metrics) makeSeries() []counterSeries {
	storeReq := prometheus.NewDesc("embassy_store_requests_total",
		"Store requests from the custodian, by result (ok or refused).", []string{"result"}, nil)
	getReq := prometheus.NewDesc("embassy_get_requests_total",
		"Get requests, by result (ok or refused).", []string{"result"}, nil)
	records := prometheus.NewDesc("embassy_store_records_total",
		"Record versions newly stored (from Store requests and delivered parcels).", nil, nil)
	present := prometheus.NewDesc("embassy_store_records_already_held_total",
		"Record versions received again that this node already held.", nil, nil)
	keys := prometheus.NewDesc("embassy_get_keys_total",
		"Keys (pseudonyms) asked for in answered Get requests, by result (found or missing).", []string{"result"}, nil)
	recv := prometheus.NewDesc("embassy_handoff_parcels_received_total",
		"Parcels received, by outcome: accepted (for this node, stored), held (for another node), refused.",
		[]string{"outcome"}, nil)
	sent := prometheus.NewDesc("embassy_handoff_parcels_sent_total",
		"Held parcels offered to their target, by outcome: delivered, set_aside (refused for good).",
		[]string{"outcome"}, nil)
	refused := prometheus.NewDesc("embassy_requests_refused_total",
		"Requests refused, by protocol and reason (role, busy, malformed: reset before reading or decoding; limits, invalid, internal: refused by the handler).",
		[]string{"protocol", "reason"}, nil)
	s := []counterSeries{
		{storeReq, &m.StoreOK, []string{"ok"}},
		{storeReq, &m.StoreRefused, []string{"refused"}},
		{getReq, &m.GetOK, []string{"ok"}},
		{getReq, &m.GetRefused, []string{"refused"}},
		{records, &m.RecordsStored, nil},
		{present, &m.RecordsPresent, nil},
		{keys, &m.KeysServed, []string{"found"}},
		{keys, &m.KeysMissing, []string{"missing"}},
		{recv, &m.ParcelsAccepted, []string{"accepted"}},
		{recv, &m.ParcelsHeld, []string{"held"}},
		{recv, &m.ParcelsRefused, []string{"refused"}},
		{sent, &m.ParcelsDelivered, []string{"delivered"}},
		{sent, &m.ParcelsSetAside, []string{"set_aside"}},
	}
	for _, p := range refusalProtocols {
		for _, r := range refusalReasons {
			s = append(s, counterSeries{refused, m.refused[[2]string{p, r}], []string{p, r}})
		}
	}
	queries := prometheus.NewDesc("embassy_queries_total",
		"Encrypted-query requests, by phase (prepare, evaluate) and result (ok, or the refusal code).",
		[]string{"phase", "result"}, nil)
	for _, p := range queryPhases {
		for _, r := range queryResults {
			s = append(s, counterSeries{queries, m.queries[[2]string{p, r}], []string{p, r}})
		}
	}
	return s
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	seen := map[*prometheus.Desc]bool{}
	for _, s := range m.series {
		if !seen[s.desc] {
			seen[s.desc] = true
			ch <- s.desc
		}
	}
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, s := range m.series {
		ch <- prometheus.MustNewConstMetric(s.desc, prometheus.CounterValue, float64(s.v.Load()), s.labels...)
	}
}
