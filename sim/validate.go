package sim

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/sim/topology"
)

// Bounds on a scenario.
const (
	MaxNodes    = roster.MaxNodes // share indices are one byte
	MaxDuration = 31 * 24 * time.Hour
	MaxRuns     = 10_000 // runs in one sweep
)

// Defaults filled in for what a scenario leaves out.
const (
	DefaultSeed     = 1
	DefaultRegistry = "population"
	DefaultBatch    = 100
	DefaultHome     = "home" // name of the custodian client made when none is listed
)

// Options are what validation needs from outside the scenario.
type Options struct {
	// Registries are the registry names a workload may use; nil skips the
	// check.
	Registries []string
	// CheckSQL, if set, checks each query of the workload's mix.
	CheckSQL func(sql string) error
	// Set overrides parameters after parsing (--seed, --sweep).
	Set []Setting
}

// Setting overrides one parameter: "nodes", "threshold" or "seed".
type Setting struct {
	Param string
	Value uint64
}

func (s Setting) String() string { return fmt.Sprintf("%s=%d", s.Param, s.Value) }

// Params are the parameters a Setting or a sweep may change.
var params = []string{"nodes", "threshold", "seed"}

// Load parses and validates a scenario; the error, if any, is an
// *InvalidError with every problem found, in file order.
func Load(data []byte, opts Options) (*Scenario, error) {
	s, err := Parse(data)
	if s == nil {
		return nil, err
	}
	ps := &problems{}
	if ie, ok := err.(*InvalidError); ok {
		ps.list = append(ps.list, ie.Problems...)
	}
	for _, set := range opts.Set {
		s.apply(set, ps)
	}
	if verr := s.Validate(opts); verr != nil {
		if ie, ok := verr.(*InvalidError); ok {
			ps.list = append(ps.list, ie.Problems...)
		}
	}
	if err := ps.err(); err != nil {
		return s, err
	}
	return s, nil
}

func (s *Scenario) apply(set Setting, ps *problems) {
	switch set.Param {
	case "seed":
		s.Seed = set.Value
		s.pos["seed"] = s.pathPos("seed")
	case "nodes", "threshold":
		if set.Value < 1 || set.Value > MaxNodes {
			ps.add(Pos{}, "%s: want 1 to %d", set, MaxNodes)
			return
		}
		if set.Param == "nodes" {
			if s.Nodes.Placement != nil {
				ps.add(s.pathPos("nodes.placement"), "%s: the scenario places its nodes site by site; a different node count needs placement: spread", set)
				return
			}
			s.Nodes.Count = int(set.Value)
			delete(s.broken, "nodes.count")
		} else {
			s.Nodes.Threshold = int(set.Value)
			delete(s.broken, "nodes.threshold")
		}
	default:
		ps.add(Pos{}, "%s: unknown parameter %q (known: %s)", set, set.Param, strings.Join(params, ", "))
		return
	}
	s.setBy[set.Param] = set.String()
}

// given reports whether the file (or a setting) gave a value for path.
func (s *Scenario) given(path string) bool {
	_, ok := s.pos[path]
	return ok
}

// fill sets the defaults of what the file leaves out. It is idempotent.
func (s *Scenario) fill(sites []topology.Site) {
	if !s.given("seed") && s.setBy["seed"] == "" {
		s.Seed = DefaultSeed
	}
	if s.Topology.Base == "" {
		s.Topology.Base = "default"
	}
	if s.Home == "" && len(sites) > 0 {
		s.Home = sites[0].ID
	}
	if s.Nodes.Placement != nil && !s.given("nodes.count") && s.setBy["nodes"] == "" {
		s.Nodes.Count = 0
		for _, pc := range s.Nodes.Placement {
			s.Nodes.Count += pc.Count
		}
	}
	w := &s.Workload
	if w.Clients == nil && !s.given("workload.clients") {
		w.Clients = []Client{{Name: DefaultHome, Site: s.Home, Role: RoleCustodian}}
	}
	if in := w.Ingest; in != nil {
		if in.From == "" {
			in.From = firstWithRole(w.Clients, RoleCustodian)
		}
		if in.Registry == "" {
			in.Registry = DefaultRegistry
		}
		if in.Batch == 0 {
			in.Batch = DefaultBatch
		}
	}
	if l := w.Lookups; l != nil {
		if l.From == nil {
			l.From = namesWithRole(w.Clients, RoleCustodian, RoleService)
		}
		if l.Mix == nil {
			l.Mix = []LookupMix{{Registry: DefaultRegistry, Weight: 1}}
		}
	}
	if q := w.Queries; q != nil && q.From == nil {
		q.From = namesWithRole(w.Clients, RoleService)
	}
}

