package results_test

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dataembassy/embassy/sim/results"
	"github.com/dataembassy/embassy/sim/results/resultstest"
)

func TestRoundTrip(t *testing.T) {
	odd := results.Run{
		Scenario:    "odd \"names\", commas; <script>",
		Description: "line one\nline two, with \"quotes\" and ünïcödé",
		Seed:        1<<64 - 1,
		Duration:    90 * time.Second,
		Threshold:   1,
		Params:      map[string]string{"threshold": "1", "nodes": "1"},
		Dir:         "run-1",
		Sites:       []results.Site{{ID: "x", City: "X, \"Y\"", Country: "XX", Lat: -33.5, Lon: 151.25}},
		Links:       []results.Link{{A: "x", B: "x", RTT: 500 * time.Microsecond, Bandwidth: 1e9, Loss: 0.25}},
		Nodes:       []results.Node{{Name: "node1", Index: 1, Site: "x"}},
		Clients:     []results.Client{{Name: "c,1", Site: "x", Role: "custodian"}},
		Events: []results.Event{
			{T: 0, Type: results.EventStart},
			{T: time.Second, Type: results.EventOp, Op: &results.Op{Start: 0, Latency: time.Second, Kind: "lookup", Client: "c,1",
				Site: "x", OK: false, Reason: "error", Error: "multi\nline \"error\", with commas", Reachable: 0}},
			{T: time.Second, Type: results.EventAction, Action: "kill", Target: "node1", Detail: "0:00:01.000 kill node1"},
			{T: 90 * time.Second, Type: results.EventEnd},
		},
		Ops: []results.Op{{Start: 0, Latency: time.Second, Kind: "lookup", Client: "c,1", Site: "x", Reason: "error",
			Error: "multi\nline \"error\", with commas"}},
		Samples: []results.Sample{{T: 30 * time.Second, Client: "c,1", Site: "x", NodesUp: 1, Reachable: 0, Threshold: 1, Margin: -1, Failed: 1}},
		Traffic: []results.Traffic{{Scope: results.ScopeLink, Name: "x>x", BytesOut: 1 << 40, Dropped: 3}},
	}
	for name, r := range map[string]results.Run{
		"synthetic": resultstest.Run(resultstest.Options{}),
		"odd":       odd,
		"empty":     {Scenario: "empty"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			if err := results.Write(dir, r); err != nil {
				t.Fatal(err)
			}
			got, err := results.Read(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, r) {
				t.Errorf("read back differs:\n got %+v\nwant %+v", got, r)
			}
		})
	}
}

func TestWriteIsDeterministic(t *testing.T) {
	r := resultstest.Run(resultstest.Options{Seed: 3})
	a, b := t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		if err := results.Write(d, resultstest.Run(resultstest.Options{Seed: 3})); err != nil {
			t.Fatal(err)
		}
	}
	// Writing again into the same directory replaces the files with the same bytes.
	if err := results.Write(b, r); err != nil {
		t.Fatal(err)
	}
	names := []string{results.FileRun, results.FileEvents, results.FileOps, results.FileAvailability, results.FileTraffic}
	for _, n := range names {
		x, err := os.ReadFile(filepath.Join(a, n))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, n))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two writes of the same run", n)
		}
		if len(x) == 0 {
			t.Errorf("%s is empty", n)
		}
	}
	entries, _ := os.ReadDir(b)
	if len(entries) != len(names) {
		t.Errorf("directory holds %d entries, want %d (temporary files left?)", len(entries), len(names))
	}
}

