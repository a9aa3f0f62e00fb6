package sim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dataembassy/embassy/sim/topology"
	"go.yaml.in/yaml/v3"
)

// MaxFileSize bounds a scenario file.
const MaxFileSize = 1 << 20

// Parse decodes a scenario file without checking how its parts fit
// together (Validate does that). It reports every problem it can find in
// one pass: YAML syntax (then nothing else), unknown or repeated keys,
// values of the wrong shape, bad durations, rates, bandwidths and
// percentages. Even with problems it returns the scenario as far as it
// decoded, so that Validate can add its own; Load does both.
func Parse(data []byte) (*Scenario, error) {
	ps := &problems{}
	if len(data) > MaxFileSize {
		ps.add(Pos{}, "the file is %d bytes; a scenario may have at most %d", len(data), MaxFileSize)
		return nil, ps.err()
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			ps.add(Pos{Line: 1}, "the file is empty")
		} else {
			ps.list = append(ps.list, yamlProblem(err))
		}
		return nil, ps.err()
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		ps.add(Pos{Line: extra.Line}, "a second YAML document: a scenario file holds one")
	} else if !errors.Is(err, io.EOF) {
		ps.list = append(ps.list, yamlProblem(err))
	}
	s := &Scenario{pos: map[string]Pos{}, broken: map[string]bool{}, setBy: map[string]string{}}
	d := &decoder{s: s, ps: ps}
	switch {
	case len(doc.Content) != 1:
		ps.add(Pos{Line: 1}, "the file holds no scenario")
		return nil, ps.err()
	case doc.Content[0].Kind != yaml.MappingNode:
		ps.add(pos(doc.Content[0]), "a scenario is a mapping of keys (name, duration, nodes, ...) to values; found %s", what(doc.Content[0]))
		return nil, ps.err()
	}
	d.top(doc.Content[0])
	return s, ps.err()
}

var yamlLineRe = regexp.MustCompile(`line (\d+): (.*)`)

// yamlProblem turns a yaml error ("yaml: line 3: did not find expected
// key") into a Problem at that line.
func yamlProblem(err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Pos: Pos{Line: line}, Msg: "YAML: " + m[2]}
	}
	return Problem{Pos: Pos{Line: 1}, Msg: "YAML: " + msg}
}

type decoder struct {
	s  *Scenario
	ps *problems
}

func pos(n *yaml.Node) Pos { return Pos{Line: n.Line, Col: n.Column} }

