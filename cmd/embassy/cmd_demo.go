package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dataembassy/embassy/client"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/testnet"
)

func runDemo(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "demo", "demo [--rows N] [--keep DIR]", `
Run a local network of 5 embassy nodes (threshold 3) inside this process,
on real libp2p sockets on 127.0.0.1 with real Badger stores in a temporary
directory; generate synthetic population, land and business registries;
ingest them; ask encrypted aggregate queries as the network's statistics
service and compare each answer with the plaintext answer over the input;
and check look-ups against the input while nodes fail, shares are tampered
with and records change. Prints each thing it verified.`)
	rows := fs.Int("rows", 2000, "population rows (land and business get a quarter each)")
	keep := fs.String("keep", "", "keep the network in this directory instead of a temporary one")
	if err := parse(fs, args); err != nil {
		return err
	}
	dir := *keep
	if dir == "" {
		tmp, err := os.MkdirTemp("", "embassy-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = filepath.Join(tmp, "net")
	}
	d := &demo{e: e, dir: dir, rows: *rows, start: time.Now()}
	return d.run(ctx)
}

type demo struct {
	e     env
	dir   string
	rows  int
	start time.Time
	step  int
	local *testnet.Local
	c     *client.Client
	data  map[string]map[string]registry.Record // registry -> key -> record
}

func (d *demo) say(format string, a ...any) {
	d.step++
	fmt.Fprintf(d.e.stdout, "[%2d] %s (%s)\n", d.step, fmt.Sprintf(format, a...), time.Since(d.start).Round(time.Millisecond))
}

