package e2e

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dataembassy/embassy/coordinator"
	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/testnet"
)

// Rows of each registry in TestQuery.
var queryRows = map[string]int{"population": 4000, "land": 3000, "business": 3000}

// queriesPerRegistry is how many generated queries TestQuery asks of each
// registry.
const queriesPerRegistry = 18

// generatedQueries returns query texts from query.Generate with a fixed
// seed, alternating between the registries, and checks that together
// they use every aggregate, every condition kind and GROUP BY.
func generatedQueries(t *testing.T) []string {
	t.Helper()
	rng := rand.New(rand.NewPCG(2025, 11))
	names := []string{"population", "land", "business"}
	items := map[query.ItemKind]int{}
	conds := map[query.CondKind]int{}
	groupBy := 0
	var texts []string
	for i := range queriesPerRegistry * len(names) {
		s, err := registry.Lookup(names[i%len(names)])
		if err != nil {
			t.Fatal(err)
		}
		text := query.Generate(rng, s)
		q, err := query.Parse(text)
		if err != nil {
			t.Fatalf("generated query %q: %v", text, err)
		}
		for _, it := range q.Items {
			items[it.Kind]++
		}
		for _, c := range q.Where {
			conds[c.Kind]++
		}
		if q.GroupBy != nil {
			groupBy++
		}
		texts = append(texts, text)
	}
	for kind, name := range map[query.ItemKind]string{query.ItemCount: "COUNT(*)", query.ItemSum: "SUM",
		query.ItemAvg: "AVG", query.ItemHistogram: "HISTOGRAM"} {
		if items[kind] == 0 {
			t.Fatalf("the generated queries use no %s; change the seed", name)
		}
	}
	for kind, name := range map[query.CondKind]string{query.CondEq: "=", query.CondIn: "IN", query.CondBetween: "BETWEEN"} {
		if conds[kind] == 0 {
			t.Fatalf("the generated queries use no %s condition; change the seed", name)
		}
	}
	if groupBy == 0 {
		t.Fatal("the generated queries use no GROUP BY; change the seed")
	}
	t.Logf("%d generated queries: %d COUNT, %d SUM, %d AVG, %d HISTOGRAM; %d =, %d IN, %d BETWEEN; %d GROUP BY",
		len(texts), items[query.ItemCount], items[query.ItemSum], items[query.ItemAvg], items[query.ItemHistogram],
		conds[query.CondEq], conds[query.CondIn], conds[query.CondBetween], groupBy)
	return texts
}