func firstWithRole(cs []Client, r Role) string {
	for _, c := range cs {
		if c.Role == r {
			return c.Name
		}
	}
	return ""
}

func namesWithRole(cs []Client, roles ...Role) []string {
	out := []string{}
	for _, c := range cs {
		if slices.Contains(roles, c.Role) {
			out = append(out, c.Name)
		}
	}
	return out
}

var (
	nameRe     = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	nodeNameRe = regexp.MustCompile(`^node[0-9]+$`)
)

// Sites returns the scenario's sites: the base's, replaced or extended by
// topology.sites, in order. Problems are reported by Validate.
func (s *Scenario) Sites() ([]topology.Site, error) {
	sites, ps := s.sites()
	return sites, ps.err()
}

func (s *Scenario) sites() ([]topology.Site, *problems) {
	ps := &problems{}
	cat, err := topology.Catalogue()
	if err != nil {
		ps.add(Pos{}, "site catalogue: %v", err)
		return nil, ps
	}
	var sites []topology.Site
	switch s.Topology.Base {
	case "", "default":
	case "none":
	default:
		ps.add(s.pathPos("topology.base"), "topology.base: %q is neither default (the 6-site embassy network) nor none", s.Topology.Base)
	}
	if s.Topology.Base != "none" { // a bad base is taken as default, to check the rest
		for _, id := range topology.DefaultSiteIDs() {
			site, _ := topology.Find(cat, id)
			sites = append(sites, site)
		}
	}
	seen := map[string]Pos{}
	for _, sp := range s.Topology.Sites {
		if sp.ID == "" {
			continue
		}
		if first, dup := seen[sp.ID]; dup {
			ps.add(sp.Pos, "topology.sites: site %q is listed twice (first on line %d)", sp.ID, first.Line)
			continue
		}
		seen[sp.ID] = sp.Pos
		site := sp.Site
		if sp.FromCatalogue {
			c, ok := topology.Find(cat, sp.ID)
			if !ok {
				ids := make([]string, len(cat))
				for i, c := range cat {
					ids[i] = c.ID
				}
				ps.add(sp.Pos, "topology.sites: %q is not in the site catalogue (%s); give country, lat and lon for a new site", sp.ID, strings.Join(ids, ", "))
				continue
			}
			site = c
		} else if err := site.Validate(); err != nil {
			ps.add(sp.Pos, "topology.sites: %v", err)
			continue
		}
		if i := slices.IndexFunc(sites, func(x topology.Site) bool { return x.ID == site.ID }); i >= 0 {
			sites[i] = site
		} else {
			sites = append(sites, site)
		}
	}
	if len(sites) == 0 && len(ps.list) == 0 {
		ps.add(s.pathPos("topology"), "the topology has no sites: use base: default or list sites")
	}
	return sites, ps
}

// BuildTopology returns the scenario's topology: its sites with derived
// links, the defaults and link overrides applied.
func (s *Scenario) BuildTopology() (*topology.Topology, error) {
	sites, ps := s.sites()
	if err := ps.err(); err != nil {
		return nil, err
	}
	d := topology.DefaultDefaults()
	if b := s.Topology.Defaults.Bandwidth; b != nil {
		d.Bandwidth = *b
	}
	if l := s.Topology.Defaults.Loss; l != nil {
		d.Loss = *l
	}
	if j := s.Topology.Defaults.Jitter; j != nil {
		d.JitterFrac = *j
	}
	top, err := topology.New(sites, d)
	if err != nil {
		return nil, err
	}
	for _, ls := range s.Topology.Links {
		l, err := top.Link(ls.A, ls.B)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", ls.Pos.Line, err)
		}
		l = ApplyChange(l, LinkChange{RTT: ls.RTT, Jitter: ls.Jitter, Bandwidth: ls.Bandwidth, Loss: ls.Loss})
		if err := top.SetLink(ls.A, ls.B, l); err != nil {
			return nil, fmt.Errorf("line %d: %w", ls.Pos.Line, err)
		}
	}
	return top, nil
}