func (d *demo) run(ctx context.Context) error {
	const n, t = 5, 3
	if err := testnet.Init(d.dir, testnet.Options{Nodes: n, Threshold: t}); err != nil {
		return err
	}
	d.local = testnet.NewLocal(d.dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer d.local.StopAll()
	if err := d.local.StartAll(); err != nil {
		return err
	}
	cfg, err := client.LoadConfig(filepath.Join(d.dir, testnet.ClientFile))
	if err != nil {
		return err
	}
	if d.c, err = client.Open(cfg); err != nil {
		return err
	}
	defer d.c.Close()
	r := d.c.Roster()
	d.say("network: %d nodes, any %d rebuild a record; hosted in %s, %s, %s, %s, %s; roster signed by the custodian",
		r.N(), r.Threshold, r.Nodes[0].Country, r.Nodes[1].Country, r.Nodes[2].Country, r.Nodes[3].Country, r.Nodes[4].Country)
	steps := []func(context.Context) error{d.federationKey, d.ingestAll, d.encryptedQueries, d.lookupsExact, d.survivesTwoDown, d.refusesBelowThreshold,
		d.recovers, d.namesTamperedNode, d.noPlaintextOnNodes, d.changesAndDeletes}
	for _, s := range steps {
		if err := s(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintf(d.e.stdout, "demo finished in %s: every check passed\n", time.Since(d.start).Round(time.Millisecond))
	return nil
}

func (d *demo) federationKey(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	pk, err := d.local.WaitForKeys(ctx)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(pk)
	d.say("federation key: the 5 nodes made a threshold-HE (BGV) key with no dealer; any 3 can key-switch; all hold public key %x",
		sum[:6])
	return nil
}

func (d *demo) ingestAll(ctx context.Context) error {
	d.data = map[string]map[string]registry.Record{}
	sizes := map[string]int{"population": d.rows, "land": max(d.rows/4, 1), "business": max(d.rows/4, 1)}
	for _, name := range []string{"population", "land", "business"} {
		schema, err := registry.Lookup(name)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := registry.Generate(&buf, registry.Format("csv"), name, sizes[name], 7); err != nil {
			return err
		}
		recs, err := readAll(buf.Bytes(), schema)
		if err != nil {
			return err
		}
		d.data[name] = recs
		rd, err := registry.NewReader(bytes.NewReader(buf.Bytes()), registry.Format("csv"), schema)
		if err != nil {
			return err
		}
		p, err := d.c.Ingest(ctx, schema, rd, client.IngestOptions{})
		if err != nil {
			return err
		}
		if p.Stored != len(recs) {
			return fmt.Errorf("%s: stored %d of %d rows", name, p.Stored, len(recs))
		}
		d.say("ingested %d synthetic %s rows: each split into 5 Shamir shares, batch-signed, stored on every node (%.0f rows/s)",
			p.Stored, name, float64(p.Stored)/p.Elapsed.Seconds())
	}
	return nil
}

// demoQueries are the encrypted queries the demo asks, one per kind of
// aggregate.
var demoQueries = []struct{ what, text string }{
	{"COUNT and AVG per group", "SELECT county, COUNT(*), AVG(birth_year) FROM population GROUP BY county"},
	{"SUM with equality filters", "SELECT COUNT(*), SUM(area_m2) FROM land WHERE county = 'Harju maakond' AND purpose = 'residential'"},
	{"HISTOGRAM", "SELECT HISTOGRAM(employees, 0, 10, 50, 250) FROM business WHERE status = 'active'"},
	{"range filter", "SELECT sex, COUNT(*), AVG(birth_year) FROM population WHERE birth_year BETWEEN 1950 AND 1989 GROUP BY sex"},
}

// encryptedQueries asks demoQueries as the testnet's statistics service,
// coordinated from this process over libp2p, and checks every answer
// against the plaintext oracle over the generated records.
func (d *demo) encryptedQueries(ctx context.Context) error {
	svc, k, err := openTestnetService(d.dir)
	if err != nil {
		return err
	}
	defer svc.Close()
	for i, dq := range demoQueries {
		start := time.Now()
		got, err := svc.Query(ctx, dq.text, client.QueryOptions{})
		if err != nil {
			return fmt.Errorf("encrypted query %q: %w", dq.text, err)
		}
		took := time.Since(start)
		name := got.Plan.Registry
		want, err := plainAnswer(dq.text, slices.Collect(maps.Values(d.data[name])), k)
		if err != nil {
			return fmt.Errorf("plaintext oracle for %q: %w", dq.text, err)
		}
		same, err := sameAnswer(got.Result, want)
		if err != nil {
			return err
		}
		names := make([]string, len(got.Answer.ActiveSet))
		for j, m := range got.Answer.ActiveSet {
			names[j] = svc.Roster().Nodes[m-1].Name
		}
		how := "answered by " + strings.Join(names, ", ")
		if i == 0 {
			how = fmt.Sprintf("signed by the statistics service; %s evaluated it on their encrypted statistics and key-switched the result to the service's key; the service decrypted it",
				strings.Join(names, ", "))
		}
		d.say("encrypted query %d/%d, %s: %s in %s", i+1, len(demoQueries), dq.what, how, took.Round(time.Millisecond))
		fmt.Fprintf(d.e.stdout, "     %s\n", dq.text)
		if err := writeIndented(d.e.stdout, got.Result, "       "); err != nil {
			return err
		}
		if !same {
			fmt.Fprintf(d.e.stdout, "     ≠ plaintext oracle (the same query over the %d generated %s rows in the clear):\n", len(d.data[name]), name)
			if err := writeIndented(d.e.stdout, want, "       "); err != nil {
				return err
			}
			return fmt.Errorf("encrypted query %q: the answer differs from the plaintext oracle", dq.text)
		}
		fmt.Fprintf(d.e.stdout, "     = plaintext oracle ✓ (the same query over the %d generated %s rows in the clear; groups under %d suppressed in both)\n",
			len(d.data[name]), name, k)
	}
	return nil
}

// writeIndented writes r as a table, each line prefixed with indent.
func writeIndented(w io.Writer, r *query.Result, indent string) error {
	var buf bytes.Buffer
	if err := query.WriteTable(&buf, r); err != nil {
		return err
	}
	for line := range strings.Lines(buf.String()) {
		if _, err := io.WriteString(w, indent+line); err != nil {
			return err
		}
	}
	return nil
}

func readAll(data []byte, schema registry.Schema) (map[string]registry.Record, error) {
	rd, err := registry.NewReader(bytes.NewReader(data), registry.Format("csv"), schema)
	if err != nil {
		return nil, err
	}
	out := map[string]registry.Record{}
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if row.Err != nil {
			return nil, row.Err
		}
		out[schema.Key(row.Record)] = row.Record
	}
}

// sample picks up to k keys of a registry, deterministically.
func (d *demo) sample(name string, k int) []string {
	keys := make([]string, 0, len(d.data[name]))
	for key := range d.data[name] {
		keys = append(keys, key)
	}
	rng := rand.New(rand.NewPCG(7, uint64(len(keys))))
	slices.Sort(keys)
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	return keys[:min(k, len(keys))]
}

// checkExact looks up k keys of every registry and compares them with the input.
func (d *demo) checkExact(ctx context.Context, k int) (int, []protocol.Fault, error) {
	checked := 0
	var bad []protocol.Fault
	for _, name := range []string{"population", "land", "business"} {
		schema, _ := registry.Lookup(name)
		keys := d.sample(name, k)
		results, err := d.c.Get(ctx, name, keys)
		if err != nil {
			return checked, bad, err
		}
		for _, r := range results {
			if r.Err != nil {
				return checked, bad, r.Err
			}
			bad = append(bad, r.Resolution.Bad...)
			want := schema.EncodeRecord(d.data[name][r.Key])
			if !bytes.Equal(r.Record, want) {
				return checked, bad, fmt.Errorf("%s %s: rebuilt record differs from the input", name, r.Key)
			}
			checked++
		}
	}
	return checked, bad, nil
}

func (d *demo) lookupsExact(ctx context.Context) error {
	start := time.Now()
	n, _, err := d.checkExact(ctx, 100)
	if err != nil {
		return err
	}
	d.say("looked up %d random records across the 3 registries: all rebuilt exactly, custodian commitments verified (%s)",
		n, time.Since(start).Round(time.Millisecond))
	return nil
}

func (d *demo) survivesTwoDown(ctx context.Context) error {
	for _, k := range []int{4, 5} {
		if err := d.local.Stop(k); err != nil {
			return err
		}
	}
	n, _, err := d.checkExact(ctx, 50)
	if err != nil {
		return fmt.Errorf("with node4 and node5 down: %w", err)
	}
	d.say("stopped node4 and node5: %d look-ups still exact from the remaining 3", n)
	return nil
}

func (d *demo) refusesBelowThreshold(ctx context.Context) error {
	if err := d.local.Stop(3); err != nil {
		return err
	}
	key := d.sample("population", 1)[0]
	res, err := d.c.Get(ctx, "population", []string{key})
	if err != nil {
		return err
	}
	if !errors.Is(res[0].Err, protocol.ErrThresholdNotMet) {
		return fmt.Errorf("with 2 of 5 nodes up, look-up gave %v, want the threshold error", res[0].Err)
	}
	d.say("stopped node3 too: look-up refused, no partial record: %v", res[0].Err)
	return nil
}

func (d *demo) recovers(ctx context.Context) error {
	for _, k := range []int{3, 4, 5} {
		if err := d.local.Start(k); err != nil {
			return err
		}
	}
	time.Sleep(200 * time.Millisecond)
	n, _, err := d.checkExact(ctx, 50)
	if err != nil {
		return fmt.Errorf("after restart: %w", err)
	}
	d.say("restarted node3, node4, node5 from their Badger stores: %d look-ups exact", n)
	return nil
}

func (d *demo) namesTamperedNode(ctx context.Context) error {
	if err := d.local.Stop(2); err != nil {
		return err
	}
	flipped, err := testnet.TamperShares(testnet.NodeDir(d.dir, 2), "population", 1<<30)
	if err != nil {
		return err
	}
	if err := d.local.Start(2); err != nil {
		return err
	}
	n, bad, err := d.checkExact(ctx, 30)
	if err != nil {
		return fmt.Errorf("with node2's shares tampered: %w", err)
	}
	named := map[string]bool{}
	for _, f := range bad {
		named[f.Name] = true
	}
	if len(named) != 1 || !named["node2"] {
		return fmt.Errorf("tampering with node2 named %v", named)
	}
	d.say("flipped a byte in every one of node2's %d population shares on disk: %d look-ups still exact, node2 named as serving invalid shares",
		flipped, n)
	return nil
}

func (d *demo) noPlaintextOnNodes(context.Context) error {
	var needles [][]byte
	for _, rec := range d.data["population"] {
		needles = append(needles, []byte(rec.Values[0]), []byte(rec.Values[6]))
		if len(needles) >= 100 {
			break
		}
	}
	scanned := int64(0)
	for k := 1; k <= d.c.Roster().N(); k++ {
		err := filepath.WalkDir(filepath.Join(testnet.NodeDir(d.dir, k), "data"), func(path string, de fs.DirEntry, err error) error {
			if err != nil || de.IsDir() {
				return err
			}
			n, err := scanFile(path, needles)
			scanned += n
			return err
		})
		if err != nil {
			return err
		}
	}
	d.say("searched all 5 nodes' data directories (%d KiB) for 50 personal codes and addresses of the input: none found",
		scanned>>10)
	return nil
}

func (d *demo) changesAndDeletes(ctx context.Context) error {
	schema, _ := registry.Lookup("population")
	keys := d.sample("population", 2)
	changed := d.data["population"][keys[0]]
	changed.Values = append([]string(nil), changed.Values...)
	changed.Values[6] = "Uus aadress 1, Tartu" // address
	var buf bytes.Buffer
	w, err := registry.NewWriter(&buf, registry.Format("csv"), schema)
	if err != nil {
		return err
	}
	if err := w.Write(changed); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	rd, err := registry.NewReader(bufio.NewReader(&buf), registry.Format("csv"), schema)
	if err != nil {
		return err
	}
	if _, err := d.c.Ingest(ctx, schema, rd, client.IngestOptions{}); err != nil {
		return err
	}
	if _, err := d.c.Delete(ctx, "population", keys[1:]); err != nil {
		return err
	}
	res, err := d.c.Get(ctx, "population", keys)
	if err != nil {
		return err
	}
	if res[0].Err != nil || !bytes.Equal(res[0].Record, schema.EncodeRecord(changed)) {
		return fmt.Errorf("changed record: got %v", res[0].Err)
	}
	if !errors.Is(res[1].Err, protocol.ErrNotFound) {
		return fmt.Errorf("deleted record: got %v, want not found", res[1].Err)
	}
	d.say("changed one address and deleted one person: get returns the new signed version, and \"not found\" for the deleted key")
	return nil
}

// scanFile searches a file for any of needles, streaming it in chunks that
// overlap by the longest needle. It returns the bytes scanned.
func scanFile(path string, needles [][]byte) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	longest := 0
	for _, nd := range needles {
		longest = max(longest, len(nd))
	}
	buf := make([]byte, 4<<20)
	carry, total := 0, int64(0)
	for {
		n, err := io.ReadFull(f, buf[carry:])
		total += int64(n)
		window := buf[:carry+n]
		for _, nd := range needles {
			if allZero(window[carry:]) {
				break
			}
			if bytes.Contains(window, nd) {
				return total, fmt.Errorf("plaintext %q found in %s", nd, path)
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return total, nil
			}
			return total, err
		}
		carry = min(longest, len(window))
		copy(buf, window[len(window)-carry:])
	}
}

func allZero(b []byte) bool {
	var zeros [4096]byte
	for len(b) > 0 {
		k := min(len(b), len(zeros))
		if !bytes.Equal(b[:k], zeros[:k]) {
			return false
		}
		b = b[k:]
	}
	return true
}
