package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), env{stdout: &out, stderr: &errOut, args0: "embassy"}, args)
	return out.String(), errOut.String(), code
}

func TestUsageAndExitCodes(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.toml")
	cases := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"no command", nil, exitUsage, ""},
		{"help", []string{"help"}, exitOK, ""},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"node without config", []string{"node"}, exitUsage, "--config is required"},
		{"node with missing config", []string{"node", "--config", missing}, exitUsage, "missing.toml"},
		{"ingest without client", []string{"ingest", "--registry", "population", "x.csv"}, exitUsage, "--client is required"},
		{"ingest unknown registry", []string{"ingest", "--client", missing, "--registry", "cars", "x.csv"}, exitUsage, "population"},
		{"ingest missing config", []string{"ingest", "--client", missing, "--registry", "population", "x.csv"}, exitUsage, "missing.toml"},
		{"ingest two files", []string{"ingest", "--client", missing, "--registry", "population", "a.csv", "b.csv"}, exitUsage, "exactly one input file"},
		{"get without keys", []string{"get", "--client", missing, "--registry", "population"}, exitUsage, "at least one KEY"},
		{"delete without keys", []string{"delete", "--client", missing, "--registry", "population"}, exitUsage, "at least one KEY"},
		{"bad flag", []string{"get", "--nope"}, exitUsage, "flag provided but not defined"},
		{"flag help", []string{"get", "--help"}, exitOK, "Usage: embassy get"},
		{"testnet without subcommand", []string{"testnet"}, exitUsage, "init, up, down or status"},
		{"testnet up of nothing", []string{"testnet", "up", "--dir", dir}, exitUsage, "not a testnet directory"},
		{"testnet threshold above n", []string{"testnet", "init", "--dir", filepath.Join(dir, "n"), "--nodes", "3", "--threshold", "4"}, exitUsage, "--threshold 4"},
		{"generate unknown registry", []string{"registry", "generate", "cars", "--out", filepath.Join(dir, "c.csv")}, exitUsage, "unknown registry"},
		{"generate bad extension", []string{"registry", "generate", "land", "--out", filepath.Join(dir, "c.txt")}, exitUsage, ""},
		{"bench without subcommand", []string{"bench"}, exitUsage, "ingest or query"},
		{"bench unknown subcommand", []string{"bench", "lookups"}, exitUsage, "ingest or query"},
		{"bench query no runs", []string{"bench", "query", "--repeat", "0"}, exitUsage, "--repeat"},
		{"bench query unknown params", []string{"bench", "query", "--he-params", "fast"}, exitUsage, "production or test"},
		{"bench query no rows", []string{"bench", "query", "--land", "0"}, exitUsage, "at least 1"},
		{"bench query threshold above n", []string{"bench", "query", "--nodes", "3", "--threshold", "4"}, exitUsage, "--threshold 4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, out, errOut)
			}
			if !strings.Contains(errOut+out, c.inStderr) {
				t.Fatalf("output does not mention %q:\nstdout: %s\nstderr: %s", c.inStderr, out, errOut)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "n")); !os.IsNotExist(err) {
		t.Errorf("a refused testnet init left %s behind", filepath.Join(dir, "n"))
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	out, _, _ := runCLI(t, "help")
	for _, c := range commands() {
		if !strings.Contains(out, c.name) {
			t.Errorf("help does not list %q", c.name)
		}
	}
}

func TestGenerateIsAtomicAndDeterministic(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	for _, p := range []string{a, b} {
		if _, errOut, code := runCLI(t, "registry", "generate", "business", "--rows", "50", "--seed", "3", "--out", p); code != 0 {
			t.Fatalf("generate: exit %d: %s", code, errOut)
		}
	}
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if len(da) == 0 || !bytes.Equal(da, db) || strings.Count(string(da), "\n") != 50 {
		t.Fatalf("same seed gave different or wrong output (%d, %d bytes)", len(da), len(db))
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("generate left temporary files: %v", entries)
	}
}