// The formats, pinned: a change here breaks readers of earlier results.
func TestFormats(t *testing.T) {
	op := results.Op{Start: 1500 * time.Microsecond, Latency: 41*time.Millisecond + 7*time.Microsecond + 999, Kind: "lookup",
		Client: "home", Site: "tallinn", Registry: "population", OK: true, Reachable: 5}
	bad := results.Op{Start: time.Hour, Latency: 2 * time.Second, Kind: "ingest", Client: "home", Site: "tallinn",
		Registry: "land", Reason: "threshold", Error: `only 3 of 4, "sorry"`, Reachable: 3}
	events := []results.Event{
		{T: 0, Type: "start", Detail: "seed 1"},
		{T: 42508 * time.Microsecond, Type: "op", Op: &op},
		{T: 30 * time.Minute, Type: "action", Action: "partition", Target: "tallinn | luxembourg frankfurt", Detail: "0:30:00.000 partition tallinn | luxembourg frankfurt"},
	}
	var buf bytes.Buffer
	if err := results.WriteEvents(&buf, events); err != nil {
		t.Fatal(err)
	}
	want := `{"t_us":0,"t":"0:00:00.000","type":"start","detail":"seed 1"}
{"t_us":42508,"t":"0:00:00.042","type":"op","op":{"start_us":1500,"latency_us":41007,"kind":"lookup","client":"home","site":"tallinn","registry":"population","ok":true,"reachable":5}}
{"t_us":1800000000,"t":"0:30:00.000","type":"action","action":"partition","target":"tallinn | luxembourg frankfurt","detail":"0:30:00.000 partition tallinn | luxembourg frankfurt"}
`
	if buf.String() != want {
		t.Errorf("events.jsonl:\n%s\nwant\n%s", buf.String(), want)
	}
	buf.Reset()
	if err := results.WriteOps(&buf, []results.Op{op, bad}); err != nil {
		t.Fatal(err)
	}
	want = `start_us,latency_us,kind,client,site,registry,ok,reason,reachable,error
1500,41007,lookup,home,tallinn,population,true,,5,
3600000000,2000000,ingest,home,tallinn,land,false,threshold,3,"only 3 of 4, ""sorry"""
`
	if buf.String() != want {
		t.Errorf("ops.csv:\n%s\nwant\n%s", buf.String(), want)
	}
	buf.Reset()
	if err := results.WriteSamples(&buf, []results.Sample{{T: 10 * time.Second, Client: "home", Site: "tallinn", NodesUp: 7, Reachable: 3, Threshold: 4, Margin: -1, OK: 2, Failed: 5}}); err != nil {
		t.Fatal(err)
	}
	want = "t_us,client,site,nodes_up,reachable,threshold,margin,ok,failed\n10000000,home,tallinn,7,3,4,-1,2,5\n"
	if buf.String() != want {
		t.Errorf("availability.csv:\n%s\nwant\n%s", buf.String(), want)
	}
	buf.Reset()
	if err := results.WriteTraffic(&buf, []results.Traffic{{Scope: "link", Name: "tallinn>frankfurt", BytesOut: 10, BytesIn: 9, PacketsOut: 2, PacketsIn: 1, Dropped: 1}}); err != nil {
		t.Fatal(err)
	}
	want = "scope,name,bytes_out,bytes_in,packets_out,packets_in,dropped\nlink,tallinn>frankfurt,10,9,2,1,1\n"
	if buf.String() != want {
		t.Errorf("traffic.csv:\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestWriteTruncatesToMicroseconds(t *testing.T) {
	r := results.Run{Scenario: "x", Duration: time.Minute + 999,
		Ops: []results.Op{{Start: 1001, Latency: 2999, Kind: "lookup", OK: true}}}
	dir := t.TempDir()
	if err := results.Write(dir, r); err != nil {
		t.Fatal(err)
	}
	got, err := results.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Duration != time.Minute || got.Ops[0].Start != time.Microsecond || got.Ops[0].Latency != 2*time.Microsecond {
		t.Errorf("got duration %v, op %+v", got.Duration, got.Ops[0])
	}
}

func TestWriteCleansText(t *testing.T) {
	r := results.Run{Scenario: "a\r\nb\xff", Ops: []results.Op{{Kind: "lookup", Reason: "x\ry", Error: "e\r\n"}}}
	dir := t.TempDir()
	if err := results.Write(dir, r); err != nil {
		t.Fatal(err)
	}
	got, err := results.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Scenario != "a\nb\uFFFD" || got.Ops[0].Reason != "x\ny" || got.Ops[0].Error != "e\n" {
		t.Errorf("got %q, %+v", got.Scenario, got.Ops[0])
	}
}

func TestWriteRefusesOtherDirectories(t *testing.T) {
	r := resultstest.Run(resultstest.Options{Ops: 10})
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  error // nil: accepted
	}{
		{"new", func(t *testing.T, dir string) { os.Remove(dir) }, nil},
		{"empty", func(t *testing.T, dir string) {}, nil},
		{"earlier results", func(t *testing.T, dir string) {
			if err := results.Write(dir, resultstest.Run(resultstest.Options{Ops: 20, Seed: 9})); err != nil {
				t.Fatal(err)
			}
			write(t, dir, results.FileReport, "<p>old report</p>")
		}, nil},
		{"interrupted write", func(t *testing.T, dir string) {
			write(t, dir, results.FileOps, "partial")
			write(t, dir, ".tmp-events.jsonl-123", "partial")
		}, nil},
		{"other file", func(t *testing.T, dir string) { write(t, dir, "notes.txt", "mine") }, results.ErrNotResultsDir},
		{"other run.json", func(t *testing.T, dir string) { write(t, dir, results.FileRun, `{"format":"other"}`) }, results.ErrNotResultsDir},
		{"subdirectory", func(t *testing.T, dir string) { os.Mkdir(filepath.Join(dir, "sub"), 0o755) }, results.ErrNotResultsDir},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			err := results.Write(dir, r)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Write: %v, want %v", err, tc.want)
			}
			if err != nil {
				return
			}
			got, err := results.Read(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, r) {
				t.Error("read back differs")
			}
		})
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWriteExtraFiles(t *testing.T) {
	r := resultstest.Run(resultstest.Options{Ops: 10})
	dir := t.TempDir()
	report := results.File{Name: results.FileReport, Write: func(w io.Writer) error { _, err := io.WriteString(w, "<p>report</p>"); return err }}
	if err := results.Write(dir, r, report); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, results.FileReport)); err != nil || string(b) != "<p>report</p>" {
		t.Errorf("report.html: %q, %v", b, err)
	}
	failing := results.File{Name: results.FileReport, Write: func(w io.Writer) error { return errors.New("boom") }}
	if err := results.Write(dir, r, failing); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Write with a failing extra file: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, results.FileReport)); string(b) != "<p>report</p>" {
		t.Errorf("a failed write replaced report.html with %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, results.FileRun)); err == nil {
		t.Error("run.json is present after an interrupted write")
	}
	for _, name := range []string{results.FileOps, "../x", "a/b", "", ".tmp-x"} {
		err := results.Write(t.TempDir(), r, results.File{Name: name, Write: report.Write})
		if !errors.Is(err, results.ErrInvalid) {
			t.Errorf("extra file %q: %v, want ErrInvalid", name, err)
		}
	}
}

