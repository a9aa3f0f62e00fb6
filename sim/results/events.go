package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// MaxLine is the longest line the readers accept (events.jsonl and the
// CSV files), in bytes.
const MaxLine = 1 << 20

// eventJSON is the form of one events.jsonl line, fields in this order.
type eventJSON struct {
	TUS    int64   `json:"t_us"`
	T      string  `json:"t"`
	Type   string  `json:"type"`
	Action string  `json:"action,omitempty"`
	Target string  `json:"target,omitempty"`
	Detail string  `json:"detail,omitempty"`
	Op     *opJSON `json:"op,omitempty"`
}

type opJSON struct {
	StartUS   int64  `json:"start_us"`
	LatencyUS int64  `json:"latency_us"`
	Kind      string `json:"kind"`
	Client    string `json:"client"`
	Site      string `json:"site"`
	Registry  string `json:"registry"`
	OK        bool   `json:"ok"`
	Reason    string `json:"reason,omitempty"`
	Error     string `json:"error,omitempty"`
	Reachable int    `json:"reachable"`
}

func us(d time.Duration) int64 { return d.Microseconds() }

func fromUS(v int64) (time.Duration, error) {
	const max = int64(1<<63-1) / int64(time.Microsecond)
	if v < 0 || v > max {
		return 0, fmt.Errorf("time %d µs is out of range", v)
	}
	return time.Duration(v) * time.Microsecond, nil
}

// WriteEvents writes events as JSON Lines: one object per line with the
// fields t_us (integer microseconds), t (h:mm:ss.mmm, for people), type,
// and as present action, target, detail, op (start_us, latency_us, kind,
// client, site, registry, ok, reason, error, reachable). It writes what
// it is given; Validate checks the events first.
func WriteEvents(w io.Writer, events []Event) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i, e := range events {
		j := eventJSON{
			TUS:    us(e.T),
			T:      FormatTime(e.T.Truncate(time.Microsecond)),
			Type:   cleanText(e.Type),
			Action: cleanText(e.Action),
			Target: cleanText(e.Target),
			Detail: cleanText(e.Detail),
		}
		if e.Op != nil {
			o := opToJSON(*e.Op)
			j.Op = &o
		}
		if err := enc.Encode(j); err != nil { // Encode ends the line
			return fmt.Errorf("event %d: %w", i+1, err)
		}
	}
	return bw.Flush()
}

func opToJSON(o Op) opJSON {
	return opJSON{
		StartUS:   us(o.Start),
		LatencyUS: us(o.Latency),
		Kind:      cleanText(o.Kind),
		Client:    cleanText(o.Client),
		Site:      cleanText(o.Site),
		Registry:  cleanText(o.Registry),
		OK:        o.OK,
		Reason:    cleanText(o.Reason),
		Error:     cleanText(o.Error),
		Reachable: o.Reachable,
	}
}

// ReadEvents reads what WriteEvents writes and checks each event as
// Validate does (times in order, ops only on "op" events). Unknown fields
// are refused, and "t" must agree with "t_us". Errors wrap ErrFormat and
// name the line.
func ReadEvents(r io.Reader) ([]Event, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	var events []Event
	var last time.Duration
	line := 0
	for sc.Scan() {
		line++
		e, err := decodeEvent(sc.Bytes())
		if err == nil {
			err = checkEvent(e, last)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s line %d: %w", ErrFormat, FileEvents, line, err)
		}
		last = e.T
		events = append(events, e)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%w: %s line %d: longer than %d bytes", ErrFormat, FileEvents, line+1, MaxLine)
		}
		return nil, fmt.Errorf("%s: %w", FileEvents, err)
	}
	return events, nil
}

func decodeEvent(b []byte) (Event, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var j struct {
		eventJSON
		TUS *int64  `json:"t_us"`
		T   *string `json:"t"`
	}
	if err := dec.Decode(&j); err != nil {
		return Event{}, err
	}
	if dec.More() {
		return Event{}, errors.New("more than one JSON value on the line")
	}
	if _, err := dec.Token(); err != io.EOF {
		return Event{}, errors.New("trailing data after the JSON object")
	}
	if j.TUS == nil || j.T == nil {
		return Event{}, errors.New(`"t_us" or "t" is missing`)
	}
	t, err := fromUS(*j.TUS)
	if err != nil {
		return Event{}, err
	}
	if want := FormatTime(t); *j.T != want {
		return Event{}, fmt.Errorf(`"t" is %q but "t_us" %d is %s`, *j.T, *j.TUS, want)
	}
	e := Event{T: t, Type: j.Type, Action: j.Action, Target: j.Target, Detail: j.Detail}
	if err := checkText(e.Type, e.Action, e.Target, e.Detail); err != nil {
		return Event{}, err
	}
	if j.Op != nil {
		o, err := opFromJSON(*j.Op)
		if err != nil {
			return Event{}, fmt.Errorf("op: %w", err)
		}
		e.Op = &o
	}
	return e, nil
}

func opFromJSON(j opJSON) (Op, error) {
	start, err := fromUS(j.StartUS)
	if err != nil {
		return Op{}, fmt.Errorf("start: %w", err)
	}
	lat, err := fromUS(j.LatencyUS)
	if err != nil {
		return Op{}, fmt.Errorf("latency: %w", err)
	}
	if err := checkText(j.Kind, j.Client, j.Site, j.Registry, j.Reason, j.Error); err != nil {
		return Op{}, err
	}
	return Op{
		Start: start, Latency: lat, Kind: j.Kind, Client: j.Client, Site: j.Site,
		Registry: j.Registry, OK: j.OK, Reason: j.Reason, Error: j.Error, Reachable: j.Reachable,
	}, nil
}

// checkText refuses text that the writers would not produce.
func checkText(ss ...string) error {
	for _, s := range ss {
		if cleanText(s) != s {
			return fmt.Errorf("text %q is not valid UTF-8 without carriage returns", s)
		}
	}
	return nil
}
