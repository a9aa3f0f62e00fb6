package sim

import (
	"time"

	"github.com/dataembassy/embassy/sim/topology"
)

// Scenario is a parsed scenario file. Fields that the file leaves out hold
// their defaults after Load.
type Scenario struct {
	Name        string
	Description string
	Seed        uint64
	Duration    time.Duration
	// Home is the site of the home country's custodian; by default the
	// first site of the topology.
	Home     string
	Topology TopologySpec
	Nodes    NodesSpec
	Workload Workload
	Timeline []Event

	pos    map[string]Pos  // where each field path was written
	broken map[string]bool // field paths whose values did not decode
	setBy  map[string]string
}

// TopologySpec says which sites and links a scenario uses.
type TopologySpec struct {
	// Base is "default" (the 6-site embassy network) or "none" (only the
	// sites listed in Sites).
	Base     string
	Sites    []SiteSpec
	Links    []LinkSpec
	Defaults DefaultsSpec
}

// SiteSpec adds a site to the base, or replaces the base's site of the
// same id. FromCatalogue means only the id was given: the site is taken
// from topology.Catalogue.
type SiteSpec struct {
	topology.Site
	FromCatalogue bool
	Pos           Pos
}

// Jitter is either an absolute spread (Dur) or a fraction of the link's
// RTT (Frac); at most one is non-zero.
type Jitter struct {
	Dur  time.Duration
	Frac float64
}

// LinkSpec overrides the figures of the link between two sites; nil
// fields keep the derived value.
type LinkSpec struct {
	A, B      string
	RTT       *time.Duration
	Jitter    *Jitter
	Bandwidth *int64
	Loss      *float64
	Pos       Pos
	broken    bool // a figure did not decode
}

// DefaultsSpec overrides topology.DefaultDefaults; nil fields keep them.
// Jitter here must be a fraction of RTT.
type DefaultsSpec struct {
	Bandwidth *int64
	Loss      *float64
	Jitter    *float64
}

// NodesSpec says how many nodes there are, the threshold, and where they
// stand.
type NodesSpec struct {
	Count     int
	Threshold int
	// Placement lists node counts per site, in order; nil spreads the
	// nodes round-robin over the topology's sites.
	Placement []topology.SiteCount
}

// Role is what a simulated client is on the roster.
type Role string

// Client roles.
const (
	RoleCustodian Role = "custodian" // the home country: ingests, looks up
	RoleService   Role = "service"   // a government service: looks up, queries
)

// Client is a simulated principal standing at a site.
type Client struct {
	Name string
	Site string
	Role Role
	Pos  Pos
}

// Workload is the traffic the clients generate. A nil part generates none.
type Workload struct {
	Clients []Client
	Ingest  *Ingest
	Lookups *Lookups
	Queries *Queries
}

// Ingest is the custodian storing records.
type Ingest struct {
	Rate     Rate // records per second
	From     string
	Registry string
	Batch    int // records per batch
}

// Lookups are reads of single records by key.
type Lookups struct {
	Rate Rate
	From []string
	Mix  []LookupMix
}

// LookupMix weighs look-ups in one registry.
type LookupMix struct {
	Registry string
	Weight   int
}

// Queries are encrypted aggregate queries.
type Queries struct {
	Rate Rate
	From []string
	Mix  []QueryMix
}

// QueryMix weighs one SQL query.
type QueryMix struct {
	SQL    string
	Weight int
	Pos    Pos
}

// Kind is the kind of a timeline event.
type Kind string

// Timeline event kinds.
const (
	KindKill       Kind = "kill"
	KindRestart    Kind = "restart"
	KindPartition  Kind = "partition"
	KindHeal       Kind = "heal"
	KindDegrade    Kind = "degrade"
	KindDDoS       Kind = "ddos"
	KindByzantine  Kind = "byzantine"
	KindChurn      Kind = "churn"
	KindAllyLeaves Kind = "ally_leaves"
	KindAllyJoins  Kind = "ally_joins"
)

// Event is one entry of a scenario's timeline. Which fields matter
// depends on Kind.
type Event struct {
	At time.Duration
	// For, if non-zero, undoes the event after that long (restart, heal,
	// restore the link, end the attack, turn honest, stop churning).
	For  time.Duration
	Kind Kind

	Nodes   []string    // kill, restart, ddos, byzantine
	Groups  [][]string  // partition; sites in no group form one more group
	Link    [2]string   // degrade
	Change  LinkChange  // degrade
	DDoS    DDoSAttack  // ddos
	Corrupt []Corrupt   // byzantine
	Churn   ChurnSpec   // churn
	Site    string      // ally_leaves, ally_joins
	Pos     Pos         // of the event's first key
	KindPos Pos         // of the kind key
	NodePos map[int]Pos // of each entry of Nodes
	index   int         // in the file's timeline, from 0
}

// LinkChange replaces some figures of a link; nil fields are unchanged.
type LinkChange struct {
	RTT       *time.Duration
	Jitter    *Jitter
	Bandwidth *int64
	Loss      *float64
}

// DDoSAttack squeezes a node's bandwidth and floods it with connection
// attempts.
type DDoSAttack struct {
	Bandwidth int64 // bits per second left to the node; 0: unchanged
	Flood     Rate  // connection attempts per second; 0: none
}

// Corrupt is what a Byzantine node falsifies.
type Corrupt string

// What a Byzantine node can falsify.
const (
	CorruptShares    Corrupt = "shares"    // record shares it serves on look-ups
	CorruptKeySwitch Corrupt = "keyswitch" // its key-switch (decryption) shares
)

// ChurnSpec makes random nodes fail at a rate, each for Downtime, at most
// MaxDown at once, during [At, At+For).
type ChurnSpec struct {
	Rate     Rate // failures per second over the whole network
	Downtime time.Duration
	MaxDown  int
	Nodes    []string // candidates; empty: every node no other event kills
}

// pathPos returns where path (or its nearest ancestor) was written.
func (s *Scenario) pathPos(path string) Pos {
	for {
		if p, ok := s.pos[path]; ok {
			return p
		}
		if path == "" {
			return Pos{}
		}
		i := lastSep(path)
		if i < 0 {
			path = ""
			continue
		}
		path = path[:i]
	}
}

func lastSep(path string) int {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '.' {
			return i
		}
	}
	return -1
}