func TestValidate(t *testing.T) {
	op := results.Op{Kind: "lookup", OK: true}
	tests := []struct {
		name   string
		change func(r *results.Run)
		want   string // in the error; "" for valid
	}{
		{"valid", func(r *results.Run) {}, ""},
		{"negative duration", func(r *results.Run) { r.Duration = -1 }, "duration"},
		{"dir with slash", func(r *results.Run) { r.Dir = "a/b" }, "single path element"},
		{"dir dotdot", func(r *results.Run) { r.Dir = ".." }, "single path element"},
		{"empty param", func(r *results.Run) { r.Params = map[string]string{"": "1"} }, "empty name"},
		{"site twice", func(r *results.Run) { r.Sites = append(r.Sites, r.Sites[0]) }, "listed twice"},
		{"site NaN", func(r *results.Run) { r.Sites[0].Lat = math.NaN() }, "not finite"},
		{"link loss", func(r *results.Run) { r.Links[0].Loss = 2 }, "loss"},
		{"node twice", func(r *results.Run) { r.Nodes = append(r.Nodes, r.Nodes[0]) }, "listed twice"},
		{"client unnamed", func(r *results.Run) { r.Clients[0].Name = "" }, "no name"},
		{"events out of order", func(r *results.Run) { r.Events[1].T = r.Events[2].T + 1 }, "before the previous"},
		{"op event without op", func(r *results.Run) { r.Events = []results.Event{{Type: "op"}} }, "without an op"},
		{"action event with op", func(r *results.Run) { r.Events = []results.Event{{Type: "action", Action: "kill", Op: &op}} }, "carries an op"},
		{"action without kind", func(r *results.Run) { r.Events = []results.Event{{Type: "action"}} }, "without an action"},
		{"failed without reason", func(r *results.Run) { r.Ops[0].OK, r.Ops[0].Reason = false, "" }, "without a reason"},
		{"ok with reason", func(r *results.Run) { r.Ops[0].OK, r.Ops[0].Reason = true, "timeout" }, "succeeded but"},
		{"op without kind", func(r *results.Run) { r.Ops[0].Kind = "" }, "no kind"},
		{"bad margin", func(r *results.Run) { r.Samples[0].Margin++ }, "margin"},
		{"bad scope", func(r *results.Run) { r.Traffic[0].Scope = "site" }, "scope"},
		{"negative bytes", func(r *results.Run) { r.Traffic[0].BytesIn = -1 }, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := resultstest.Run(resultstest.Options{Ops: 20})
			tc.change(&r)
			err := r.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, results.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate: %v, want ErrInvalid with %q", err, tc.want)
			}
			if err := results.Write(t.TempDir(), r); !errors.Is(err, results.ErrInvalid) {
				t.Errorf("Write: %v, want ErrInvalid", err)
			}
		})
	}
}