// what names a node's shape for messages.
func what(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// label renders a field path for messages: timeline.2.kill → timeline[2].kill.
func label(path string) string {
	if path == "" {
		return "the file"
	}
	parts := strings.Split(path, ".")
	var b strings.Builder
	for i, p := range parts {
		if _, err := strconv.Atoi(p); err == nil {
			n, _ := strconv.Atoi(p)
			fmt.Fprintf(&b, "[%d]", n+1)
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

func (d *decoder) fail(n *yaml.Node, path, format string, a ...any) {
	d.s.broken[path] = true
	d.ps.add(pos(n), "%s: %s", label(path), fmt.Sprintf(format, a...))
}

type field struct {
	key string
	fn  func(v *yaml.Node, path string)
}

// mapping walks a mapping's keys in file order, reporting repeated and
// unknown keys, and calls each known key's handler with its value.
func (d *decoder) mapping(n *yaml.Node, path string, fields []field) bool {
	if n.Kind == yaml.AliasNode {
		d.fail(n, path, "YAML aliases are not supported in scenarios")
		return false
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping of keys to values, found %s", what(n))
		return false
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		sub := k.Value
		if path != "" {
			sub = path + "." + k.Value
		}
		if k.Kind != yaml.ScalarNode {
			d.ps.add(pos(k), "%s: a key must be a plain word, found %s", label(path), what(k))
			continue
		}
		if line, dup := seen[k.Value]; dup {
			d.ps.add(pos(k), "%s: key %q repeats (first on line %d)", label(path), k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		i := slices.IndexFunc(fields, func(f field) bool { return f.key == k.Value })
		if i < 0 {
			known := make([]string, len(fields))
			for j, f := range fields {
				known[j] = f.key
			}
			where := "at the top level"
			if path != "" {
				where = "in " + label(path)
			}
			d.ps.add(pos(k), "unknown key %q %s (known: %s)", k.Value, where, strings.Join(known, ", "))
			continue
		}
		d.s.pos[sub] = pos(k)
		if v.Kind == yaml.AliasNode {
			d.fail(v, sub, "YAML aliases are not supported in scenarios")
			continue
		}
		fields[i].fn(v, sub)
	}
	return true
}

func (d *decoder) scalar(v *yaml.Node, path string) (string, bool) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		d.fail(v, path, "want a value, found %s", what(v))
		return "", false
	}
	return v.Value, true
}

func (d *decoder) str(v *yaml.Node, path string, dst *string) {
	if s, ok := d.scalar(v, path); ok {
		*dst = s
	}
}

func (d *decoder) integer(v *yaml.Node, path string, min, max int, dst *int) {
	s, ok := d.scalar(v, path)
	if !ok {
		return
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		d.fail(v, path, "want a whole number from %d to %d, found %q", min, max, s)
		return
	}
	*dst = n
}

func (d *decoder) duration(v *yaml.Node, path string, dst *time.Duration) bool {
	s, ok := d.scalar(v, path)
	if !ok {
		return false
	}
	t, err := parseDuration(s)
	if err != nil {
		d.fail(v, path, "%v", err)
		return false
	}
	*dst = t
	return true
}

func (d *decoder) rate(v *yaml.Node, path string, dst *Rate) {
	s, ok := d.scalar(v, path)
	if !ok {
		return
	}
	r, err := parseRate(s)
	if err != nil {
		d.fail(v, path, "%v", err)
		return
	}
	*dst = r
}

func (d *decoder) bandwidth(v *yaml.Node, path string) *int64 {
	s, ok := d.scalar(v, path)
	if !ok {
		return nil
	}
	b, err := parseBandwidth(s)
	if err != nil {
		d.fail(v, path, "%v", err)
		return nil
	}
	return &b
}

func (d *decoder) fraction(v *yaml.Node, path string, max float64, what string) *float64 {
	s, ok := d.scalar(v, path)
	if !ok {
		return nil
	}
	f, err := parseFraction(s, max, what)
	if err != nil {
		d.fail(v, path, "%v", err)
		return nil
	}
	return &f
}

func (d *decoder) jitter(v *yaml.Node, path string) *Jitter {
	s, ok := d.scalar(v, path)
	if !ok {
		return nil
	}
	if strings.HasSuffix(strings.TrimSpace(s), "%") {
		f, err := parseFraction(s, 1.0000001, "jitter")
		if err != nil {
			d.fail(v, path, "%v", err)
			return nil
		}
		return &Jitter{Frac: f}
	}
	t, err := parseDuration(s)
	if err != nil {
		d.fail(v, path, "jitter %q: want a duration like 2ms or a percentage of the RTT like 5%%", s)
		return nil
	}
	return &Jitter{Dur: t}
}

// list reads a value or a list of values.
func (d *decoder) list(v *yaml.Node, path string) ([]string, map[int]Pos) {
	ps := map[int]Pos{}
	if v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
		ps[0] = pos(v)
		return []string{v.Value}, ps
	}
	if v.Kind != yaml.SequenceNode {
		d.fail(v, path, "want a name or a list of names, found %s", what(v))
		return nil, ps
	}
	var out []string
	for i, it := range v.Content {
		if s, ok := d.scalar(it, fmt.Sprintf("%s.%d", path, i)); ok {
			ps[len(out)] = pos(it)
			out = append(out, s)
		}
	}
	if len(v.Content) == 0 {
		d.fail(v, path, "the list is empty")
	}
	return out, ps
}

func (d *decoder) seq(v *yaml.Node, path string) []*yaml.Node {
	if v.Kind != yaml.SequenceNode {
		d.fail(v, path, "want a list, found %s", what(v))
		return nil
	}
	return v.Content
}

func (d *decoder) top(n *yaml.Node) {
	s := d.s
	s.pos[""] = pos(n)
	d.mapping(n, "", []field{
		{"name", func(v *yaml.Node, p string) { d.str(v, p, &s.Name) }},
		{"description", func(v *yaml.Node, p string) { d.str(v, p, &s.Description) }},
		{"seed", func(v *yaml.Node, p string) {
			if t, ok := d.scalar(v, p); ok {
				u, err := strconv.ParseUint(t, 10, 64)
				if err != nil {
					d.fail(v, p, "want a whole number from 0 to %d, found %q", uint64(math.MaxUint64), t)
					return
				}
				s.Seed = u
			}
		}},
		{"duration", func(v *yaml.Node, p string) { d.duration(v, p, &s.Duration) }},
		{"home", func(v *yaml.Node, p string) { d.str(v, p, &s.Home) }},
		{"topology", d.topology},
		{"nodes", d.nodes},
		{"workload", d.workload},
		{"timeline", d.timeline},
	})
}

func (d *decoder) topology(n *yaml.Node, path string) {
	t := &d.s.Topology
	d.mapping(n, path, []field{
		{"base", func(v *yaml.Node, p string) { d.str(v, p, &t.Base) }},
		{"sites", func(v *yaml.Node, p string) {
			for i, it := range d.seq(v, p) {
				d.site(it, fmt.Sprintf("%s.%d", p, i))
			}
		}},
		{"links", func(v *yaml.Node, p string) {
			for i, it := range d.seq(v, p) {
				d.link(it, fmt.Sprintf("%s.%d", p, i))
			}
		}},
		{"defaults", func(v *yaml.Node, p string) {
			d.mapping(v, p, []field{
				{"bandwidth", func(v *yaml.Node, p string) { t.Defaults.Bandwidth = d.bandwidth(v, p) }},
				{"loss", func(v *yaml.Node, p string) { t.Defaults.Loss = d.fraction(v, p, 1, "loss") }},
				{"jitter", func(v *yaml.Node, p string) {
					if j := d.jitter(v, p); j != nil {
						if j.Dur != 0 || j.Frac == 0 && !strings.HasSuffix(strings.TrimSpace(v.Value), "%") {
							d.fail(v, p, "the default jitter is a percentage of each link's RTT, like 2%%; set absolute jitter per link")
							return
						}
						t.Defaults.Jitter = &j.Frac
					}
				}},
			})
		}},
	})
}

func (d *decoder) site(n *yaml.Node, path string) {
	sp := SiteSpec{Pos: pos(n)}
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		sp.ID, sp.FromCatalogue = n.Value, true
		d.s.Topology.Sites = append(d.s.Topology.Sites, sp)
		return
	}
	var lat, lon bool
	coord := func(dst *float64, set *bool) func(v *yaml.Node, p string) {
		return func(v *yaml.Node, p string) {
			if t, ok := d.scalar(v, p); ok {
				f, err := strconv.ParseFloat(t, 64)
				if err != nil {
					d.fail(v, p, "want degrees as a number, found %q", t)
					return
				}
				*dst, *set = f, true
			}
		}
	}
	var country, city bool
	if !d.mapping(n, path, []field{
		{"id", func(v *yaml.Node, p string) { d.str(v, p, &sp.ID) }},
		{"country", func(v *yaml.Node, p string) { d.str(v, p, &sp.Country); country = true }},
		{"city", func(v *yaml.Node, p string) { d.str(v, p, &sp.City); city = true }},
		{"lat", coord(&sp.Lat, &lat)},
		{"lon", coord(&sp.Lon, &lon)},
	}) {
		return
	}
	switch {
	case sp.ID == "":
		d.fail(n, path, "a site needs an id")
	case !country && !city && !lat && !lon:
		sp.FromCatalogue = true
	case !country || !lat || !lon:
		d.fail(n, path, "site %q: a new site needs country, lat and lon (or give only the id of a catalogue site)", sp.ID)
	}
	if anyBroken(d.s.broken, path) {
		return
	}
	d.s.Topology.Sites = append(d.s.Topology.Sites, sp)
}

func (d *decoder) link(n *yaml.Node, path string) {
	l := LinkSpec{Pos: pos(n)}
	var between bool
	if !d.mapping(n, path, []field{
		{"between", func(v *yaml.Node, p string) {
			ends, _ := d.list(v, p)
			if len(ends) != 2 {
				d.fail(v, p, "want two sites, like [tallinn, washington]")
				return
			}
			l.A, l.B, between = ends[0], ends[1], true
		}},
		{"rtt", func(v *yaml.Node, p string) {
			var t time.Duration
			if d.duration(v, p, &t) {
				l.RTT = &t
			}
		}},
		{"jitter", func(v *yaml.Node, p string) { l.Jitter = d.jitter(v, p) }},
		{"bandwidth", func(v *yaml.Node, p string) { l.Bandwidth = d.bandwidth(v, p) }},
		{"loss", func(v *yaml.Node, p string) { l.Loss = d.fraction(v, p, 1, "loss") }},
	}) {
		return
	}
	if !between {
		if !d.s.broken[path+".between"] {
			d.fail(n, path, "a link needs between: [SITE, SITE]")
		}
		return
	}
	l.broken = anyBroken(d.s.broken, path+".")
	d.s.Topology.Links = append(d.s.Topology.Links, l)
}

func (d *decoder) nodes(n *yaml.Node, path string) {
	ns := &d.s.Nodes
	d.mapping(n, path, []field{
		{"count", func(v *yaml.Node, p string) { d.integer(v, p, 1, MaxNodes, &ns.Count) }},
		{"threshold", func(v *yaml.Node, p string) { d.integer(v, p, 1, MaxNodes, &ns.Threshold) }},
		{"placement", func(v *yaml.Node, p string) {
			if v.Kind == yaml.ScalarNode && v.Value == "spread" {
				return
			}
			if v.Kind != yaml.MappingNode {
				d.fail(v, p, "want spread, or a mapping of sites to node counts like {tallinn: 2, frankfurt: 1}, found %s", what(v))
				return
			}
			ns.Placement = []topology.SiteCount{}
			for i := 0; i+1 < len(v.Content); i += 2 {
				k, c := v.Content[i], v.Content[i+1]
				sub := p + "." + k.Value
				d.s.pos[sub] = pos(k)
				if slices.ContainsFunc(ns.Placement, func(sc topology.SiteCount) bool { return sc.Site == k.Value }) {
					d.fail(k, sub, "site %q is placed twice", k.Value)
					continue
				}
				count := 0
				d.integer(c, sub, 1, MaxNodes, &count)
				if count > 0 {
					ns.Placement = append(ns.Placement, topology.SiteCount{Site: k.Value, Count: count})
				}
			}
		}},
	})
}

func (d *decoder) workload(n *yaml.Node, path string) {
	w := &d.s.Workload
	d.mapping(n, path, []field{
		{"clients", func(v *yaml.Node, p string) {
			for i, it := range d.seq(v, p) {
				sub := fmt.Sprintf("%s.%d", p, i)
				c := Client{Pos: pos(it)}
				var role string
				d.mapping(it, sub, []field{
					{"name", func(v *yaml.Node, p string) { d.str(v, p, &c.Name) }},
					{"site", func(v *yaml.Node, p string) { d.str(v, p, &c.Site) }},
					{"role", func(v *yaml.Node, p string) { d.str(v, p, &role) }},
				})
				c.Role = Role(role)
				w.Clients = append(w.Clients, c)
			}
		}},
		{"ingest", func(v *yaml.Node, p string) {
			in := &Ingest{}
			d.mapping(v, p, []field{
				{"rate", func(v *yaml.Node, p string) { d.rate(v, p, &in.Rate) }},
				{"from", func(v *yaml.Node, p string) { d.str(v, p, &in.From) }},
				{"registry", func(v *yaml.Node, p string) { d.str(v, p, &in.Registry) }},
				{"batch", func(v *yaml.Node, p string) { d.integer(v, p, 1, 1_000_000, &in.Batch) }},
			})
			w.Ingest = in
		}},
		{"lookups", func(v *yaml.Node, p string) {
			l := &Lookups{}
			d.mapping(v, p, []field{
				{"rate", func(v *yaml.Node, p string) { d.rate(v, p, &l.Rate) }},
				{"from", func(v *yaml.Node, p string) { l.From, _ = d.list(v, p) }},
				{"mix", func(v *yaml.Node, p string) {
					for i, it := range d.seq(v, p) {
						m := LookupMix{Weight: 1}
						d.mapping(it, fmt.Sprintf("%s.%d", p, i), []field{
							{"registry", func(v *yaml.Node, p string) { d.str(v, p, &m.Registry) }},
							{"weight", func(v *yaml.Node, p string) { d.integer(v, p, 1, 1_000_000, &m.Weight) }},
						})
						l.Mix = append(l.Mix, m)
					}
				}},
			})
			w.Lookups = l
		}},
		{"queries", func(v *yaml.Node, p string) {
			q := &Queries{}
			d.mapping(v, p, []field{
				{"rate", func(v *yaml.Node, p string) { d.rate(v, p, &q.Rate) }},
				{"from", func(v *yaml.Node, p string) { q.From, _ = d.list(v, p) }},
				{"mix", func(v *yaml.Node, p string) {
					for i, it := range d.seq(v, p) {
						m := QueryMix{Weight: 1, Pos: pos(it)}
						d.mapping(it, fmt.Sprintf("%s.%d", p, i), []field{
							{"sql", func(v *yaml.Node, p string) { d.str(v, p, &m.SQL); m.Pos = pos(v) }},
							{"weight", func(v *yaml.Node, p string) { d.integer(v, p, 1, 1_000_000, &m.Weight) }},
						})
						q.Mix = append(q.Mix, m)
					}
				}},
			})
			w.Queries = q
		}},
	})
}

var kinds = []Kind{KindKill, KindRestart, KindPartition, KindHeal, KindDegrade, KindDDoS, KindByzantine, KindChurn, KindAllyLeaves, KindAllyJoins}

func (d *decoder) timeline(n *yaml.Node, path string) {
	for i, it := range d.seq(n, path) {
		d.event(it, fmt.Sprintf("%s.%d", path, i))
	}
}

func (d *decoder) event(n *yaml.Node, path string) {
	e := Event{Pos: pos(n), NodePos: map[int]Pos{}}
	e.index, _ = strconv.Atoi(path[lastSep(path)+1:]) // path is timeline.N
	var hasAt bool
	var kindKeys []string
	nodes := func(v *yaml.Node, p string) {
		e.Nodes, e.NodePos = d.list(v, p)
	}
	fields := []field{
		{"at", func(v *yaml.Node, p string) { hasAt = d.duration(v, p, &e.At) || d.s.broken[p] }},
		{"for", func(v *yaml.Node, p string) {
			if d.duration(v, p, &e.For) && e.For == 0 {
				d.fail(v, p, "for must be longer than 0s (leave it out to last until the end)")
			}
		}},
	}
	kindField := func(k Kind, fn func(v *yaml.Node, p string)) field {
		return field{string(k), func(v *yaml.Node, p string) {
			kindKeys = append(kindKeys, string(k))
			e.Kind, e.KindPos = k, pos(v)
			fn(v, p)
		}}
	}
	fields = append(fields,
		kindField(KindKill, nodes),
		kindField(KindRestart, nodes),
		kindField(KindPartition, func(v *yaml.Node, p string) { e.Groups = d.groups(v, p) }),
		kindField(KindHeal, func(v *yaml.Node, p string) {
			if v.Kind != yaml.ScalarNode || v.Value != "all" {
				d.fail(v, p, "write heal: all (it ends the partition in force), found %s", what(v))
			}
		}),
		kindField(KindDegrade, func(v *yaml.Node, p string) {
			var link bool
			d.mapping(v, p, []field{
				{"link", func(v *yaml.Node, p string) {
					ends, _ := d.list(v, p)
					if len(ends) != 2 {
						d.fail(v, p, "want two sites, like [tallinn, frankfurt]")
						return
					}
					e.Link, link = [2]string{ends[0], ends[1]}, true
				}},
				{"rtt", func(v *yaml.Node, p string) {
					var t time.Duration
					if d.duration(v, p, &t) {
						e.Change.RTT = &t
					}
				}},
				{"jitter", func(v *yaml.Node, p string) { e.Change.Jitter = d.jitter(v, p) }},
				{"bandwidth", func(v *yaml.Node, p string) { e.Change.Bandwidth = d.bandwidth(v, p) }},
				{"loss", func(v *yaml.Node, p string) { e.Change.Loss = d.fraction(v, p, 1, "loss") }},
			})
			if !link && !d.s.broken[p+".link"] && v.Kind == yaml.MappingNode {
				d.fail(v, p, "degrade needs link: [SITE, SITE]")
			}
		}),
		kindField(KindDDoS, func(v *yaml.Node, p string) {
			d.mapping(v, p, []field{
				{"nodes", nodes},
				{"bandwidth", func(v *yaml.Node, p string) {
					if b := d.bandwidth(v, p); b != nil {
						e.DDoS.Bandwidth = *b
					}
				}},
				{"flood", func(v *yaml.Node, p string) { d.rate(v, p, &e.DDoS.Flood) }},
			})
		}),
		kindField(KindByzantine, func(v *yaml.Node, p string) {
			d.mapping(v, p, []field{
				{"nodes", nodes},
				{"corrupt", func(v *yaml.Node, p string) {
					list, ps := d.list(v, p)
					for i, c := range list {
						switch Corrupt(c) {
						case CorruptShares, CorruptKeySwitch:
							if slices.Contains(e.Corrupt, Corrupt(c)) {
								d.ps.add(ps[i], "%s: %q is listed twice", label(p), c)
								continue
							}
							e.Corrupt = append(e.Corrupt, Corrupt(c))
						default:
							d.s.broken[p] = true
							d.ps.add(ps[i], "%s: %q is not something a node can corrupt (shares, keyswitch)", label(p), c)
						}
					}
				}},
			})
		}),
		kindField(KindChurn, func(v *yaml.Node, p string) {
			d.mapping(v, p, []field{
				{"rate", func(v *yaml.Node, p string) { d.rate(v, p, &e.Churn.Rate) }},
				{"downtime", func(v *yaml.Node, p string) { d.duration(v, p, &e.Churn.Downtime) }},
				{"max_down", func(v *yaml.Node, p string) { d.integer(v, p, 1, MaxNodes, &e.Churn.MaxDown) }},
				{"nodes", func(v *yaml.Node, p string) { e.Churn.Nodes, e.NodePos = d.list(v, p) }},
			})
		}),
		kindField(KindAllyLeaves, func(v *yaml.Node, p string) { d.str(v, p, &e.Site) }),
		kindField(KindAllyJoins, func(v *yaml.Node, p string) { d.str(v, p, &e.Site) }),
	)
	if !d.mapping(n, path, fields) {
		return
	}
	d.s.pos[path] = pos(n)
	if !hasAt && !d.s.broken[path+".at"] {
		d.fail(n, path, "an event needs at: TIME (from the start, like 10m)")
	}
	switch len(kindKeys) {
	case 0:
		names := make([]string, len(kinds))
		for i, k := range kinds {
			names[i] = string(k)
		}
		d.fail(n, path, "an event needs one of: %s", strings.Join(names, ", "))
		return
	case 1:
	default:
		d.fail(n, path, "an event does one thing; this one has %s", strings.Join(kindKeys, " and "))
		return
	}
	if !hasAt {
		d.s.broken[path] = true
	}
	d.s.Timeline = append(d.s.Timeline, e)
	d.s.pos[fmt.Sprintf("event.%d", len(d.s.Timeline)-1)] = pos(n)
	if d.s.broken[path] || anyBroken(d.s.broken, path+".") {
		d.s.broken[fmt.Sprintf("event.%d", len(d.s.Timeline)-1)] = true
	}
}

func anyBroken(broken map[string]bool, prefix string) bool {
	for k := range broken {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// groups reads [[a, b], [c]] or, for one group, [a, b].
func (d *decoder) groups(v *yaml.Node, p string) [][]string {
	items := d.seq(v, p)
	if items == nil {
		return nil
	}
	if len(items) == 0 {
		d.fail(v, p, "a partition needs at least one group of sites, like [[tallinn]]")
		return nil
	}
	if items[0].Kind == yaml.ScalarNode {
		g, _ := d.list(v, p)
		return [][]string{g}
	}
	var out [][]string
	for i, it := range items {
		sub := fmt.Sprintf("%s.%d", p, i)
		if it.Kind != yaml.SequenceNode {
			d.fail(it, sub, "want a group of sites like [tallinn, helsinki], found %s", what(it))
			continue
		}
		if len(it.Content) == 0 {
			d.fail(it, sub, "this group names no site")
			continue
		}
		g, _ := d.list(it, sub)
		out = append(out, g)
	}
	return out
}