// ApplyChange returns l with c's figures; a jitter fraction applies to
// the resulting RTT.
func ApplyChange(l topology.Link, c LinkChange) topology.Link {
	l.Source = topology.SourceSet
	if c.RTT != nil {
		frac := 0.0
		if l.RTT > 0 {
			frac = float64(l.Jitter) / float64(l.RTT)
		}
		l.RTT = *c.RTT
		l.Jitter = time.Duration(frac * float64(l.RTT))
		l.Note = "set by the scenario"
	}
	if c.Jitter != nil {
		if c.Jitter.Dur != 0 || c.Jitter.Frac == 0 {
			l.Jitter = c.Jitter.Dur
		} else {
			l.Jitter = time.Duration(c.Jitter.Frac * float64(l.RTT))
		}
	}
	if c.Bandwidth != nil {
		l.Bandwidth = *c.Bandwidth
	}
	if c.Loss != nil {
		l.Loss = *c.Loss
	}
	return l
}

// NodeList returns the scenario's nodes with their sites.
func (s *Scenario) NodeList() []topology.Node {
	if s.Nodes.Placement != nil {
		return topology.Place(s.Nodes.Placement)
	}
	sites, _ := s.sites()
	ids := make([]string, len(sites))
	for i, site := range sites {
		ids[i] = site.ID
	}
	return topology.Spread(ids, s.Nodes.Count)
}

// Validate fills in defaults and checks that the scenario's parts fit
// together, reporting every problem (an *InvalidError). Load calls it;
// call it again after changing a Scenario.
func (s *Scenario) Validate(opts Options) error {
	if s.pos == nil {
		s.pos, s.broken, s.setBy = map[string]Pos{}, map[string]bool{}, map[string]string{}
	}
	v := &validator{s: s, opts: opts, ps: &problems{}}
	v.run()
	return v.ps.err()
}

type validator struct {
	s       *Scenario
	opts    Options
	ps      *problems
	sites   []topology.Site
	siteSet map[string]bool
	top     *topology.Topology
	nodes   map[string]bool
	clients map[string]Client
}

func (v *validator) at(path string) Pos { return v.s.pathPos(path) }

func (v *validator) run() {
	s := v.s
	sites, sps := s.sites()
	v.ps.list = append(v.ps.list, sps.list...)
	v.sites = sites
	v.siteSet = map[string]bool{}
	for _, site := range sites {
		v.siteSet[site.ID] = true
	}
	s.fill(sites)

	switch {
	case s.broken["name"]:
	case s.Name == "":
		v.ps.add(v.at("name"), "name: a scenario needs a name (lower-case letters, digits, '-', '.', '_')")
	case !nameRe.MatchString(s.Name):
		v.ps.add(v.at("name"), "name: %q: want lower-case letters, digits, '-', '.' and '_', starting with a letter or digit, at most 64", s.Name)
	}
	switch {
	case s.broken["duration"]:
	case !s.given("duration"):
		v.ps.add(v.at("duration"), "duration: a scenario needs a duration, like 2h")
	case s.Duration <= 0 || s.Duration > MaxDuration:
		v.ps.add(v.at("duration"), "duration: %v is outside 1ns to %v", s.Duration, MaxDuration)
	}
	if s.Home != "" && !v.siteSet[s.Home] && len(sites) > 0 {
		v.ps.add(v.at("home"), "home: %s", v.unknownSite(s.Home))
	}
	v.links()
	v.nodesSpec()
	v.workload()
	v.timeline()
}

func (v *validator) unknownSite(id string) string {
	ids := make([]string, len(v.sites))
	for i, s := range v.sites {
		ids[i] = s.ID
	}
	return fmt.Sprintf("no site %q in this topology (sites: %s)", id, strings.Join(ids, ", "))
}

func (v *validator) unknownNode(name string) string {
	n := v.s.Nodes.Count
	if n == 0 {
		return fmt.Sprintf("no node %q: the scenario has no nodes", name)
	}
	return fmt.Sprintf("no node %q: the nodes are node1 to node%d", name, n)
}