// TestQuery is the acceptance test of encrypted queries, on one 5-node
// network (t = 3) of real processes with a coordinator, holding a
// population, a land and a business registry. Its subtests run in order
// and build on each other: the network loses nodes as they go, and the
// last two stop it and audit what the nodes kept on disk.
func TestQuery(t *testing.T) {
	var narrowKey string
	n := startQueryNet(t, func(dir string) { narrowKey = addNarrowService(t, dir) })
	ds := generateData(t, t.TempDir(), queryRows, 11)
	n.ingestAll(ds)
	k := testnet.ServicePolicy().MinGroupSize
	texts := generatedQueries(t)

	// Shared between subtests.
	answers := map[string]string{} // query text → its JSON answer with every node up
	var outputs []string           // every answer printed, for the plaintext search
	var (
		firstSet  []int  // who answered the query signed before the node failure
		firstID   string // its id
		secondSet []int  // who answered it (a new signed query) after
		secondID  string // the id prefix the coordinator logged for it
		victim    int    // the node killed between the two
	)

	t.Run("oracle", func(t *testing.T) {
		n := n.on(t)
		nonEmpty, withSuppressed := 0, 0
		for i, text := range texts {
			stdout, stderr, code := run(t, "query", "--client", n.client, "--json", text)
			if code != 0 {
				n.fatalf("query %d %q: exit %d\n%s", i, text, code, stderr)
			}
			want := ds.oracleJSON(t, text, k)
			if stdout != want {
				t.Errorf("query %d %q:\nencrypted answer %splaintext oracle %s", i, text, stdout, want)
				continue
			}
			answers[text] = stdout
			outputs = append(outputs, stdout)
			if len(ds.oracle(t, text, k).Suppressed) > 0 {
				withSuppressed++
			}
			if slices.ContainsFunc(ds.cells(t, text), func(c query.Cell) bool { return c.Count >= uint64(k) }) {
				nonEmpty++
			}
		}
		// Guard against a vacuous comparison (every answer empty or withheld).
		if nonEmpty < len(texts)/2 || withSuppressed == 0 {
			t.Errorf("%d of %d answers show a group, %d withhold one; the comparison says little", nonEmpty, len(texts), withSuppressed)
		}
		t.Logf("%d of %d queries equal the oracle (%d show a group, %d withhold one)", len(answers), len(texts), nonEmpty, withSuppressed)
	})

	t.Run("suppression", func(t *testing.T) {
		n := n.on(t)
		const text = "SELECT county, COUNT(*) FROM population WHERE citizenship = 'RUS' GROUP BY county"
		// Counted here straight from the records, not by the oracle.
		s, _ := registry.Lookup("population")
		counts := map[string]uint64{}
		for _, r := range ds.records["population"] {
			if r.Values[s.FieldIndex("citizenship")] == "RUS" {
				counts[r.Values[s.FieldIndex("county")]]++
			}
		}
		var small, shown []string
		var total, shownTotal uint64
		for county, c := range counts {
			total += c
			if c < uint64(k) {
				small = append(small, county)
			} else {
				shown = append(shown, county)
				shownTotal += c
			}
		}
		slices.Sort(small)
		if len(small) == 0 || len(shown) == 0 {
			t.Fatalf("the data has %d small and %d large groups of Russian citizens by county; need both", len(small), len(shown))
		}

		table, stderr, code := run(t, "query", "--client", n.client, text)
		if code != 0 {
			n.fatalf("%s: exit %d\n%s", text, code, stderr)
		}
		if want := ds.oracleTable(t, text, k); table != want {
			t.Errorf("table:\n%s\nwant:\n%s", table, want)
		}
		outputs = append(outputs, table)
		line := fmt.Sprintf("suppressed (fewer than %d rows): ", k)
		i := strings.Index(table, line)
		if i < 0 {
			t.Fatalf("the table does not say %q:\n%s", line, table)
		}
		listed := strings.Split(strings.TrimSuffix(table[i+len(line):], "\n"), "; ")
		slices.Sort(listed)
		if !slices.Equal(listed, small) {
			t.Errorf("table lists %q as suppressed, want %q", listed, small)
		}
		for _, l := range strings.Split(table[:i], "\n") {
			for _, county := range small {
				if strings.HasPrefix(l, county+" ") {
					t.Errorf("suppressed group %s has a row: %q", county, l)
				}
			}
		}

		stdout, stderr, code := run(t, "query", "--client", n.client, "--json", text)
		if code != 0 {
			n.fatalf("%s --json: exit %d\n%s", text, code, stderr)
		}
		var res struct {
			Columns    []string `json:"columns"`
			Rows       [][]any  `json:"rows"`
			Suppressed [][]any  `json:"suppressed"`
		}
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("--json: %v\n%s", err, stdout)
		}
		var jsonSmall []string
		for _, labels := range res.Suppressed {
			if len(labels) != 1 {
				t.Fatalf("suppressed entry %v: want one label, and no count", labels)
			}
			jsonSmall = append(jsonSmall, labels[0].(string))
		}
		slices.Sort(jsonSmall)
		if !slices.Equal(jsonSmall, small) {
			t.Errorf("JSON lists %q as suppressed, want %q", jsonSmall, small)
		}
		var sum uint64
		for _, row := range res.Rows {
			county := row[0].(string)
			if slices.Contains(small, county) {
				t.Errorf("suppressed group %s has a row: %v", county, row)
			}
			c := uint64(row[1].(float64))
			if c != counts[county] {
				t.Errorf("%s: count %d, want %d", county, c, counts[county])
			}
			sum += c
		}
		// The withheld counts are not folded into any shown row.
		if sum != shownTotal || sum == total {
			t.Errorf("shown rows count %d, want %d (of %d in all)", sum, shownTotal, total)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		n := n.on(t)
		sg := newSigner(t, n.dir)
		svc, err := identity.Load(filepath.Join(n.dir, testnet.ServiceKey))
		if err != nil {
			t.Fatal(err)
		}
		narrow, err := identity.Load(narrowKey)
		if err != nil {
			t.Fatal(err)
		}
		_, stranger, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		const text = "SELECT county, COUNT(*) FROM population GROUP BY county"
		now := time.Now()
		answered := sg.sign(t, svc.SigningKey(), svc, text, now, 2*time.Minute)
		status, rec, _ := n.post(answered)
		if status != http.StatusOK || rec.Status != "done" || rec.Answer == nil || len(rec.Answer.ActiveSet) != threshold {
			n.fatalf("a valid query: HTTP %d, record %+v", status, rec)
		}
		tests := []struct {
			name   string
			sq     coordinator.SignedQueryJSON
			code   string
			reason string
			by     []int // the nodes that must refuse it
		}{
			{"unknown key", sg.sign(t, stranger, svc, text, now, time.Minute), protocol.CodeUnknownKey,
				"not a service of this roster", []int{1, 2, 3, 4, 5}},
			{"expired", sg.sign(t, svc.SigningKey(), svc, text, now.Add(-3*time.Minute), time.Minute), protocol.CodeExpired,
				"query expired at", []int{1, 2, 3, 4, 5}},
			// Only the nodes that evaluated it can know a query is replayed.
			{"replayed", answered, protocol.CodeReplay, "a replay", rec.Answer.ActiveSet},
			{"outside policy", sg.sign(t, narrow.SigningKey(), narrow, "SELECT SUM(birth_year) FROM population", now, time.Minute),
				protocol.CodePolicy, "not allowed by the service's policy", []int{1, 2, 3, 4, 5}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				n := n.on(t)
				before := map[int]int{}
				for k := 1; k <= nodes; k++ {
					before[k] = n.refusals(k, tc.code)
				}
				status, rec, raw := n.post(tc.sq)
				if status != http.StatusUnprocessableEntity || rec.Status != "failed" || rec.Code != tc.code || rec.Answer != nil {
					t.Fatalf("HTTP %d, record %s; want 422, code %q and no answer", status, raw, tc.code)
				}
				if !strings.Contains(rec.Error, tc.reason) || !strings.Contains(rec.Error, "query refused") {
					t.Errorf("error %q does not say %q", rec.Error, tc.reason)
				}
				for _, k := range tc.by {
					if got := n.refusals(k, tc.code); got <= before[k] {
						t.Errorf("node%d logged no refusal with code %s", k, tc.code)
					}
				}
			})
		}

		t.Run("CLI outside policy", func(t *testing.T) {
			n := n.on(t)
			narrowClient := clientFor(t, n, "narrow-client.toml", narrowKey)
			_, stderr, code := run(t, "query", "--client", narrowClient, "SELECT SUM(birth_year) FROM population")
			if code != 1 || !strings.Contains(stderr, "not allowed by the service's policy") || !strings.Contains(stderr, "not granted") {
				t.Errorf("exit %d, want 1 with the policy refusal:\n%s", code, stderr)
			}
			// What the policy allows is answered, under its own k = 1.
			const allowed = "SELECT county, COUNT(*) FROM population GROUP BY county"
			stdout, stderr, code := run(t, "query", "--client", narrowClient, "--json", allowed)
			if code != 0 {
				n.fatalf("%s as narrow: exit %d\n%s", allowed, code, stderr)
			}
			if want := ds.oracleJSON(t, allowed, 1); stdout != want {
				t.Errorf("%s as narrow:\n got  %s want %s", allowed, stdout, want)
			}
		})
	})

	t.Run("retry", func(t *testing.T) {
		n := n.on(t)
		const text = "SELECT purpose, COUNT(*), SUM(area_m2), AVG(assessed_value_eur) FROM land GROUP BY purpose"
		sg := newSigner(t, n.dir)
		svc, err := identity.Load(filepath.Join(n.dir, testnet.ServiceKey))
		if err != nil {
			t.Fatal(err)
		}
		first := sg.sign(t, svc.SigningKey(), svc, text, time.Now(), 2*time.Minute)
		status, rec, raw := n.post(first)
		if status != http.StatusOK || rec.Status != "done" || rec.Answer == nil {
			n.fatalf("first query: HTTP %d, %s", status, raw)
		}
		firstSet, firstID = slices.Clone(rec.Answer.ActiveSet), rec.ID
		if len(firstSet) != threshold {
			t.Fatalf("first query answered by %v, want %d nodes", firstSet, threshold)
		}
		signed := filepath.Join(t.TempDir(), "signed.json")
		sqJSON, err := json.Marshal(first)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(signed, sqJSON, 0o644); err != nil {
			t.Fatal(err)
		}
		stdout, stderr, code := runStdin(t, raw, "query", "decrypt", "--client", n.client, "--query", signed, "--json")
		if want := ds.oracleJSON(t, text, k); code != 0 || stdout != want {
			n.fatalf("query decrypt of the first answer: exit %d\n got  %s want %s%s", code, stdout, want, stderr)
		}
		outputs = append(outputs, stdout)

		victim = firstSet[1]
		n.kill(victim)
		t.Run("killed node's record readable", func(t *testing.T) {
			stdout, stderr, code := run(t, "node", "releases", "--data-dir", filepath.Join(testnet.NodeDir(n.dir, victim), "data"), "--json")
			if code != 0 {
				t.Fatalf("node releases of killed node%d: exit %d\n%s", victim, code, stderr)
			}
			found := false
			for _, r := range parseReleases(t, stdout) {
				found = found || strings.HasPrefix(r.Label, "query "+firstID+" attempt 1 ")
			}
			if !found {
				t.Errorf("killed node%d's record has no release for query %s:\n%s", victim, firstID, stdout)
			}
		})

		table, stderr, code := run(t, "query", "--client", n.client, text)
		if code != 0 {
			n.fatalf("the query again after node%d was killed: exit %d\n%s", victim, code, stderr)
		}
		if want := ds.oracleTable(t, text, k); table != want {
			t.Errorf("after node%d was killed:\n%s\nwant:\n%s", victim, table, want)
		}
		outputs = append(outputs, table)
		secondSet = answeredBy(t, stderr)
		if len(secondSet) != threshold || slices.Contains(secondSet, victim) || slices.Equal(secondSet, firstSet) {
			t.Errorf("answered by %v after node%d (of %v) was killed; want %d other nodes", secondSet, victim, firstSet, threshold)
		}
		secondID = lastAnswered(t, n, secondSet)

		status, rec, raw = n.post(first)
		if status != http.StatusUnprocessableEntity || rec.Code != protocol.CodeReplay || !strings.Contains(rec.Error, "replay") {
			t.Errorf("the first signed query again: HTTP %d, %s; want 422 and code replay", status, raw)
		}
	})

	t.Run("threshold", func(t *testing.T) {
		n := n.on(t)
		if victim == 0 {
			t.Skip("the retry subtest did not kill a node")
		}
		second := secondSet[len(secondSet)-1]
		n.kill(second)
		t.Logf("nodes %d and %d killed", victim, second)
		checked := 0
		for _, text := range texts[:12] {
			want, ok := answers[text]
			if !ok {
				continue // already reported by the oracle subtest
			}
			stdout, stderr, code := run(t, "query", "--client", n.client, "--json", text)
			if code != 0 {
				n.fatalf("%q with two nodes down: exit %d\n%s", text, code, stderr)
			}
			if stdout != want {
				t.Errorf("%q with two nodes down:\n got  %s want %s", text, stdout, want)
			}
			checked++
		}
		if checked == 0 {
			t.Fatal("no answer of the oracle subtest to compare with")
		}

		var third int
		for k := 1; k <= nodes; k++ {
			if k != victim && k != second {
				third = k
				break
			}
		}
		n.kill(third)
		const text = "SELECT sex, COUNT(*) FROM population GROUP BY sex"
		_, stderr, code := run(t, "query", "--client", n.client, text)
		if code != 4 || !strings.Contains(stderr, "threshold not met") || !strings.Contains(stderr, "nodes reachable") {
			t.Errorf("with three nodes down: exit %d, want 4 saying \"threshold not met\" and \"nodes reachable\":\n%s", code, stderr)
		}
		svc, err := identity.Load(filepath.Join(n.dir, testnet.ServiceKey))
		if err != nil {
			t.Fatal(err)
		}
		status, rec, raw := n.post(newSigner(t, n.dir).sign(t, svc.SigningKey(), svc, text, time.Now(), time.Minute))
		if status != http.StatusServiceUnavailable || rec.Code != coordinator.CodeThresholdNotMet {
			t.Errorf("POST with three nodes down: HTTP %d, %s; want 503 and code %s", status, raw, coordinator.CodeThresholdNotMet)
		}
	})

	t.Run("records", func(t *testing.T) {
		n := n.on(t)
		// Restart the killed nodes (their stores recover), read each node's
		// count of released shares, then stop everything.
		n.up()
		status := map[int]uint64{}
		for k := 1; k <= nodes; k++ {
			status[k] = n.statusShares(k)
		}
		n.down()
		answeredQueries := strings.Count(coordinatorLog(t, n), `msg="query answered"`)

		type attempt struct {
			query string
			n     int
		}
		holders := map[attempt][]int{}           // attempt → nodes that released shares for it
		results := map[attempt]map[int][]int{}   // attempt → node → result indices
		digestOf := map[string]map[string]bool{} // label → digests (over all nodes)
		labelOf := map[string]map[string]bool{}  // digest → labels (over all nodes)
		for k := 1; k <= nodes; k++ {
			rels := n.releases(k)
			logged := n.loggedShares(k)
			if uint64(len(rels)) != status[k] || len(rels) != logged {
				t.Errorf("node%d: %d releases on disk, /status says %d, its log %d", k, len(rels), status[k], logged)
			}
			labels, digests := map[string]bool{}, map[string]bool{}
			for _, r := range rels {
				if labels[r.Label] {
					t.Errorf("node%d: label %q released twice", k, r.Label)
				}
				if digests[r.Digest] {
					t.Errorf("node%d: digest %s released twice", k, r.Digest)
				}
				labels[r.Label], digests[r.Digest] = true, true
				m := labelRE.FindStringSubmatch(r.Label)
				if m == nil {
					t.Errorf("node%d: release label %q is not \"query <id> attempt <n> result <i>\"", k, r.Label)
					continue
				}
				na, _ := strconv.Atoi(m[2])
				ri, _ := strconv.Atoi(m[3])
				a := attempt{m[1], na}
				if results[a] == nil {
					results[a] = map[int][]int{}
				}
				if len(results[a][k]) == 0 {
					holders[a] = append(holders[a], k)
				}
				results[a][k] = append(results[a][k], ri)
				if digestOf[r.Label] == nil {
					digestOf[r.Label] = map[string]bool{}
				}
				digestOf[r.Label][r.Digest] = true
				if labelOf[r.Digest] == nil {
					labelOf[r.Digest] = map[string]bool{}
				}
				labelOf[r.Digest][r.Label] = true
			}
		}
		// The members of an attempt key-switch the same ciphertext: one
		// digest per label across nodes, and no digest under two labels.
		for label, digests := range digestOf {
			if len(digests) != 1 {
				t.Errorf("label %q has %d digests across nodes", label, len(digests))
			}
		}
		for digest, ls := range labelOf {
			if len(ls) != 1 {
				t.Errorf("digest %s released under %d labels: %v", digest, len(ls), ls)
			}
		}
		queries := map[string]bool{}
		for a, hs := range holders {
			queries[a.query] = true
			slices.Sort(hs)
			if len(hs) != threshold {
				t.Errorf("query %.16s attempt %d: shares released by nodes %v, want %d nodes", a.query, a.n, hs, threshold)
			}
			var want []int
			for k, idx := range results[a] {
				slices.Sort(idx)
				if want == nil {
					want = idx
				}
				if !slices.Equal(idx, want) {
					t.Errorf("query %.16s attempt %d: node%d released results %v, another node %v", a.query, a.n, k, idx, want)
				}
				for i, v := range idx {
					if v != i {
						t.Errorf("query %.16s attempt %d: node%d released results %v, want 0..%d", a.query, a.n, k, idx, len(idx)-1)
						break
					}
				}
			}
		}
		if len(queries) != answeredQueries || len(holders) != answeredQueries {
			t.Errorf("releases for %d queries (%d attempts); the coordinator answered %d", len(queries), len(holders), answeredQueries)
		}
		if firstID == "" || secondID == "" {
			t.Fatal("the retry subtest did not record its queries")
		}
		for a, hs := range holders {
			switch {
			case a.query == firstID && (a.n != 1 || !slices.Equal(hs, firstSet)):
				t.Errorf("first query: attempt %d released by %v, want attempt 1 by %v (the replay must release nothing)", a.n, hs, firstSet)
			case strings.HasPrefix(a.query, secondID) && !slices.Equal(hs, secondSet):
				t.Errorf("retried query: released by %v, want %v", hs, secondSet)
			}
		}
		if !slices.Contains(holders[attempt{firstID, 1}], victim) {
			t.Errorf("node%d, killed after answering, lost its release of query %.16s", victim, firstID)
		}
		t.Logf("%d queries answered; releases per node: %v", answeredQueries, status)
	})

	t.Run("no plaintext", func(t *testing.T) {
		n := n.on(t)
		n.down() // idempotent: everything must be stopped before the search
		s, _ := registry.Lookup("land")
		values := map[string]bool{}
		for _, r := range ds.records["land"] {
			for _, f := range []string{"area_m2", "assessed_value_eur"} {
				if v := r.Values[s.FieldIndex(f)]; len(v) >= minDigits {
					values[v] = true
				}
			}
		}
		sums := sumsIn(t, outputs)
		if len(values) < 100 || len(sums) < 5 {
			t.Fatalf("%d land values and %d query sums of at least %d digits: too few to search for", len(values), len(sums), minDigits)
		}
		t.Logf("searching for %d land values and %d query sums", len(values), len(sums))

		// The search works: it finds every value in the input file, every
		// sum in the answers printed, and a value in a log-like line.
		if found := findNumbers(t, values, ds.files["land"]); len(found[ds.files["land"]]) != len(values) {
			t.Fatalf("sanity check: found %d of %d values in the input file", len(found[ds.files["land"]]), len(values))
		}
		printed := filepath.Join(t.TempDir(), "answers.txt")
		if err := os.WriteFile(printed, []byte(strings.Join(outputs, "")), 0o644); err != nil {
			t.Fatal(err)
		}
		if found := findNumbers(t, sums, printed); len(found[printed]) != len(sums) {
			t.Fatalf("sanity check: found %d of %d sums in the answers printed", len(found[printed]), len(sums))
		}
		var some string
		for v := range values {
			some = v
			break
		}
		logLike := filepath.Join(t.TempDir(), "node.log")
		line := fmt.Sprintf("time=2025-01-01T00:00:00.000Z level=INFO msg=x area_m2=%s elapsed=1.%sms\n", some, some)
		if err := os.WriteFile(logLike, []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
		if found := findNumbers(t, values, logLike); !slices.Equal(found[logLike], []string{some}) {
			t.Fatalf("sanity check: found %v in %q, want %s", found[logLike], line, some)
		}

		var targets []string
		for k := 1; k <= nodes; k++ {
			nd := testnet.NodeDir(n.dir, k)
			targets = append(targets, filepath.Join(nd, "data"), filepath.Join(nd, testnet.NodeLog))
		}
		targets = append(targets, filepath.Join(n.dir, testnet.CoordinatorDir, testnet.CoordinatorLog))
		needles := map[string]bool{}
		for v := range values {
			needles[v] = true
		}
		for v := range sums {
			needles[v] = true
		}
		for _, target := range targets {
			for file, found := range findNumbers(t, needles, target) {
				var kinds []string
				for _, v := range found {
					switch {
					case values[v] && sums[v]:
						kinds = append(kinds, v+" (a land value and a query answer)")
					case values[v]:
						kinds = append(kinds, v+" (a land value)")
					default:
						kinds = append(kinds, v+" (a query answer)")
					}
				}
				t.Errorf("plaintext in %s: %s", file, strings.Join(kinds, ", "))
			}
		}
	})
}

