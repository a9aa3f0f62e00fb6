package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dataembassy/embassy/coordinator"
	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/node"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/testnet"
	"github.com/dataembassy/embassy/thhe"
)

// startQueryNet is startNet with a hook between `testnet init` and
// `testnet up` (to change the roster before any node reads it).
func startQueryNet(t *testing.T, prepare func(dir string)) *tnet {
	t.Helper()
	n := &tnet{t: t, dir: filepath.Join(t.TempDir(), "net"), pids: &pidSet{pids: map[int]bool{}}}
	n.client = filepath.Join(n.dir, testnet.ClientFile)
	n.mustRun(0, "testnet", "init", "--dir", n.dir, "--nodes", strconv.Itoa(nodes), "--threshold", strconv.Itoa(threshold),
		"--he-params", "test")
	prepare(n.dir)
	t.Cleanup(n.shutdown)
	n.up()
	return n
}

// addNarrowService adds a second service, "narrow", to the testnet's
// roster before the nodes start: it may read only population's county, and
// its policy suppresses nothing (k = 1). The roster is re-signed with the
// custodian's key. It returns the service's key file.
func addNarrowService(t *testing.T, dir string) string {
	t.Helper()
	custodian, err := identity.Load(filepath.Join(dir, testnet.CustodianKey))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := openRoster(t, dir)
	id, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "narrow.key")
	if err := id.Save(keyFile); err != nil {
		t.Fatal(err)
	}
	r.Services = append(r.Services, roster.Principal{Name: "narrow", SigningKey: id.PublicKey(), SealKey: id.SealPublicKey(),
		Policy: &roster.Policy{MinGroupSize: 1, Registries: []roster.Grant{{Registry: "population", Fields: []string{"county"}}}}})
	signed, err := roster.Sign(r, custodian.SigningKey())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, testnet.RosterFile), signed, 0o644); err != nil {
		t.Fatal(err)
	}
	return keyFile
}

// openRoster reads the testnet's roster, checked against the custodian key.
func openRoster(t *testing.T, dir string) (roster.Roster, roster.Digest) {
	t.Helper()
	custodian, err := identity.Load(filepath.Join(dir, testnet.CustodianKey))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, testnet.RosterFile))
	if err != nil {
		t.Fatal(err)
	}
	r, d, err := roster.Open(data, custodian.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	return r, d
}

// clientFor writes a copy of the testnet's client configuration whose
// service_identity_file is keyFile, and returns its path.
func clientFor(t *testing.T, n *tnet, name, keyFile string) string {
	t.Helper()
	data, err := os.ReadFile(n.client)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^service_identity_file = .*$`)
	if !re.Match(data) {
		t.Fatalf("%s has no service_identity_file line:\n%s", n.client, data)
	}
	out := re.ReplaceAll(data, []byte(fmt.Sprintf("service_identity_file = %q", keyFile)))
	path := filepath.Join(n.dir, name)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// dataset is the registry files of a test, read back as the oracle sees
// them.
type dataset struct {
	files   map[string]string            // registry → CSV file
	records map[string][]registry.Record // registry → records, last row per key
}

// generateData writes rows rows of each registry with `embassy registry
// generate` and reads them back.
func generateData(t *testing.T, dir string, rows map[string]int, seed int) *dataset {
	t.Helper()
	ds := &dataset{files: map[string]string{}, records: map[string][]registry.Record{}}
	for name, count := range rows {
		file := filepath.Join(dir, name+".csv")
		if _, stderr, code := run(t, "registry", "generate", name, "--rows", strconv.Itoa(count),
			"--seed", strconv.Itoa(seed), "--out", file); code != 0 {
			t.Fatalf("registry generate %s: exit %d\n%s", name, code, stderr)
		}
		ds.files[name] = file
		ds.records[name] = readRecords(t, name, file)
	}
	return ds
}

// readRecords reads a registry CSV; of rows with the same key the last
// wins, as in the store. A row that does not validate fails the test.
func readRecords(t *testing.T, name, path string) []registry.Record {
	t.Helper()
	s, err := registry.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := registry.NewReader(bufio.NewReader(f), registry.FormatCSV, s)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]registry.Record{}
	var order []string
	for {
		r, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if r.Err != nil {
			t.Fatalf("%s:%d: %v", path, r.Line, r.Err)
		}
		k := s.Key(r.Record)
		if _, seen := byKey[k]; !seen {
			order = append(order, k)
		}
		byKey[k] = r.Record
	}
	out := make([]registry.Record, len(order))
	for i, k := range order {
		out[i] = byKey[k]
	}
	return out
}