func (v *validator) links() {
	top, err := topology.New(v.sites, topology.DefaultDefaults())
	if err != nil {
		return // the sites' problems are already reported
	}
	v.top = top
	seen := map[[2]string]int{}
	for _, l := range v.s.Topology.Links {
		ok := true
		for _, end := range []string{l.A, l.B} {
			if !v.siteSet[end] {
				v.ps.add(l.Pos, "topology.links: %s", v.unknownSite(end))
				ok = false
			}
		}
		if !ok {
			continue
		}
		if l.A == l.B {
			v.ps.add(l.Pos, "topology.links: a link joins two different sites, not %s to itself", l.A)
			continue
		}
		k := [2]string{min(l.A, l.B), max(l.A, l.B)}
		if first, dup := seen[k]; dup {
			v.ps.add(l.Pos, "topology.links: the link %s-%s is set twice (first on line %d)", l.A, l.B, first)
			continue
		}
		seen[k] = l.Pos.Line
		if l.RTT == nil && l.Jitter == nil && l.Bandwidth == nil && l.Loss == nil && !l.broken {
			v.ps.add(l.Pos, "topology.links: the link %s-%s sets nothing (rtt, jitter, bandwidth, loss)", l.A, l.B)
		}
		v.checkFloor(l.Pos, "topology.links: ", l.A, l.B, l.RTT)
	}
}

func (v *validator) checkFloor(pos Pos, prefix, a, b string, rtt *time.Duration) {
	if rtt == nil || v.top == nil {
		return
	}
	sa, _ := v.top.Site(a)
	sb, _ := v.top.Site(b)
	if f := topology.Floor(sa, sb); *rtt < f {
		v.ps.add(pos, "%srtt %v between %s and %s is below the physical floor %v (%.0f km at 200,000 km/s, there and back)",
			prefix, *rtt, a, b, f.Round(100*time.Microsecond), topology.DistanceKm(sa, sb))
	}
}

func (v *validator) nodesSpec() {
	s := v.s
	ns := s.Nodes
	v.nodes = map[string]bool{}
	countOK := !s.broken["nodes.count"]
	if ns.Placement != nil {
		sum := 0
		for _, pc := range ns.Placement {
			sum += pc.Count
			if !v.siteSet[pc.Site] && len(v.sites) > 0 {
				v.ps.add(v.at("nodes.placement."+pc.Site), "nodes.placement: %s", v.unknownSite(pc.Site))
			}
		}
		if len(ns.Placement) == 0 && !s.broken["nodes.placement"] {
			v.ps.add(v.at("nodes.placement"), "nodes.placement: places no node")
			countOK = false
		} else if s.given("nodes.count") && countOK && sum != ns.Count {
			v.ps.add(v.at("nodes.placement"), "nodes.placement: places %d nodes but nodes.count is %d", sum, ns.Count)
			countOK = false
		}
	} else if countOK && ns.Count == 0 {
		v.ps.add(v.at("nodes"), "nodes.count: a scenario needs a node count (or a placement)")
		countOK = false
	}
	switch {
	case s.broken["nodes.threshold"]:
	case ns.Threshold == 0:
		v.ps.add(v.at("nodes"), "nodes.threshold: a scenario needs a threshold (how many nodes answer a look-up)")
	case countOK && ns.Threshold > ns.Count:
		v.ps.add(v.at("nodes.threshold"), "nodes.threshold: threshold %d is more than the %d nodes", ns.Threshold, ns.Count)
	}
	if countOK {
		for i := 1; i <= ns.Count; i++ {
			v.nodes[topology.NodeName(i)] = true
		}
	}
	if !countOK {
		v.nodes = nil // unknown: node references are not checked
	}
}

func (v *validator) knownNode(pos Pos, path, name string) bool {
	if v.nodes == nil || v.nodes[name] {
		return true
	}
	v.ps.add(pos, "%s: %s", label(path), v.unknownNode(name))
	return false
}

