package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/testnet"
)

// Network shape of every test.
const (
	nodes     = 5
	threshold = 3
	reg       = "population"
)

// row is one input row with the JSON line that `get` must print for it.
type row struct {
	key    string
	values []string
	json   string
}

// readRows reads a population CSV and renders every row's expected output.
func readRows(path string) ([]row, error) {
	schema, err := registry.Lookup(reg)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd, err := registry.NewReader(bufio.NewReader(f), registry.FormatCSV, schema)
	if err != nil {
		return nil, err
	}
	var rows []row
	for {
		r, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		if r.Err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, r.Line, r.Err)
		}
		js, err := schema.RecordJSON(r.Record)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row{key: schema.Key(r.Record), values: r.Record.Values, json: string(js)})
	}
}

// writeRows writes rows as a population CSV.
func writeRows(t testing.TB, path string, rows []row) {
	t.Helper()
	schema, err := registry.Lookup(reg)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := registry.NewWriter(f, registry.FormatCSV, schema)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(registry.Record{Values: r.values}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func keysOf(rows []row) []string {
	keys := make([]string, len(rows))
	for i, r := range rows {
		keys[i] = r.key
	}
	return keys
}

// tnet is one running testnet of a test.
type tnet struct {
	t      testing.TB
	dir    string
	client string
	pids   *pidSet
}

// pidSet is every node pid seen, for the last-resort kill.
type pidSet struct {
	mu   sync.Mutex
	pids map[int]bool
}

// on is n as seen from test t (a subtest must fail itself, not its parent).
func (n *tnet) on(t testing.TB) *tnet {
	c := *n
	c.t = t
	return &c
}

// startNet creates a 5-node testnet (t=3) in a temporary directory, starts
// it, and stops it (and kills any leftover node) when the test ends.
func startNet(t testing.TB) *tnet {
	t.Helper()
	n := &tnet{t: t, dir: filepath.Join(t.TempDir(), "net"), pids: &pidSet{pids: map[int]bool{}}}
	n.client = filepath.Join(n.dir, testnet.ClientFile)
	n.mustRun(0, "testnet", "init", "--dir", n.dir, "--nodes", strconv.Itoa(nodes), "--threshold", strconv.Itoa(threshold),
		"--he-params", "test")
	t.Cleanup(n.shutdown)
	n.up()
	return n
}

// shutdown runs `testnet down`, then SIGKILLs every node process this test
// started that still runs.
func (n *tnet) shutdown() {
	n.notePids()
	if _, stderr, code := run(n.t, "testnet", "down", "--dir", n.dir, "--grace", "5s"); code != 0 {
		n.t.Errorf("testnet down: exit %d\n%s", code, stderr)
	}
	n.pids.mu.Lock()
	defer n.pids.mu.Unlock()
	for pid := range n.pids.pids {
		if isOurNode(pid) {
			n.t.Logf("node pid %d outlived testnet down; killing it", pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// notePids records the pids in the node pid files.
func (n *tnet) notePids() {
	n.pids.mu.Lock()
	defer n.pids.mu.Unlock()
	for k := 1; k <= nodes; k++ {
		if pid := n.pid(k); pid > 0 {
			n.pids.pids[pid] = true
		}
	}
}

// pid reads node k's pid file (0 if none).
func (n *tnet) pid(k int) int {
	data, err := os.ReadFile(filepath.Join(testnet.NodeDir(n.dir, k), testnet.NodePid))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}

// isOurNode reports whether pid is a live (not zombie) process of the
// binary under test, so that a reused pid is never killed.
func isOurNode(pid int) bool {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil || !strings.HasPrefix(exe, binary) {
		return false
	}
	return !deadOrZombie(pid)
}

func deadOrZombie(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && (fields[0] == "Z" || fields[0] == "X")
}

func nodeArgs(ks []int) []string {
	var args []string
	for _, k := range ks {
		args = append(args, "--node", strconv.Itoa(k))
	}
	return args
}

// up starts the given nodes (all if none) and waits until they listen.
func (n *tnet) up(ks ...int) {
	n.t.Helper()
	n.mustRun(0, append([]string{"testnet", "up", "--dir", n.dir}, nodeArgs(ks)...)...)
	n.notePids()
}

// down stops the given nodes gracefully.
func (n *tnet) down(ks ...int) {
	n.t.Helper()
	n.notePids()
	n.mustRun(0, append([]string{"testnet", "down", "--dir", n.dir}, nodeArgs(ks)...)...)
}

// kill sends SIGKILL to node k and waits until it is gone.
func (n *tnet) kill(k int) {
	n.t.Helper()
	pid := n.pid(k)
	if pid <= 0 || deadOrZombie(pid) {
		n.t.Fatalf("kill node%d: not running (pid file %d)", k, pid)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		n.t.Fatalf("kill -9 node%d (pid %d): %v", k, pid, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !deadOrZombie(pid) {
		if time.Now().After(deadline) {
			n.t.Fatalf("node%d (pid %d) still runs 30s after SIGKILL", k, pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The main thread is a zombie before the process's other threads have
	// exited, and one of them may still hold the Badger directory lock: a
	// restart right away could fail. Wait until only the main thread is left.
	task := fmt.Sprintf("/proc/%d/task", pid)
	for {
		threads, err := os.ReadDir(task)
		if err != nil || len(threads) <= 1 {
			return
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("node%d (pid %d): %d threads still exiting 30s after SIGKILL", k, pid, len(threads))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mustRun runs embassy and fails the test unless it exits with want.
func (n *tnet) mustRun(want int, args ...string) (stdout, stderr string) {
	n.t.Helper()
	stdout, stderr, code := run(n.t, args...)
	if code != want {
		n.fatalf("embassy %s: exit %d, want %d\nstdout:\n%sstderr:\n%s", short(args), code, want, firstLines(stdout, 10), firstLines(stderr, 30))
	}
	return stdout, stderr
}

// fatalf fails the test with the tails of the node logs appended.
func (n *tnet) fatalf(format string, a ...any) {
	n.t.Helper()
	n.t.Fatalf(format+"%s", append(a, logTails(n.dir))...)
}

// ingest runs `embassy ingest` of file.
func (n *tnet) ingest(file string, extra ...string) (stdout, stderr string, code int) {
	n.t.Helper()
	args := append([]string{"ingest", "--client", n.client, "--registry", reg}, extra...)
	return run(n.t, append(args, file)...)
}

// get runs `embassy get` for keys.
func (n *tnet) get(keys ...string) (stdout, stderr string, code int) {
	n.t.Helper()
	return run(n.t, append([]string{"get", "--client", n.client, "--registry", reg}, keys...)...)
}

// getChunk is how many keys one get invocation carries in bulk checks.
const getChunk = 2000

// expectExact looks rows up, chunk keys per invocation, and fails unless
// every invocation exits 0 and prints exactly the rows' JSON, one per line
// in key order.
func (n *tnet) expectExact(rows []row, chunk int) {
	n.t.Helper()
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		stdout, stderr, code := n.get(keysOf(part)...)
		if code != 0 {
			n.fatalf("get of %d keys (rows %d-%d): exit %d\nstderr:\n%s", len(part), start, start+len(part)-1, code, firstLines(stderr, 20))
		}
		n.compare(part, stdout)
	}
}

// compare checks get output line by line against rows.
func (n *tnet) compare(rows []row, stdout string) {
	n.t.Helper()
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if stdout == "" {
		lines = nil
	}
	if len(lines) != len(rows) {
		n.fatalf("get printed %d lines for %d keys:\n%s", len(lines), len(rows), firstLines(stdout, 5))
	}
	bad := 0
	for i, r := range rows {
		if lines[i] != r.json {
			if bad++; bad <= 5 {
				n.t.Errorf("key %s:\n got  %s\n want %s", r.key, lines[i], r.json)
			}
		}
	}
	if bad > 0 {
		n.fatalf("%d of %d records differ from the input", bad, len(rows))
	}
}

// summary is the counts of an ingest summary line.
type summary struct {
	stored, unchanged, pending, failed, rejected int
}

var summaryRE = regexp.MustCompile(`stored (\d+), unchanged (\d+), pending (\d+), failed (\d+), rejected (\d+)`)

// parseSummary finds the ingest summary on stdout.
func (n *tnet) parseSummary(stdout string) summary {
	n.t.Helper()
	m := summaryRE.FindStringSubmatch(stdout)
	if m == nil {
		n.fatalf("no ingest summary (stored N, unchanged N, pending N, failed N, rejected N) in stdout:\n%s", stdout)
	}
	var v [5]int
	for i := range v {
		v[i], _ = strconv.Atoi(m[i+1])
	}
	return summary{v[0], v[1], v[2], v[3], v[4]}
}

// ingestPop ingests the shared 10,000-row file on a fresh network and
// checks the summary.
func (n *tnet) ingestPop() {
	n.t.Helper()
	stdout, stderr, code := n.ingest(popFile)
	if code != 0 {
		n.fatalf("ingest %s: exit %d\nstdout:\n%sstderr:\n%s", popFile, code, stdout, firstLines(stderr, 20))
	}
	if s := n.parseSummary(stdout); s != (summary{stored: popRowCount}) {
		n.fatalf("ingest summary %+v, want stored %d and nothing else:\n%s", s, popRowCount, stdout)
	}
	if !strings.Contains(stdout, fmt.Sprintf("stored %d", popRowCount)) {
		n.fatalf("ingest stdout does not say \"stored %d\":\n%s", popRowCount, stdout)
	}
}