// ingestAll ingests every file of ds and requires nothing failed, pending
// or rejected.
func (n *tnet) ingestAll(ds *dataset) {
	n.t.Helper()
	for _, name := range []string{"population", "land", "business"} {
		file, ok := ds.files[name]
		if !ok {
			continue
		}
		stdout, stderr, code := run(n.t, "ingest", "--client", n.client, "--registry", name, file)
		if code != 0 {
			n.fatalf("ingest %s: exit %d\nstdout:\n%sstderr:\n%s", name, code, stdout, firstLines(stderr, 20))
		}
		s := n.parseSummary(stdout)
		if s.failed+s.pending+s.rejected != 0 || s.stored == 0 {
			n.fatalf("ingest %s: %+v, want everything stored:\n%s", name, s, stdout)
		}
	}
}

// oracle is the plaintext answer to text over ds with suppression
// threshold k, assembled as the client assembles the encrypted one.
func (ds *dataset) oracle(t testing.TB, text string, k int) *query.Result {
	t.Helper()
	q, err := query.Parse(text)
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	s, err := q.Schema(registry.Builtin())
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	plan, err := q.Plan(s)
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	cells, err := query.Oracle(q, s, ds.records[s.Name])
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	res, err := query.Assemble(plan, s, cells, k)
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	return res
}

// cells is the plaintext oracle's cells for text over ds.
func (ds *dataset) cells(t testing.TB, text string) []query.Cell {
	t.Helper()
	q, err := query.Parse(text)
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	s, err := q.Schema(registry.Builtin())
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	cells, err := query.Oracle(q, s, ds.records[s.Name])
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	return cells
}

