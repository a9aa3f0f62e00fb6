package report

import (
	"math"
	"reflect"
	"testing"

	"github.com/dataembassy/embassy/sim/results"
	"github.com/dataembassy/embassy/sim/results/resultstest"
)

func TestPlaceSites(t *testing.T) {
	const w, h, padX, padY, gap = 960.0, 560.0, 110.0, 70.0, 170.0
	europe := resultstest.Run(resultstest.Options{Ops: 1}).Sites
	same := []results.Site{{ID: "a", Lat: 1, Lon: 1}, {ID: "b", Lat: 1, Lon: 1}, {ID: "c", Lat: 1, Lon: 1}}
	line := []results.Site{{ID: "a", Lat: 0, Lon: -10}, {ID: "b", Lat: 0, Lon: 0}, {ID: "c", Lat: 0, Lon: 10}}
	for name, sites := range map[string][]results.Site{"default": europe, "one place": same, "on the equator": line, "one": same[:1], "none": nil} {
		t.Run(name, func(t *testing.T) {
			pts := placeSites(sites, w, h, padX, padY, gap)
			if len(pts) != len(sites) {
				t.Fatalf("%d points for %d sites", len(pts), len(sites))
			}
			for i, p := range pts {
				if p[0] < padX || p[0] > w-padX || p[1] < padY || p[1] > h-padY || math.IsNaN(p[0]) || math.IsNaN(p[1]) {
					t.Errorf("site %d at %v, outside the padded canvas", i, p)
				}
				for j := range i {
					if d := math.Hypot(p[0]-pts[j][0], p[1]-pts[j][1]); d < gap*0.9 {
						t.Errorf("sites %d and %d are %.0f apart, want about %v", j, i, d, gap)
					}
				}
			}
			if again := placeSites(sites, w, h, padX, padY, gap); !reflect.DeepEqual(again, pts) {
				t.Error("placement differs between two calls")
			}
		})
	}
	// Geography survives where there is room: west stays west, north stays north.
	pts := placeSites(europe, w, h, padX, padY, gap)
	idx := map[string]int{}
	for i, s := range europe {
		idx[s.ID] = i
	}
	if !(pts[idx["washington"]][0] < pts[idx["luxembourg"]][0] && pts[idx["luxembourg"]][0] < pts[idx["tallinn"]][0]) {
		t.Errorf("west to east order lost: %v", pts)
	}
	if !(pts[idx["helsinki"]][1] < pts[idx["frankfurt"]][1]) {
		t.Errorf("Helsinki is not north of Frankfurt: %v", pts)
	}
}