func (v *validator) workload() {
	w := &v.s.Workload
	v.clients = map[string]Client{}
	for i, c := range w.Clients {
		path := fmt.Sprintf("workload.clients.%d", i)
		pos := c.Pos
		switch {
		case c.Name == "":
			v.ps.add(pos, "%s: a client needs a name", label(path))
		case !nameRe.MatchString(c.Name) || nodeNameRe.MatchString(c.Name):
			v.ps.add(pos, "%s: client name %q: want lower-case letters, digits, '-', '.', '_', and not a node's name", label(path), c.Name)
		default:
			if prev, dup := v.clients[c.Name]; dup {
				v.ps.add(pos, "%s: client %q is listed twice (first on line %d)", label(path), c.Name, prev.Pos.Line)
			}
			v.clients[c.Name] = c
		}
		switch {
		case c.Site == "" && len(v.sites) > 0:
			v.ps.add(pos, "%s: a client needs a site", label(path))
		case !v.siteSet[c.Site] && len(v.sites) > 0:
			v.ps.add(v.at(path+".site"), "%s.site: %s", label(path), v.unknownSite(c.Site))
		}
		if c.Role != RoleCustodian && c.Role != RoleService {
			v.ps.add(v.at(path+".role"), "%s.role: %q: want custodian (the home country) or service (a government service)", label(path), c.Role)
		}
	}
	from := func(path, name string, roles ...Role) {
		c, ok := v.clients[name]
		if !ok {
			v.ps.add(v.at(path), "%s: no client %q (clients: %s)", label(path), name, strings.Join(slices.Sorted(maps.Keys(v.clients)), ", "))
			return
		}
		if !slices.Contains(roles, c.Role) {
			want := make([]string, len(roles))
			for i, r := range roles {
				want[i] = string(r)
			}
			v.ps.add(v.at(path), "%s: client %q is a %s; this needs a %s", label(path), name, c.Role, strings.Join(want, " or "))
		}
	}
	rate := func(path string, r Rate) {
		if !v.s.broken[path] && r <= 0 {
			v.ps.add(v.at(path), "%s: want a rate above zero, like 10/s (leave the section out for none)", label(path))
		}
	}
	registry := func(path, name string) {
		if v.opts.Registries != nil && !slices.Contains(v.opts.Registries, name) {
			v.ps.add(v.at(path), "%s: no registry %q (registries: %s)", label(path), name, strings.Join(v.opts.Registries, ", "))
		}
	}
	if in := w.Ingest; in != nil {
		rate("workload.ingest.rate", in.Rate)
		if in.From == "" {
			v.ps.add(v.at("workload.ingest"), "workload.ingest: ingest needs a client with role custodian")
		} else {
			from("workload.ingest.from", in.From, RoleCustodian)
		}
		registry("workload.ingest.registry", in.Registry)
	}
	if l := w.Lookups; l != nil {
		rate("workload.lookups.rate", l.Rate)
		if len(l.From) == 0 && !v.s.broken["workload.lookups.from"] {
			v.ps.add(v.at("workload.lookups"), "workload.lookups: look-ups need a client with role custodian or service")
		}
		for _, name := range l.From {
			from("workload.lookups.from", name, RoleCustodian, RoleService)
		}
		for i, m := range l.Mix {
			registry(fmt.Sprintf("workload.lookups.mix.%d.registry", i), m.Registry)
		}
		if len(l.Mix) == 0 && v.s.given("workload.lookups.mix") {
			v.ps.add(v.at("workload.lookups.mix"), "workload.lookups.mix: the mix is empty")
		}
	}
	if q := w.Queries; q != nil {
		rate("workload.queries.rate", q.Rate)
		if len(q.From) == 0 && !v.s.broken["workload.queries.from"] {
			v.ps.add(v.at("workload.queries"), "workload.queries: queries need a client with role service (custodians do not query)")
		}
		for _, name := range q.From {
			from("workload.queries.from", name, RoleService)
		}
		if len(q.Mix) == 0 && !v.s.broken["workload.queries.mix"] {
			v.ps.add(v.at("workload.queries"), "workload.queries: queries need a mix: a list of {sql: ..., weight: N}")
		}
		for i, m := range q.Mix {
			path := fmt.Sprintf("workload.queries.mix.%d.sql", i)
			switch {
			case m.SQL == "" && !v.s.broken[path]:
				v.ps.add(m.Pos, "%s: a query needs sql", label(fmt.Sprintf("workload.queries.mix.%d", i)))
			case m.SQL != "" && v.opts.CheckSQL != nil:
				if err := v.opts.CheckSQL(m.SQL); err != nil {
					v.ps.add(m.Pos, "%s: %v", label(path), err)
				}
			}
		}
	}
}

// timeline checks each event on its own, then the events together in time
// order (expand).
func (v *validator) timeline() {
	s := v.s
	skip := map[int]bool{}
	for i := range s.Timeline {
		e := &s.Timeline[i]
		path := fmt.Sprintf("event.%d", i)
		if s.broken[path] {
			skip[i] = true
			continue
		}
		before := len(v.ps.list)
		v.event(e)
		if len(v.ps.list) > before {
			skip[i] = true
		}
	}
	_, conflicts := expand(s, v.sites, skip)
	v.ps.list = append(v.ps.list, conflicts.list...)
}

