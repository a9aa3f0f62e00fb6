package results

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Errors callers branch on.
var (
	// ErrInvalid: a Run that Write refuses (Validate's verdict).
	ErrInvalid = errors.New("invalid run")
	// ErrFormat: a file that the readers cannot read.
	ErrFormat = errors.New("malformed results file")
	// ErrNotResultsDir: Write was given a non-empty directory holding
	// something other than result files.
	ErrNotResultsDir = errors.New("not a results directory")
)

// Validate checks what the files and the report rely on: times are not
// negative, events are in time order and only "op" events carry an op,
// an op that failed has a reason and one that succeeded has none, each
// sample's Margin is Reachable - Threshold, counts are not negative, names
// are not empty and are unique where they identify something, and numbers
// are finite. It does not check that names refer to each other (a node's
// site among Sites): the report draws what it can find. Errors wrap
// ErrInvalid and name the first problem.
func (r Run) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)
	}
	switch {
	case r.Duration < 0:
		return bad("duration %v is negative", r.Duration)
	case r.SampleInterval < 0:
		return bad("sample interval %v is negative", r.SampleInterval)
	case r.Threshold < 0:
		return bad("threshold %d is negative", r.Threshold)
	}
	if err := checkDir(r.Dir); err != nil {
		return bad("%v", err)
	}
	for k := range r.Params {
		if k == "" {
			return bad("a sweep parameter has an empty name")
		}
	}
	seen := map[string]bool{}
	for i, s := range r.Sites {
		switch {
		case s.ID == "":
			return bad("site %d has no id", i+1)
		case seen[s.ID]:
			return bad("site %q is listed twice", s.ID)
		case !finite(s.Lat) || !finite(s.Lon):
			return bad("site %q: position %v, %v is not finite", s.ID, s.Lat, s.Lon)
		}
		seen[s.ID] = true
	}
	for i, l := range r.Links {
		switch {
		case l.A == "" || l.B == "":
			return bad("link %d: a site id is empty", i+1)
		case l.RTT < 0:
			return bad("link %s-%s: RTT %v is negative", l.A, l.B, l.RTT)
		case l.Bandwidth < 0:
			return bad("link %s-%s: bandwidth %d is negative", l.A, l.B, l.Bandwidth)
		case !(l.Loss >= 0 && l.Loss <= 1):
			return bad("link %s-%s: loss %v is outside [0, 1]", l.A, l.B, l.Loss)
		}
	}
	clear(seen)
	for i, n := range r.Nodes {
		switch {
		case n.Name == "":
			return bad("node %d has no name", i+1)
		case seen[n.Name]:
			return bad("node %q is listed twice", n.Name)
		}
		seen[n.Name] = true
	}
	clear(seen)
	for i, c := range r.Clients {
		switch {
		case c.Name == "":
			return bad("client %d has no name", i+1)
		case seen[c.Name]:
			return bad("client %q is listed twice", c.Name)
		}
		seen[c.Name] = true
	}
	var last time.Duration
	for i, e := range r.Events {
		if err := checkEvent(e, last); err != nil {
			return bad("event %d: %v", i+1, err)
		}
		last = e.T
	}
	for i, o := range r.Ops {
		if err := checkOp(o); err != nil {
			return bad("op %d: %v", i+1, err)
		}
	}
	for i, s := range r.Samples {
		if err := checkSample(s); err != nil {
			return bad("sample %d: %v", i+1, err)
		}
	}
	for i, t := range r.Traffic {
		if err := checkTraffic(t); err != nil {
			return bad("traffic row %d: %v", i+1, err)
		}
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func checkDir(d string) error {
	if d == "" {
		return nil
	}
	if d == "." || d == ".." || strings.ContainsAny(d, "/\\\x00") {
		return fmt.Errorf("run directory %q is not a single path element", d)
	}
	return nil
}

func checkEvent(e Event, last time.Duration) error {
	switch {
	case e.T < 0:
		return fmt.Errorf("time %v is negative", e.T)
	case e.T < last:
		return fmt.Errorf("time %s is before the previous event's %s", FormatTime(e.T), FormatTime(last))
	case e.Type == "":
		return errors.New("no type")
	case e.Type == EventOp && e.Op == nil:
		return errors.New(`type "op" without an op`)
	case e.Type != EventOp && e.Op != nil:
		return fmt.Errorf("type %q carries an op", e.Type)
	case e.Type == EventAction && e.Action == "":
		return errors.New(`type "action" without an action`)
	}
	if e.Op != nil {
		return checkOp(*e.Op)
	}
	return nil
}

func checkOp(o Op) error {
	switch {
	case o.Start < 0:
		return fmt.Errorf("start %v is negative", o.Start)
	case o.Latency < 0:
		return fmt.Errorf("latency %v is negative", o.Latency)
	case o.Kind == "":
		return errors.New("no kind")
	case o.OK && (o.Reason != "" || o.Error != ""):
		return fmt.Errorf("succeeded but has a reason %q or error %q", o.Reason, o.Error)
	case !o.OK && o.Reason == "":
		return errors.New("failed without a reason")
	case o.Reachable < 0:
		return fmt.Errorf("reachable %d is negative", o.Reachable)
	}
	return nil
}

func checkSample(s Sample) error {
	switch {
	case s.T < 0:
		return fmt.Errorf("time %v is negative", s.T)
	case s.Client == "":
		return errors.New("no client")
	case s.NodesUp < 0 || s.Reachable < 0 || s.Threshold < 0 || s.OK < 0 || s.Failed < 0:
		return errors.New("a count is negative")
	case s.Margin != s.Reachable-s.Threshold:
		return fmt.Errorf("margin %d is not reachable %d - threshold %d", s.Margin, s.Reachable, s.Threshold)
	}
	return nil
}

func checkTraffic(t Traffic) error {
	switch {
	case t.Scope != ScopeEndpoint && t.Scope != ScopeLink:
		return fmt.Errorf("scope %q is neither %q nor %q", t.Scope, ScopeEndpoint, ScopeLink)
	case t.Name == "":
		return errors.New("no name")
	case t.BytesOut < 0 || t.BytesIn < 0 || t.PacketsOut < 0 || t.PacketsIn < 0 || t.Dropped < 0:
		return fmt.Errorf("%s: a count is negative", t.Name)
	}
	return nil
}

// cleanText makes s survive the files unchanged: valid UTF-8 (JSON would
// replace invalid bytes) and no carriage returns (CSV readers turn "\r\n"
// into "\n").
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	return s
}
