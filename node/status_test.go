package node_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dataembassy/embassy/client"
	"github.com/dataembassy/embassy/node"
	"github.com/dataembassy/embassy/testnet"
)

// fetch GETs a page of a status server and returns its body.
func fetch(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

func statusOf(t *testing.T, addr string) node.Status {
	t.Helper()
	code, body := fetch(t, addr, "/status")
	if code != http.StatusOK {
		t.Fatalf("/status: %d %s", code, body)
	}
	var st node.Status
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("/status: %v in %s", err, body)
	}
	return st
}

// nodeStatus reads the status page of testnet node k.
func nodeStatus(t *testing.T, dir string, k int) node.Status {
	t.Helper()
	cfg, err := node.LoadConfig(filepath.Join(testnet.NodeDir(dir, k), testnet.NodeConfig))
	if err != nil {
		t.Fatal(err)
	}
	return statusOf(t, cfg.StatusAddr)
}

// metric reads one sample, e.g. `embassy_store_records_total` or
// `embassy_get_keys_total{result="found"}`, from a /metrics page.
func metric(t *testing.T, page, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no %s in /metrics", series)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("%s: %v", series, err)
	}
	return v
}

func TestStatusServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a two-node network")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "net")
	// Fast HE parameters: ingest waits for the federation key.
	if err := testnet.Init(dir, testnet.Options{Nodes: 2, Threshold: 2, HEParams: "test"}); err != nil {
		t.Fatal(err)
	}
	local := testnet.NewLocal(dir, quiet())
	t.Cleanup(local.StopAll)
	if err := local.StartAll(); err != nil {
		t.Fatal(err)
	}
	cfg, err := node.LoadConfig(filepath.Join(testnet.NodeDir(dir, 2), testnet.NodeConfig))
	if err != nil {
		t.Fatal(err)
	}
	addr := cfg.StatusAddr // a free port testnet picked

	if code, body := fetch(t, addr, "/healthz"); code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	st := statusOf(t, addr)
	if st.Name != "node2" || st.Index != 2 || st.N != 2 || st.T != 2 || st.Network != "testnet" || st.Epoch != 1 ||
		st.PeerID == "" || len(st.ListenAddrs) == 0 || st.Version == "" {
		t.Fatalf("/status: %+v", st)
	}
	if held, ok := st.ParcelsHeld["node1"]; !ok || held != 0 || len(st.ParcelsHeld) != 1 {
		t.Fatalf("/status parcels_held = %v, want node1: 0", st.ParcelsHeld)
	}
	if st.Counters != (node.Counters{}) {
		t.Fatalf("/status counters before any request: %+v", st.Counters)
	}
	_, page := fetch(t, addr, "/metrics")
	for _, series := range []string{`embassy_store_records_total`, `embassy_store_requests_total{result="ok"}`,
		`embassy_handoff_parcels_held{target="node1"}`, `go_goroutines`} {
		if v := metric(t, page, series); series != "go_goroutines" && v != 0 {
			t.Fatalf("%s = %v before any request", series, v)
		}
	}
	if code, _ := fetch(t, addr, "/nothing"); code != http.StatusNotFound {
		t.Errorf("/nothing: %d, want 404", code)
	}

	// A small ingest and a look-up move the counters.
	ccfg, err := client.LoadConfig(filepath.Join(dir, testnet.ClientFile))
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Open(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	input, want := rows(t, 10, 3)
	prog := ingest(ctx, t, c, input)
	if prog.Stored == 0 || prog.Failed != 0 {
		t.Fatalf("ingest: %+v", prog)
	}
	checkGets(ctx, t, c, want)

	st = statusOf(t, addr)
	got := st.Counters
	if got.RecordsStored != uint64(prog.Stored) || got.StoreRequestsOK == 0 || got.StoreRequestsRefused != 0 ||
		got.GetRequestsOK == 0 || got.GetKeysServed < uint64(len(want)) {
		t.Fatalf("/status counters after ingesting %d records and reading %d: %+v", prog.Stored, len(want), got)
	}
	if len(st.ConnectedClients) != 1 || st.ConnectedClients[0] != "custodian" {
		t.Errorf("/status connected_clients = %v, want [custodian]", st.ConnectedClients)
	}
	_, page = fetch(t, addr, "/metrics")
	if v := metric(t, page, `embassy_store_records_total`); v != float64(prog.Stored) {
		t.Errorf("embassy_store_records_total = %v, want %d", v, prog.Stored)
	}
	if v := metric(t, page, `embassy_get_keys_total{result="found"}`); v < float64(len(want)) {
		t.Errorf(`embassy_get_keys_total{result="found"} = %v, want at least %d`, v, len(want))
	}
	if v := metric(t, page, `embassy_connected_peers{role="custodian"}`); v != 1 {
		t.Errorf(`embassy_connected_peers{role="custodian"} = %v, want 1`, v)
	}
	// Aggregates only: no pseudonym (32 bytes, 64 hex digits) on either page.
	hex64 := regexp.MustCompile(`[0-9a-f]{64}`)
	_, body := fetch(t, addr, "/status")
	if hex64.MatchString(page) || hex64.MatchString(body) {
		t.Error("a status page shows a 32-byte hex string")
	}

	// Stopping the node stops its status server.
	if err := local.Stop(2); err != nil {
		t.Fatal(err)
	}
	if _, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://" + addr + "/healthz"); err == nil {
		t.Error("status server still answers after the node stopped")
	}
}

// A node started directly with status_addr on port 0 tells where it
// listens; without status_addr it serves nothing.
func TestStatusServerOnPortZero(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	if err := testnet.Init(dir, testnet.Options{Nodes: 1, Threshold: 1}); err != nil {
		t.Fatal(err)
	}
	cfg, err := node.LoadConfig(filepath.Join(testnet.NodeDir(dir, 1), testnet.NodeConfig))
	if err != nil {
		t.Fatal(err)
	}
	cfg.StatusAddr = "127.0.0.1:0"
	n, err := node.Start(cfg, quiet())
	if err != nil {
		t.Fatal(err)
	}
	addr := n.StatusAddr()
	if code, _ := fetch(t, addr, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d", code)
	}
	if st := statusOf(t, addr); st.N != 1 || st.T != 1 || st.Index != 1 || len(st.ParcelsHeld) != 0 {
		t.Errorf("/status: %+v", st)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	cfg.StatusAddr = ""
	n, err = node.Start(cfg, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if n.StatusAddr() != "" {
		t.Errorf("StatusAddr = %q with status_addr unset", n.StatusAddr())
	}
}