// sumsIn collects the SUM values of at least minDigits digits from query
// answers printed as JSON or as tables.
func sumsIn(t *testing.T, outputs []string) map[string]bool {
	t.Helper()
	sums := map[string]bool{}
	for _, out := range outputs {
		var res struct {
			Columns []string            `json:"columns"`
			Rows    [][]json.RawMessage `json:"rows"`
		}
		if json.Unmarshal([]byte(out), &res) != nil {
			res.Columns, res.Rows = tableRows(out)
		}
		for i, c := range res.Columns {
			if !strings.HasPrefix(c, "SUM(") {
				continue
			}
			for _, row := range res.Rows {
				if i < len(row) {
					if v := strings.TrimSpace(string(row[i])); len(v) >= minDigits && strings.Trim(v, "0123456789") == "" {
						sums[v] = true
					}
				}
			}
		}
	}
	return sums
}

// tableRows splits an `embassy query` table into its header and cells
// (two or more spaces separate columns).
func tableRows(out string) ([]string, [][]json.RawMessage) {
	lines := strings.Split(out, "\n")
	if len(lines) < 3 {
		return nil, nil
	}
	sep := regexp.MustCompile(`\s{2,}`)
	cols := sep.Split(strings.TrimSpace(lines[0]), -1)
	var rows [][]json.RawMessage
	for _, l := range lines[2:] {
		if l == "" || strings.HasPrefix(l, "(") || strings.HasPrefix(l, "suppressed") {
			continue
		}
		var row []json.RawMessage
		for _, c := range sep.Split(strings.TrimSpace(l), -1) {
			row = append(row, json.RawMessage(c))
		}
		rows = append(rows, row)
	}
	return cols, rows
}

// answeredLineRE is the coordinator's log line for an answered query.
var answeredLineRE = regexp.MustCompile(`msg="query answered" id=([0-9a-f]+) attempts=\d+ nodes="\[([0-9 ]+)\]"`)

// lastAnswered returns the id (prefix) of the last query the coordinator
// logged as answered, and checks it was answered by set.
func lastAnswered(t *testing.T, n *tnet, set []int) string {
	t.Helper()
	ms := answeredLineRE.FindAllStringSubmatch(coordinatorLog(t, n), -1)
	if len(ms) == 0 {
		t.Fatal("the coordinator logged no answered query")
	}
	m := ms[len(ms)-1]
	if got := "[" + m[2] + "]"; got != fmt.Sprint(set) {
		t.Fatalf("the coordinator's last answered query %s was answered by %s, the client says %v", m[1], got, set)
	}
	return m[1]
}

func coordinatorLog(t *testing.T, n *tnet) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(n.dir, testnet.CoordinatorDir, testnet.CoordinatorLog))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
