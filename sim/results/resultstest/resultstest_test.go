package resultstest_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/dataembassy/embassy/sim/results"
	"github.com/dataembassy/embassy/sim/results/resultstest"
)

func TestRunIsValidAndRepeats(t *testing.T) {
	for _, o := range []resultstest.Options{
		{},
		{Seed: 7, Nodes: 1, Threshold: 1, Ops: 3, Duration: time.Second},
		{Nodes: 12, Threshold: 9, Ops: 2000, Duration: 3 * time.Hour, Interval: time.Minute},
	} {
		r := resultstest.Run(o)
		if err := r.Validate(); err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		want := o.Ops
		if want == 0 {
			want = 500
		}
		if len(r.Ops) != want || len(r.Samples) == 0 || len(r.Traffic) == 0 || len(r.Events) < want+2 {
			t.Errorf("%+v: %d ops, %d samples, %d traffic rows, %d events", o, len(r.Ops), len(r.Samples), len(r.Traffic), len(r.Events))
		}
		failed := 0
		for _, op := range r.Ops {
			if !op.OK {
				failed++
			}
		}
		if o.Ops == 0 && (failed == 0 || failed == len(r.Ops)) {
			t.Errorf("default run: %d of %d ops failed, want some but not all", failed, len(r.Ops))
		}
		if !reflect.DeepEqual(resultstest.Run(o), r) {
			t.Errorf("%+v: two runs differ", o)
		}
	}
	runs := resultstest.Sweep(1, []int{3, 5}, []int{2, 4})
	if len(runs) != 3 || runs[2].Params["nodes"] != "5" || runs[2].Dir == "" {
		t.Errorf("sweep: %d runs, last %v %q", len(runs), runs[len(runs)-1].Params, runs[len(runs)-1].Dir)
	}
	if err := results.WriteSweep(t.TempDir(), runs); err != nil {
		t.Error(err)
	}
}
