package topology

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// WriteCSV writes every link of t once (site a before site b in t's order,
// the local links included) with its source, the floor and the note:
// header a,b,rtt_ms,floor_ms,jitter_ms,bandwidth_bps,loss,source,note.
func (t *Topology) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"a", "b", "rtt_ms", "floor_ms", "jitter_ms", "bandwidth_bps", "loss", "source", "note"}); err != nil {
		return err
	}
	ms := func(d interface{ Seconds() float64 }) string {
		return strconv.FormatFloat(d.Seconds()*1000, 'f', 3, 64)
	}
	for i, a := range t.sites {
		for j := i; j < len(t.sites); j++ {
			b := t.sites[j]
			l := t.links[i][j]
			rec := []string{a.ID, b.ID, ms(l.RTT), ms(Floor(a, b)), ms(l.Jitter),
				strconv.FormatInt(l.Bandwidth, 10), strconv.FormatFloat(l.Loss, 'g', -1, 64), string(l.Source), l.Note}
			if err := cw.Write(rec); err != nil {
				return fmt.Errorf("write links: %w", err)
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