// event checks one event on its own.
func (v *validator) event(e *Event) {
	s := v.s
	end, endOK := s.Duration, !s.broken["duration"] && s.Duration > 0
	kp := e.KindPos
	if endOK && e.At >= end {
		v.ev(e, e.Pos, "at %v is not before the end of the run (%v)", e.At, end)
	} else if endOK && e.For > 0 && e.For > end-e.At {
		v.ev(e, e.Pos, "%s at %v for %v ends at %v, after the end of the run (%v); leave for out to last until the end",
			e.Kind, e.At, e.For, e.At+e.For, end)
	}
	switch e.Kind {
	case KindKill, KindRestart, KindDDoS, KindByzantine:
		if len(e.Nodes) == 0 {
			v.ev(e, kp, "%s needs nodes", e.Kind)
		}
		seen := map[string]bool{}
		for j, n := range e.Nodes {
			if seen[n] {
				v.ev(e, e.NodePos[j], "%s: node %q is listed twice", e.Kind, n)
			}
			seen[n] = true
			v.knownNode(e.NodePos[j], fmt.Sprintf("timeline.%d.%s", e.index, e.Kind), n)
		}
	}
	switch e.Kind {
	case KindRestart, KindHeal:
		if e.For > 0 {
			v.ev(e, e.Pos, "%s takes no for", e.Kind)
		}
	case KindPartition:
		v.partition(e)
	case KindDegrade:
		ok := true
		for _, end := range e.Link {
			if !v.siteSet[end] {
				v.ev(e, kp, "degrade: %s", v.unknownSite(end))
				ok = false
			}
		}
		if ok && e.Link[0] == e.Link[1] {
			v.ev(e, kp, "degrade: a link joins two different sites, not %s to itself", e.Link[0])
		}
		c := e.Change
		if c.RTT == nil && c.Jitter == nil && c.Bandwidth == nil && c.Loss == nil {
			v.ev(e, kp, "degrade changes nothing: give rtt, jitter, bandwidth or loss")
		}
		if ok {
			v.checkFloor(kp, fmt.Sprintf("timeline[%d]: degrade: ", e.index+1), e.Link[0], e.Link[1], c.RTT)
		}
	case KindDDoS:
		if e.DDoS.Bandwidth == 0 && e.DDoS.Flood == 0 {
			v.ev(e, kp, "ddos does nothing: give bandwidth (what the attack leaves to the node) or flood (connection attempts per second)")
		}
	case KindByzantine:
		if len(e.Corrupt) == 0 {
			v.ev(e, kp, "byzantine needs corrupt: shares, keyswitch or both")
		}
	case KindChurn:
		c := &e.Churn
		if c.Rate <= 0 {
			v.ev(e, kp, "churn needs a rate above zero, like 2/h (failures per hour across the nodes)")
		}
		if c.Downtime <= 0 {
			v.ev(e, kp, "churn needs a downtime above zero, like 10m (how long a failed node stays down)")
		}
		if c.MaxDown == 0 {
			c.MaxDown = 1
		}
		for j, n := range c.Nodes {
			v.knownNode(e.NodePos[j], fmt.Sprintf("timeline.%d.churn.nodes", e.index), n)
		}
	case KindAllyLeaves, KindAllyJoins:
		change := "an ally leaving"
		if e.Kind == KindAllyJoins {
			change = "a new ally joining"
		}
		v.ps.unsupported(kp, "timeline[%d].%s: %s (%q) needs resharing: moving every share to a new set of nodes under a new roster, which embassy does not do yet; a scenario with %s cannot run until it does",
			e.index+1, e.Kind, change, e.Site, e.Kind)
	}
}

func (v *validator) partition(e *Event) {
	seen := map[string]bool{}
	listed := 0
	for _, g := range e.Groups {
		for _, site := range g {
			if !v.siteSet[site] {
				v.ev(e, e.KindPos, "partition: %s", v.unknownSite(site))
				continue
			}
			if seen[site] {
				v.ev(e, e.KindPos, "partition: site %q is in two groups", site)
				continue
			}
			seen[site] = true
			listed++
		}
	}
	if len(e.Groups) == 1 && listed == len(v.sites) && listed > 0 {
		v.ev(e, e.KindPos, "partition separates nothing: its one group holds every site (sites in no group form a group of their own)")
	}
}

// ev reports a problem with one timeline entry.
func (v *validator) ev(e *Event, pos Pos, format string, a ...any) {
	v.ps.add(pos, "timeline[%d]: %s", e.index+1, fmt.Sprintf(format, a...))
}
