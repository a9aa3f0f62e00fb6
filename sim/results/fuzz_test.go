package results_test

import (
	"bytes"
	"io"
	"reflect"
	"testing"

	"github.com/dataembassy/embassy/sim/results"
	"github.com/dataembassy/embassy/sim/results/resultstest"
)

// seeds adds the synthetic run's file as written, and a few damaged forms.
func seeds(f *testing.F, write func(w io.Writer, r results.Run) error) {
	r := resultstest.Run(resultstest.Options{Ops: 8, Duration: 2 * 60e9})
	var buf bytes.Buffer
	if err := write(&buf, r); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:buf.Len()/2])
	f.Add([]byte{})
	f.Add([]byte("\n"))
	f.Add([]byte(`"a`))
}

// stable checks that what a reader accepts survives writing and reading
// again unchanged.
func stable[T any](t *testing.T, got T, write func(io.Writer, T) error, read func(io.Reader) (T, error)) {
	var buf bytes.Buffer
	if err := write(&buf, got); err != nil {
		t.Fatalf("writing what was read: %v", err)
	}
	again, err := read(&buf)
	if err != nil {
		t.Fatalf("reading what was written: %v\n%s", err, buf.Bytes())
	}
	if !reflect.DeepEqual(again, got) {
		t.Fatalf("changed by a round trip:\n got %+v\nwant %+v", again, got)
	}
}

func FuzzReadEvents(f *testing.F) {
	seeds(f, func(w io.Writer, r results.Run) error { return results.WriteEvents(w, r.Events) })
	f.Add([]byte(`{"t_us":5,"t":"0:00:00.000","type":"op","op":{"start_us":1,"latency_us":4,"kind":"k","client":"c","site":"s","registry":"r","ok":false,"reason":"x","reachable":1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := results.ReadEvents(bytes.NewReader(data))
		if err != nil {
			return
		}
		stable(t, events, results.WriteEvents, results.ReadEvents)
	})
}

func FuzzReadOps(f *testing.F) {
	seeds(f, func(w io.Writer, r results.Run) error { return results.WriteOps(w, r.Ops) })
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, err := results.ReadOps(bytes.NewReader(data))
		if err != nil {
			return
		}
		stable(t, ops, results.WriteOps, results.ReadOps)
	})
}

func FuzzReadSamples(f *testing.F) {
	seeds(f, func(w io.Writer, r results.Run) error { return results.WriteSamples(w, r.Samples) })
	f.Fuzz(func(t *testing.T, data []byte) {
		samples, err := results.ReadSamples(bytes.NewReader(data))
		if err != nil {
			return
		}
		stable(t, samples, results.WriteSamples, results.ReadSamples)
	})
}

func FuzzReadTraffic(f *testing.F) {
	seeds(f, func(w io.Writer, r results.Run) error { return results.WriteTraffic(w, r.Traffic) })
	f.Fuzz(func(t *testing.T, data []byte) {
		traffic, err := results.ReadTraffic(bytes.NewReader(data))
		if err != nil {
			return
		}
		stable(t, traffic, results.WriteTraffic, results.ReadTraffic)
	})
}

func FuzzReadRunInfo(f *testing.F) {
	seeds(f, results.WriteRunInfo)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, _, err := results.ReadRunInfo(bytes.NewReader(data))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := results.WriteRunInfo(&buf, r); err != nil {
			t.Fatalf("writing what was read: %v", err)
		}
		again, sum, err := results.ReadRunInfo(&buf)
		if err != nil {
			t.Fatalf("reading what was written: %v", err)
		}
		if !reflect.DeepEqual(again, r) || !reflect.DeepEqual(sum, results.Summarize(r)) {
			t.Fatalf("changed by a round trip:\n got %+v\nwant %+v", again, r)
		}
	})
}
