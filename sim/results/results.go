package results

import (
	"fmt"
	"time"
)

// Run is everything one simulation run produced.
type Run struct {
	Scenario    string
	Description string
	Seed        uint64
	Duration    time.Duration
	Threshold   int
	// Params are the sweep settings of this run (e.g. nodes=7,
	// threshold=4); empty outside sweeps.
	Params map[string]string
	// Dir is the run's directory name relative to its sweep's directory
	// (a single path element), for the sweep's links; empty outside
	// sweeps.
	Dir string
	// SampleInterval is the spacing of Samples; each sample counts the
	// operations finished in (T-SampleInterval, T].
	SampleInterval time.Duration

	Sites   []Site
	Links   []Link // undirected, the topology at start
	Nodes   []Node
	Clients []Client
	Events  []Event // the timeline as it happened, in order
	Ops     []Op
	Samples []Sample // availability over time
	Traffic []Traffic
}

// Site is a place where nodes and clients stand.
type Site struct {
	ID, City, Country string
	Lat, Lon          float64 // degrees north and east
}

// Link is the path between two sites at the start of the run, the same
// both ways.
type Link struct {
	A, B      string // site ids
	RTT       time.Duration
	Bandwidth int64   // bit/s
	Loss      float64 // probability of losing a packet, 0 ≤ Loss < 1
}

// Node is one embassy node.
type Node struct {
	Name  string // "node3"
	Index int    // 3
	Site  string
}

// Client is a custodian or service client of the workload.
type Client struct {
	Name, Site, Role string
}

// Event types.
const (
	EventStart  = "start"
	EventAction = "action" // a timeline step: Action says which
	EventOp     = "op"     // an operation finished: Op says which
	EventEnd    = "end"
)

// Actions of EventAction, the steps of an expanded scenario timeline.
const (
	ActionKill      = "kill"
	ActionRestart   = "restart"
	ActionPartition = "partition"
	ActionHeal      = "heal"
	ActionDegrade   = "degrade"
	ActionRestore   = "restore"
	ActionDDoS      = "ddos"
	ActionDDoSEnd   = "ddos-end"
	ActionByzantine = "byzantine"
	ActionHonest    = "honest"
)

// Event is one line of events.jsonl.
type Event struct {
	T      time.Duration // virtual time since the scenario start
	Type   string        // EventStart, EventAction, EventOp or EventEnd
	Action string        // for EventAction: the kind
	// Target is a node name, a link "a-b", or partition groups of site
	// ids "tallinn | luxembourg frankfurt".
	Target string
	Detail string // free text (e.g. the action's String())
	Op     *Op    // for EventOp, and only for it
}

// Operation kinds.
const (
	KindIngest = "ingest"
	KindLookup = "lookup"
	KindQuery  = "query"
)

// Failure reasons of an Op.
const (
	ReasonThreshold   = "threshold"
	ReasonTimeout     = "timeout"
	ReasonRefused     = "refused"
	ReasonCorrupt     = "corrupt"
	ReasonWrongAnswer = "wrong-answer"
	ReasonError       = "error"
)

// Op is one operation of the workload.
type Op struct {
	Start    time.Duration // virtual, since the scenario start
	Latency  time.Duration
	Kind     string // KindIngest, KindLookup, KindQuery
	Client   string
	Site     string
	Registry string
	OK       bool
	// Reason is "" when OK; else a short code (ReasonThreshold, ...).
	Reason string
	Error  string // the error text, when not OK
	// Reachable is how many nodes the client could reach when the op
	// started.
	Reachable int
}

// Sample is one client's view of the network at one instant; there is one
// per client per sampling interval.
type Sample struct {
	T         time.Duration
	Client    string
	Site      string
	NodesUp   int
	Reachable int
	Threshold int
	Margin    int // Reachable - Threshold
	OK        int // operations of this client finished in (T-interval, T]
	Failed    int
}

// Traffic scopes.
const (
	ScopeEndpoint = "endpoint" // Name is a node or client
	ScopeLink     = "link"     // Name is a directed site pair "tallinn>frankfurt"
)

// Traffic is what one endpoint, or one directed site pair, carried over
// the whole run.
type Traffic struct {
	Scope                                             string
	Name                                              string
	BytesOut, BytesIn, PacketsOut, PacketsIn, Dropped int64
}

// FormatTime renders a time since the scenario start as h:mm:ss.mmm, the
// form of the event log's "t" and of the scenario transcripts.
func FormatTime(d time.Duration) string {
	neg := ""
	if d < 0 {
		neg, d = "-", -d
	}
	ms := d.Milliseconds()
	return fmt.Sprintf("%s%d:%02d:%02d.%03d", neg, ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}
