package client

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/testnet"
)

// network starts an in-process testnet of n nodes and a client whose clock
// the test sets.
func network(t *testing.T, n, threshold int) (*testnet.Local, *Client, *time.Time) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "net")
	if err := testnet.Init(dir, testnet.Options{Nodes: n, Threshold: threshold, HEParams: "test"}); err != nil {
		t.Fatal(err)
	}
	local := testnet.NewLocal(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(local.StopAll)
	if err := local.StartAll(); err != nil {
		t.Fatal(err)
	}
	// Ingest encrypts statistics under the federation key: the nodes make
	// it once, all of them up.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := local.WaitForKeys(ctx); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(filepath.Join(dir, testnet.ClientFile))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	clock := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return clock }
	c.health.now = c.now
	return local, c, &clock
}

func population(t *testing.T) registry.Schema {
	t.Helper()
	s, err := registry.Lookup("population")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ingestRecords stores recs and returns the progress.
func ingestRecords(t *testing.T, c *Client, s registry.Schema, recs []registry.Record) IngestProgress {
	t.Helper()
	var buf bytes.Buffer
	w, err := registry.NewWriter(&buf, registry.FormatCSV, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	rd, err := registry.NewReader(&buf, registry.FormatCSV, s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Ingest(context.Background(), s, rd, IngestOptions{BatchSize: 10})
	if err != nil {
		t.Fatalf("ingest: %v (%+v)", err, p)
	}
	return p
}

func generated(t *testing.T, count int) []registry.Record {
	t.Helper()
	g, err := registry.NewGenerator("population", 11)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]registry.Record, count)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}

func mustGet(t *testing.T, c *Client, s registry.Schema, r registry.Record) {
	t.Helper()
	res, err := c.Get(context.Background(), s.Name, []string{s.Key(r)})
	if err != nil || res[0].Err != nil {
		t.Fatalf("get %s: %v %v", s.Key(r), err, res[0].Err)
	}
	if !bytes.Equal(res[0].Record, s.EncodeRecord(r)) {
		t.Fatalf("get %s: another record than the newest ingested", s.Key(r))
	}
}

// A custodian whose clock went back still stores a newer version: the new
// content wins, and re-ingesting it changes nothing.
func TestClockGoingBackStillStoresNewerVersions(t *testing.T) {
	_, c, clock := network(t, 3, 2)
	s := population(t)
	recs := generated(t, 5)
	if p := ingestRecords(t, c, s, recs); p.Stored != 5 {
		t.Fatalf("first ingest: %+v", p)
	}
	*clock = clock.Add(-time.Hour)
	changed := append([]string(nil), recs[2].Values...)
	changed[s.FieldIndex("address")] = "Uus tn 1, Tartu"
	recs[2] = registry.Record{Values: changed}
	p := ingestRecords(t, c, s, recs)
	if p.Stored != 1 || p.Unchanged != 4 {
		t.Fatalf("ingest after the clock went back: %+v, want 1 stored and 4 unchanged", p)
	}
	mustGet(t, c, s, recs[2])
	if again := ingestRecords(t, c, s, recs); again.Unchanged != 5 {
		t.Fatalf("re-ingest: %+v, want all unchanged", again)
	}
}

// Delete reports, key by key, what it deleted; deleting again deletes nothing.
func TestDeleteReportsEachKey(t *testing.T) {
	_, c, _ := network(t, 3, 2)
	s := population(t)
	recs := generated(t, 3)
	ingestRecords(t, c, s, recs[:2])
	keys := []string{s.Key(recs[0]), s.Key(recs[2]), s.Key(recs[1])}
	res, err := c.Delete(context.Background(), s.Name, keys)
	if err != nil {
		t.Fatal(err)
	}
	want := []bool{true, false, true}
	for i, r := range res {
		if r.Key != keys[i] || r.Deleted != want[i] || r.Pending {
			t.Errorf("delete %s: %+v, want deleted=%v", keys[i], r, want[i])
		}
	}
	again, err := c.Delete(context.Background(), s.Name, keys)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range again {
		if r.Deleted {
			t.Errorf("second delete of %s deleted again", r.Key)
		}
	}
	got, err := c.Get(context.Background(), s.Name, keys[:1])
	if err != nil || !errors.Is(got[0].Err, protocol.ErrNotFound) {
		t.Fatalf("get after delete: %v %v, want not found", err, got[0].Err)
	}
}

// With one of four nodes down (t=2) rows are stored (t+1 nodes plus held
// parcels); with two down they are pending; with three down ingest fails
// with the threshold error.
func TestIngestCountsByNodesUp(t *testing.T) {
	local, c, clock := network(t, 4, 2)
	s := population(t)
	recs := generated(t, 9)
	if err := local.Stop(4); err != nil {
		t.Fatal(err)
	}
	if p := ingestRecords(t, c, s, recs[:3]); p.Stored != 3 || p.Pending != 0 {
		t.Fatalf("one node down: %+v, want 3 stored", p)
	}
	if err := local.Stop(3); err != nil {
		t.Fatal(err)
	}
	*clock = clock.Add(time.Minute) // past the client's pause on nodes that failed
	if p := ingestRecords(t, c, s, recs[3:6]); p.Pending != 3 || p.Stored != 0 {
		t.Fatalf("two nodes down: %+v, want 3 pending", p)
	}
	if err := local.Stop(2); err != nil {
		t.Fatal(err)
	}
	*clock = clock.Add(time.Minute)
	var buf bytes.Buffer
	w, _ := registry.NewWriter(&buf, registry.FormatCSV, s)
	for _, r := range recs[6:] {
		_ = w.Write(r)
	}
	_ = w.Flush()
	rd, err := registry.NewReader(&buf, registry.FormatCSV, s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Ingest(context.Background(), s, rd, IngestOptions{BatchSize: 10})
	if !errors.Is(err, protocol.ErrThresholdNotMet) || p.Failed != 3 {
		t.Fatalf("three nodes down: %v (%+v), want the threshold error and 3 failed", err, p)
	}
}