// oracleJSON is what `embassy query --json` must print for text.
func (ds *dataset) oracleJSON(t testing.TB, text string, k int) string {
	t.Helper()
	var b bytes.Buffer
	if err := query.WriteJSON(&b, ds.oracle(t, text, k)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// oracleTable is what `embassy query` must print for text.
func (ds *dataset) oracleTable(t testing.TB, text string, k int) string {
	t.Helper()
	var b bytes.Buffer
	if err := query.WriteTable(&b, ds.oracle(t, text, k)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// answeredRE finds the active set on `embassy query`'s standard error.
var answeredRE = regexp.MustCompile(`answered by nodes \[([0-9 ]+)\]`)

// answeredBy parses the active set that `embassy query` reports.
func answeredBy(t testing.TB, stderr string) []int {
	t.Helper()
	m := answeredRE.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no \"answered by nodes [...]\" on stderr:\n%s", stderr)
	}
	var set []int
	for _, f := range strings.Fields(m[1]) {
		k, _ := strconv.Atoi(f)
		set = append(set, k)
	}
	return set
}

// signer builds signed queries in the test, as a service would.
type signer struct {
	params thhe.Params
	digest roster.Digest
}

func newSigner(t *testing.T, dir string) signer {
	t.Helper()
	params, err := thhe.ParamsByName("test")
	if err != nil {
		t.Fatal(err)
	}
	_, d := openRoster(t, dir)
	return signer{params: params, digest: d}
}

// sign signs text with key, for the HE target key of target (whose key
// the answer would be re-encrypted to), issued at issued.
func (s signer) sign(t *testing.T, key ed25519.PrivateKey, target *identity.Identity, text string, issued time.Time, lifetime time.Duration) coordinator.SignedQueryJSON {
	t.Helper()
	_, pk, err := thhe.TargetKeyFromSeed(s.params, target.HETargetSeed())
	if err != nil {
		t.Fatal(err)
	}
	enc, err := thhe.EncodePublicKey(s.params, pk)
	if err != nil {
		t.Fatal(err)
	}
	td := sha256.Sum256(enc)
	pid := s.params.ID()
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		t.Fatal(err)
	}
	sq, err := protocol.NewQuery(key, text, s.digest[:], enc, td[:], pid[:], nonce, issued, lifetime)
	if err != nil {
		t.Fatal(err)
	}
	return coordinator.SignedQueryJSON{Query: sq.Query, Signature: sq.Signature, TargetKey: sq.TargetKey}
}

// post submits a signed query to the coordinator's API and returns the
// HTTP status and the record it answers with (decoded, and as sent).
func (n *tnet) post(sq coordinator.SignedQueryJSON) (int, coordinator.Record, []byte) {
	n.t.Helper()
	addr, err := testnet.CoordinatorAPI(n.dir)
	if err != nil {
		n.t.Fatal(err)
	}
	body, err := json.Marshal(sq)
	if err != nil {
		n.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/v1/queries", bytes.NewReader(body))
	if err != nil {
		n.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.fatalf("POST /v1/queries: %v", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		n.t.Fatal(err)
	}
	var rec coordinator.Record
	if err := json.Unmarshal(data, &rec); err != nil || rec.ID == "" {
		n.fatalf("POST /v1/queries: %s, not a query record: %v\n%s", resp.Status, err, data)
	}
	return resp.StatusCode, rec, data
}

// runStdin is run with stdin as the command's standard input.
func runStdin(t testing.TB, stdin []byte, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(stdin), &out, &errb
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("embassy %s: timed out after %s\nstderr:\n%s", short(args), commandTimeout, errb.String())
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("embassy %s: %v", short(args), err)
	}
	return out.String(), errb.String(), code
}

// nodeLog reads node k's log.
func (n *tnet) nodeLog(k int) string {
	n.t.Helper()
	data, err := os.ReadFile(filepath.Join(testnet.NodeDir(n.dir, k), testnet.NodeLog))
	if err != nil {
		n.t.Fatal(err)
	}
	return string(data)
}

// refusals counts the "query refused" lines with code in node k's log.
func (n *tnet) refusals(k int, code string) int {
	n.t.Helper()
	count := 0
	for _, line := range strings.Split(n.nodeLog(k), "\n") {
		if strings.Contains(line, `msg="query refused"`) && strings.Contains(line, " code="+code+" ") {
			count++
		}
	}
	return count
}

// evaluatedRE finds a node's log line for an evaluated query attempt.
var evaluatedRE = regexp.MustCompile(`msg="query evaluated" .* results=(\d+) `)

// loggedShares sums the results of every query evaluation node k logged:
// the key-switch shares it says it released.
func (n *tnet) loggedShares(k int) int {
	n.t.Helper()
	sum := 0
	for _, m := range evaluatedRE.FindAllStringSubmatch(n.nodeLog(k), -1) {
		v, _ := strconv.Atoi(m[1])
		sum += v
	}
	return sum
}

// statusShares reads keyswitch_shares from running node k's /status.
func (n *tnet) statusShares(k int) uint64 {
	n.t.Helper()
	cfg, err := node.LoadConfig(filepath.Join(testnet.NodeDir(n.dir, k), testnet.NodeConfig))
	if err != nil {
		n.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+cfg.StatusAddr+"/status", nil)
	if err != nil {
		n.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.fatalf("node%d /status: %v", k, err)
	}
	defer resp.Body.Close()
	var st struct {
		KeySwitchShares *uint64 `json:"keyswitch_shares"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || st.KeySwitchShares == nil {
		n.fatalf("node%d /status: %s, no keyswitch_shares (%v)", k, resp.Status, err)
	}
	return *st.KeySwitchShares
}

// release is one line of `embassy node releases --json`.
type release struct {
	Digest string `json:"digest"`
	Label  string `json:"label"`
	Time   string `json:"time"`
}

// releases lists node k's release record with `embassy node releases`.
func (n *tnet) releases(k int) []release {
	n.t.Helper()
	stdout, _ := n.mustRun(0, "node", "releases", "--data-dir", filepath.Join(testnet.NodeDir(n.dir, k), "data"), "--json")
	return parseReleases(n.t, stdout)
}

func parseReleases(t testing.TB, stdout string) []release {
	t.Helper()
	var out []release
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	for dec.More() {
		var r release
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("node releases --json: %v\n%s", err, firstLines(stdout, 5))
		}
		out = append(out, r)
	}
	return out
}

// labelRE parses a release label.
var labelRE = regexp.MustCompile(`^query ([0-9a-f]{64}) attempt (\d+) result (\d+)$`)

// numbers finds whole decimal numbers of at least least digits:
// maximal runs of ASCII digits that are not part of a longer token (no
// letter, digit, underscore or decimal point on either side), so that a
// fraction ("1.234567ms"), a hex string or a base58 peer id in a log is
// not taken for a number.
func numbers(data []byte, least int, yield func([]byte)) {
	isWord := func(c byte) bool {
		return c == '.' || c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
	}
	for i := 0; i < len(data); {
		if data[i] < '0' || data[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(data) && '0' <= data[j] && data[j] <= '9' {
			j++
		}
		if j-i >= least && (i == 0 || !isWord(data[i-1])) && (j == len(data) || !isWord(data[j])) {
			yield(data[i:j])
		}
		i = j
	}
}

// minDigits is the shortest number searched for as plaintext. Random
// bytes hold a given 6-digit number, bounded as numbers finds them, about
// once per 2^49 positions; over a few hundred MiB of node data and a few
// thousand needles a chance hit has a probability near 1e-3.
const minDigits = 6

// findNumbers lists, per file under root (a directory or a file), the
// needles (each of at least minDigits digits) found in it as whole
// numbers.
func findNumbers(t *testing.T, needles map[string]bool, root string) map[string][]string {
	t.Helper()
	found := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		numbers(data, minDigits, func(b []byte) {
			if needles[string(b)] && !seen[string(b)] {
				seen[string(b)] = true
				found[path] = append(found[path], string(b))
			}
		})
		slices.Sort(found[path])
		return nil
	})
	if err != nil {
		t.Fatalf("search %s: %v", root, err)
	}
	return found
}