// The README's first set-up command.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 5-node network")
	}
	out, errOut, code := runCLI(t, "demo", "--rows", "600")
	if code != 0 {
		t.Fatalf("demo: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	for _, want := range []string{"still exact", "threshold not met", "node2 named", "none found", "every check passed"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	// Every encrypted query: its line, its SQL, its table, and the check
	// against the plaintext oracle right after the table.
	for i, q := range demoQueries {
		head := fmt.Sprintf("encrypted query %d/%d, %s: ", i+1, len(demoQueries), q.what)
		at := strings.Index(out, head)
		if at < 0 {
			t.Errorf("demo output lacks %q:\n%s", head, out)
			continue
		}
		block := out[at:]
		if next := strings.Index(block[len(head):], "\n["); next >= 0 {
			block = block[:len(head)+next]
		}
		for _, want := range []string{"\n     " + q.text + "\n", "\n       ---", "\n     = plaintext oracle ✓ "} {
			if !strings.Contains(block, want) {
				t.Errorf("query %d: output lacks %q:\n%s", i+1, want, block)
			}
		}
	}
	if n := strings.Count(out, "= plaintext oracle ✓"); n != len(demoQueries) {
		t.Errorf("%d answers checked against the plaintext oracle, want %d", n, len(demoQueries))
	}
}

// A short `bench query` prints every figure and goal it promises.
func TestBenchQuery(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 3-node network")
	}
	out, errOut, code := runCLI(t, "bench", "query", "--rows", "500", "--land", "300", "--business", "300",
		"--nodes", "3", "--threshold", "2", "--he-params", "test", "--repeat", "2")
	if code != 0 {
		t.Fatalf("bench query: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	for _, want := range []string{"\nfederation key: 3 nodes", "\ningest population: 500 records in ", "\ningest land: 300 records",
		"\ningest business: 300 records", "\nHE ingest: 1100 records in ", "records/s (goal >= 50000 records/s: ",
		"\nstatistics delta per batch", "\nraw HE reference: ", "\nstatistics stored per node: ", "\ngoals:\n  HE ingest >= 50000 records/s: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for i, q := range benchQueries {
		head := fmt.Sprintf("\nquery %d/%d, %s: %s\n", i+1, len(benchQueries), q.name, q.text)
		at := strings.Index(out, head)
		if at < 0 {
			t.Errorf("output lacks %q", head)
			continue
		}
		lines := strings.Split(out[at+len(head):], "\n")
		for j, want := range []string{"  end-to-end: p50 ", "  raw HE:     p50 ", "  oracle:     p50 ", "  ratios:     end-to-end/raw HE ",
			"  bytes:      each evaluating node sends ", "  goals:      "} {
			if j >= len(lines) || !strings.HasPrefix(lines[j], want) {
				t.Errorf("query %d: line %d does not start with %q:\n%s", i+1, j+1, want, strings.Join(lines[:min(7, len(lines))], "\n"))
			}
		}
		if q.maxE2E > 0 && !strings.Contains(out, fmt.Sprintf("\n  %s end-to-end <= %s: ", q.name, q.maxE2E)) {
			t.Errorf("query %d: its goal is not in the goals list:\n%s", i+1, out)
		}
	}
	if n := strings.Count(out, "every answer = the plaintext oracle"); n != len(benchQueries) {
		t.Errorf("%d queries checked against the oracle, want %d", n, len(benchQueries))
	}
}

// An operator's path outside the testnet: keys by keygen, a roster signed
// by the custodian, verified as a node would.
func TestKeygenRosterSignVerify(t *testing.T) {
	dir := t.TempDir()
	type pub struct {
		SigningKey string `json:"signing_key"`
		SealKey    string `json:"seal_key"`
		PeerID     string `json:"peer_id"`
	}
	keygen := func(name string) pub {
		out, errOut, code := runCLI(t, "keygen", "--out", filepath.Join(dir, name+".key"))
		if code != 0 {
			t.Fatalf("keygen %s: exit %d: %s", name, code, errOut)
		}
		var p pub
		if err := json.Unmarshal([]byte(out), &p); err != nil || p.PeerID == "" {
			t.Fatalf("keygen output %q: %v", out, err)
		}
		return p
	}
	custodian := keygen("custodian")
	if _, _, code := runCLI(t, "keygen", "--out", filepath.Join(dir, "custodian.key")); code != exitUsage {
		t.Fatalf("keygen over an existing key: exit %d, want %d", code, exitUsage)
	}
	unsigned := fmt.Sprintf(`{"network":"pilot","epoch":1,"threshold":2,
 "custodian":{"name":"ria","signing_key":%q,"seal_key":%q},"services":[],"nodes":[`, custodian.SigningKey, custodian.SealKey)
	for i := 1; i <= 3; i++ {
		n := keygen(fmt.Sprintf("node%d", i))
		if i > 1 {
			unsigned += ","
		}
		unsigned += fmt.Sprintf(`{"index":%d,"name":"node%d","ally":"a","country":"FI","signing_key":%q,"seal_key":%q,"addrs":["/ip4/127.0.0.1/tcp/%d"]}`,
			i, i, n.SigningKey, n.SealKey, 4000+i)
	}
	unsigned += "]}"
	in := filepath.Join(dir, "unsigned.json")
	if err := os.WriteFile(in, []byte(unsigned), 0o644); err != nil {
		t.Fatal(err)
	}
	signed := filepath.Join(dir, "roster.json")
	if _, errOut, code := runCLI(t, "roster", "sign", "--key", filepath.Join(dir, "node1.key"), "--in", in, "--out", signed); code != exitUsage {
		t.Fatalf("signing with a node's key: exit %d (%s), want refusal", code, errOut)
	}
	if _, errOut, code := runCLI(t, "roster", "sign", "--key", filepath.Join(dir, "custodian.key"), "--in", in, "--out", signed); code != 0 {
		t.Fatalf("roster sign: exit %d: %s", code, errOut)
	}
	out, errOut, code := runCLI(t, "roster", "verify", "--roster", signed, "--custodian-key", custodian.SigningKey)
	if code != 0 || !strings.Contains(out, "threshold 2 of 3 nodes") {
		t.Fatalf("roster verify: exit %d\n%s%s", code, out, errOut)
	}
	other := keygen("other")
	if _, _, code := runCLI(t, "roster", "verify", "--roster", signed, "--custodian-key", other.SigningKey); code != exitUsage {
		t.Fatalf("verify under another key: exit %d, want %d", code, exitUsage)
	}
}
