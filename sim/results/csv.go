package results

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Column orders of the CSV files (each file starts with this header row).
var (
	OpsColumns          = []string{"start_us", "latency_us", "kind", "client", "site", "registry", "ok", "reason", "reachable", "error"}
	AvailabilityColumns = []string{"t_us", "client", "site", "nodes_up", "reachable", "threshold", "margin", "ok", "failed"}
	TrafficColumns      = []string{"scope", "name", "bytes_out", "bytes_in", "packets_out", "packets_in", "dropped"}
)

func i64(v int64) string { return strconv.FormatInt(v, 10) }
func itoa(v int) string  { return strconv.Itoa(v) }

func writeCSV(w io.Writer, header []string, n int, row func(i int) []string) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	if err := cw.Write(header); err != nil {
		return err
	}
	for i := range n {
		rec := row(i)
		for j := range rec {
			rec[j] = cleanText(rec[j])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteOps writes ops.csv: one row per operation, columns OpsColumns,
// times in integer microseconds, ok as true or false.
func WriteOps(w io.Writer, ops []Op) error {
	return writeCSV(w, OpsColumns, len(ops), func(i int) []string {
		o := ops[i]
		return []string{i64(us(o.Start)), i64(us(o.Latency)), o.Kind, o.Client, o.Site, o.Registry,
			strconv.FormatBool(o.OK), o.Reason, itoa(o.Reachable), o.Error}
	})
}

// WriteSamples writes availability.csv: one row per sample, columns
// AvailabilityColumns.
func WriteSamples(w io.Writer, samples []Sample) error {
	return writeCSV(w, AvailabilityColumns, len(samples), func(i int) []string {
		s := samples[i]
		return []string{i64(us(s.T)), s.Client, s.Site, itoa(s.NodesUp), itoa(s.Reachable),
			itoa(s.Threshold), itoa(s.Margin), itoa(s.OK), itoa(s.Failed)}
	})
}

// WriteTraffic writes traffic.csv: one row per endpoint or directed site
// pair, columns TrafficColumns.
func WriteTraffic(w io.Writer, traffic []Traffic) error {
	return writeCSV(w, TrafficColumns, len(traffic), func(i int) []string {
		t := traffic[i]
		return []string{t.Scope, t.Name, i64(t.BytesOut), i64(t.BytesIn), i64(t.PacketsOut), i64(t.PacketsIn), i64(t.Dropped)}
	})
}

// fields parses one CSV row; the first error sticks.
type fields struct {
	rec  []string
	cols []string
	err  error
}

func (f *fields) fail(i int, format string, a ...any) {
	if f.err == nil {
		f.err = fmt.Errorf("column %s: "+format, append([]any{f.cols[i]}, a...)...)
	}
}

func (f *fields) text(i int) string {
	s := f.rec[i]
	if cleanText(s) != s {
		f.fail(i, "not valid UTF-8 text without carriage returns")
	}
	return s
}

func (f *fields) int64(i int) int64 {
	v, err := strconv.ParseInt(f.rec[i], 10, 64)
	if err != nil {
		f.fail(i, "%q is not an integer", f.rec[i])
	}
	return v
}

func (f *fields) int(i int) int {
	v, err := strconv.ParseInt(f.rec[i], 10, 0)
	if err != nil {
		f.fail(i, "%q is not an integer", f.rec[i])
	}
	return int(v)
}

func (f *fields) dur(i int) time.Duration {
	v, err := strconv.ParseInt(f.rec[i], 10, 64)
	if err != nil {
		f.fail(i, "%q is not an integer", f.rec[i])
		return 0
	}
	t, err := fromUS(v)
	if err != nil {
		f.fail(i, "%v", err)
	}
	return t
}

func (f *fields) bool(i int) bool {
	switch f.rec[i] {
	case "true":
		return true
	case "false":
		return false
	}
	f.fail(i, "%q is neither true nor false", f.rec[i])
	return false
}

// readCSV reads a file with the given header, calling row for each record.
func readCSV(r io.Reader, file string, header []string, row func(f *fields) error) error {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = len(header)
	cr.ReuseRecord = true
	rec, err := cr.Read()
	if err == io.EOF {
		return fmt.Errorf("%w: %s: empty (no header row)", ErrFormat, file)
	}
	if err != nil {
		return fmt.Errorf("%w: %s: header: %w", ErrFormat, file, err)
	}
	if strings.Join(rec, ",") != strings.Join(header, ",") {
		return fmt.Errorf("%w: %s: header is %q, want %q", ErrFormat, file, strings.Join(rec, ","), strings.Join(header, ","))
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return fmt.Errorf("%w: %s: %w", ErrFormat, file, err)
			}
			return fmt.Errorf("%s: %w", file, err)
		}
		line, _ := cr.FieldPos(0)
		f := &fields{rec: rec, cols: header}
		if err := row(f); err != nil {
			return fmt.Errorf("%w: %s line %d: %w", ErrFormat, file, line, err)
		}
	}
}

// ReadOps reads ops.csv as WriteOps writes it and checks each op as
// Validate does.
func ReadOps(r io.Reader) ([]Op, error) {
	var ops []Op
	err := readCSV(r, FileOps, OpsColumns, func(f *fields) error {
		o := Op{
			Start: f.dur(0), Latency: f.dur(1), Kind: f.text(2), Client: f.text(3), Site: f.text(4),
			Registry: f.text(5), OK: f.bool(6), Reason: f.text(7), Reachable: f.int(8), Error: f.text(9),
		}
		if f.err != nil {
			return f.err
		}
		if err := checkOp(o); err != nil {
			return err
		}
		ops = append(ops, o)
		return nil
	})
	return ops, err
}

// ReadSamples reads availability.csv as WriteSamples writes it and checks
// each sample as Validate does.
func ReadSamples(r io.Reader) ([]Sample, error) {
	var samples []Sample
	err := readCSV(r, FileAvailability, AvailabilityColumns, func(f *fields) error {
		s := Sample{
			T: f.dur(0), Client: f.text(1), Site: f.text(2), NodesUp: f.int(3), Reachable: f.int(4),
			Threshold: f.int(5), Margin: f.int(6), OK: f.int(7), Failed: f.int(8),
		}
		if f.err != nil {
			return f.err
		}
		if err := checkSample(s); err != nil {
			return err
		}
		samples = append(samples, s)
		return nil
	})
	return samples, err
}

// ReadTraffic reads traffic.csv as WriteTraffic writes it and checks each
// row as Validate does.
func ReadTraffic(r io.Reader) ([]Traffic, error) {
	var traffic []Traffic
	err := readCSV(r, FileTraffic, TrafficColumns, func(f *fields) error {
		t := Traffic{
			Scope: f.text(0), Name: f.text(1), BytesOut: f.int64(2), BytesIn: f.int64(3),
			PacketsOut: f.int64(4), PacketsIn: f.int64(5), Dropped: f.int64(6),
		}
		if f.err != nil {
			return f.err
		}
		if err := checkTraffic(t); err != nil {
			return err
		}
		traffic = append(traffic, t)
		return nil
	})
	return traffic, err
}