func TestReadRejectsDamage(t *testing.T) {
	r := resultstest.Run(resultstest.Options{Ops: 50})
	tests := []struct {
		name string
		file string
		edit func(s string) string
		want string
	}{
		{"missing file", results.FileTraffic, func(string) string { return "\x00delete" }, "no such file"},
		{"other format", results.FileRun, func(s string) string { return strings.Replace(s, results.Format, "v0", 1) }, "format"},
		{"unknown field in run.json", results.FileRun, func(s string) string { return strings.Replace(s, "{", `{"extra":1,`, 1) }, "unknown field"},
		{"summary edited", results.FileRun, func(s string) string { return strings.Replace(s, `"lookups": `, `"lookups": 1`, 1) }, "summary"},
		{"op row removed", results.FileOps, func(s string) string {
			i := strings.IndexByte(s, '\n')
			j := strings.IndexByte(s[i+1:], '\n')
			return s[:i+1] + s[i+j+2:]
		}, "summary"},
		{"header changed", results.FileOps, func(s string) string { return strings.Replace(s, "latency_us", "latency_ms", 1) }, "header"},
		{"bad bool", results.FileOps, func(s string) string { return strings.Replace(s, ",true,", ",yes,", 1) }, "neither true nor false"},
		{"bad int", results.FileAvailability, func(s string) string { return strings.Replace(s, ",home,tallinn,", ",home,tallinn,x", 1) }, "line 2: column nodes_up"},
		{"short row", results.FileTraffic, func(s string) string { return s + "link,a>b,1\n" }, "wrong number of fields"},
		{"event t disagrees", results.FileEvents, func(s string) string { return strings.Replace(s, `"t":"0:00:00.000"`, `"t":"0:00:01.000"`, 1) }, "t_us"},
		{"event unknown field", results.FileEvents, func(s string) string { return strings.Replace(s, `"type"`, `"kind":1,"type"`, 1) }, "unknown field"},
		{"event trailing", results.FileEvents, func(s string) string { return strings.Replace(s, "}\n", "} {}\n", 1) }, "line 1"},
		{"event blank line", results.FileEvents, func(s string) string { return "\n" + s }, "line 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := results.Write(dir, r); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, tc.file)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if s := tc.edit(string(b)); s == "\x00delete" {
				os.Remove(path)
			} else {
				if s == string(b) {
					t.Fatal("the edit changed nothing")
				}
				write(t, dir, tc.file, s)
			}
			_, err = results.Read(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Read: %v, want an error with %q", err, tc.want)
			}
			if tc.file != results.FileTraffic || tc.name != "missing file" {
				if !errors.Is(err, results.ErrFormat) {
					t.Errorf("Read: %v does not wrap ErrFormat", err)
				}
			}
		})
	}
}

func TestWriteSweep(t *testing.T) {
	runs := resultstest.Sweep(1, []int{5, 7}, []int{3, 4, 6})
	if len(runs) != 5 {
		t.Fatalf("%d runs, want 5 (threshold 6 of 5 skipped)", len(runs))
	}
	dir := t.TempDir()
	for _, r := range runs {
		if err := results.Write(filepath.Join(dir, r.Dir), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := results.WriteSweep(dir, runs); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, results.FileSweep))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	wantHeader := "run,nodes,threshold,ops,ops_failed,lookups,lookups_failed,availability,lookup_p50_ms,lookup_p95_ms,lookup_p99_ms,min_margin,samples_below_threshold"
	if lines[0] != wantHeader {
		t.Errorf("header %q, want %q", lines[0], wantHeader)
	}
	if len(lines) != 1+len(runs) {
		t.Fatalf("%d lines, want %d", len(lines), 1+len(runs))
	}
	for i, r := range runs {
		s := results.Summarize(r)
		look, _ := s.Kind(results.KindLookup)
		prefix := r.Dir + "," + r.Params["nodes"] + "," + r.Params["threshold"] + ","
		if !strings.HasPrefix(lines[i+1], prefix) || !strings.Contains(lines[i+1], ","+strconv.FormatFloat(look.P95, 'f', -1, 64)+",") {
			t.Errorf("row %d: %q, want prefix %q and p95 %v", i+1, lines[i+1], prefix, look.P95)
		}
	}
	// Again into the same directory: accepted. A foreign subdirectory: refused.
	if err := results.WriteSweep(dir, runs); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "photos"), 0o755)
	write(t, filepath.Join(dir, "photos"), "a.jpg", "x")
	if err := results.WriteSweep(dir, runs); !errors.Is(err, results.ErrNotResultsDir) {
		t.Errorf("WriteSweep into a directory with photos: %v", err)
	}
	dup := []results.Run{runs[0], runs[0]}
	if err := results.WriteSweep(t.TempDir(), dup); !errors.Is(err, results.ErrInvalid) {
		t.Errorf("two runs in one directory: %v", err)
	}
	clash := []results.Run{runs[0]}
	clash[0].Params = map[string]string{"ops": "1"}
	if err := results.WriteSweep(t.TempDir(), clash); !errors.Is(err, results.ErrInvalid) {
		t.Errorf("parameter named like a column: %v", err)
	}
}
