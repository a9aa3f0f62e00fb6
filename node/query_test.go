package node_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dataembassy/embassy/client"
	"github.com/dataembassy/embassy/coordinator"
	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/testnet"
	"github.com/dataembassy/embassy/thhe"
	"google.golang.org/protobuf/proto"
)

// registryData generates count rows of a registry as CSV and returns them
// with their records.
func registryData(t *testing.T, name string, count int, seed uint64) ([]byte, []registry.Record) {
	t.Helper()
	s, err := registry.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := registry.Generate(&buf, registry.FormatCSV, name, count, seed); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), readRecords(t, s, buf.Bytes())
}

func readRecords(t *testing.T, s registry.Schema, data []byte) []registry.Record {
	t.Helper()
	rd, err := registry.NewReader(bytes.NewReader(data), registry.FormatCSV, s)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]registry.Record{}
	var order []string
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if row.Err != nil {
			continue
		}
		k := s.Key(row.Record)
		if _, seen := byKey[k]; !seen {
			order = append(order, k)
		}
		byKey[k] = row.Record
	}
	out := make([]registry.Record, len(order))
	for i, k := range order {
		out[i] = byKey[k]
	}
	return out
}

func ingestRegistry(ctx context.Context, t *testing.T, c *client.Client, name string, data []byte) {
	t.Helper()
	s, _ := registry.Lookup(name)
	rd, err := registry.NewReader(bytes.NewReader(data), registry.FormatCSV, s)
	if err != nil {
		t.Fatal(err)
	}
	if prog, err := c.Ingest(ctx, s, rd, client.IngestOptions{BatchSize: 250}); err != nil || prog.Failed > 0 {
		t.Fatalf("ingest %s: %v (%+v)", name, err, prog)
	}
}

// oracleResult is the plaintext answer to text over records, assembled as
// the client assembles an encrypted one.
func oracleResult(t *testing.T, text string, records map[string][]registry.Record, k int) *query.Result {
	t.Helper()
	q, err := query.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	s, err := q.Schema(registry.Builtin())
	if err != nil {
		t.Fatal(err)
	}
	plan, err := q.Plan(s)
	if err != nil {
		t.Fatal(err)
	}
	cells, err := query.Oracle(q, s, records[s.Name])
	if err != nil {
		t.Fatal(err)
	}
	res, err := query.Assemble(plan, s, cells, k)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func resultJSON(t *testing.T, r *query.Result) string {
	t.Helper()
	var buf bytes.Buffer
	if err := query.WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// openService opens a client as the testnet's service.
func openService(t *testing.T, dir string) *client.Client {
	t.Helper()
	cfg, err := client.LoadConfig(filepath.Join(dir, testnet.ClientFile))
	if err != nil {
		t.Fatal(err)
	}
	cfg.IdentityFile = cfg.ServiceIdentityFile
	c, err := client.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func openCustodian(t *testing.T, dir string) *client.Client {
	t.Helper()
	cfg, err := client.LoadConfig(filepath.Join(dir, testnet.ClientFile))
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// addService adds a service with a narrow policy to the testnet's roster
// (before any node starts) and returns its key file.
func addService(t *testing.T, dir string) string {
	t.Helper()
	custodian, err := identity.Load(filepath.Join(dir, testnet.CustodianKey))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := loadRoster(t, dir)
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

func TestEncryptedQueries(t *testing.T) {
	dir, local := threeNodes(t)
	narrowKey := addService(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if err := local.StartAll(); err != nil {
		t.Fatal(err)
	}
	if _, err := local.WaitForKeys(ctx); err != nil {
		t.Fatal(err)
	}
	custodian := openCustodian(t, dir)
	records := map[string][]registry.Record{}
	for i, name := range []string{"population", "land", "business"} {
		data, recs := registryData(t, name, 1200, uint64(20+i))
		ingestRegistry(ctx, t, custodian, name, data)
		records[name] = recs
	}
	service := openService(t, dir)
	k := testnet.ServicePolicy().MinGroupSize

	check := func(t *testing.T, text string) *client.QueryResult {
		t.Helper()
		got, err := service.Query(ctx, text, client.QueryOptions{})
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if g, w := resultJSON(t, got.Result), resultJSON(t, oracleResult(t, text, records, k)); g != w {
			t.Fatalf("%s:\nencrypted answer %s\nplaintext oracle %s", text, g, w)
		}
		return got
	}

	t.Run("answers equal the plaintext oracle", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, name := range []string{"population", "land", "business"} {
			s, _ := registry.Lookup(name)
			for range 4 {
				check(t, query.Generate(rng, s))
			}
		}
		check(t, "SELECT county, COUNT(*), AVG(birth_year) FROM population GROUP BY county")
		check(t, "SELECT HISTOGRAM(employees, 0, 10, 50, 250) FROM business WHERE status = 'active'")
	})

	t.Run("updates and deletions change the statistics", func(t *testing.T) {
		s, _ := registry.Lookup("population")
		recs := records["population"]
		changed := append([]registry.Record(nil), recs[:40]...)
		bi := s.FieldIndex("county")
		for i := range changed {
			vals := append([]string(nil), changed[i].Values...)
			vals[bi] = "Hiiu maakond"
			changed[i] = registry.Record{Values: vals}
		}
		var buf bytes.Buffer
		w, err := registry.NewWriter(&buf, registry.FormatCSV, s)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range changed {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		ingestRegistry(ctx, t, custodian, "population", buf.Bytes())
		var deleted []string
		for _, r := range recs[40:60] {
			deleted = append(deleted, s.Key(r))
		}
		if _, err := custodian.Delete(ctx, "population", deleted); err != nil {
			t.Fatal(err)
		}
		updated := append(append([]registry.Record(nil), changed...), recs[60:]...)
		records["population"] = updated
		check(t, "SELECT county, COUNT(*), SUM(birth_year) FROM population GROUP BY county")
	})

	t.Run("refusals", func(t *testing.T) {
		params, _, err := service.FederationKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r, digest := loadRoster(t, dir)
		p := dial(t, dir, filepath.Join(dir, testnet.ServiceKey))
		co, err := coordinator.New(r, p.nw, params, quiet())
		if err != nil {
			t.Fatal(err)
		}
		svc, err := identity.Load(filepath.Join(dir, testnet.ServiceKey))
		if err != nil {
			t.Fatal(err)
		}
		_, stranger, _ := ed25519.GenerateKey(nil)
		narrow, err := identity.Load(narrowKey)
		if err != nil {
			t.Fatal(err)
		}
		sign := func(key ed25519.PrivateKey, seedFrom *identity.Identity, text string, issued time.Time) *pb.SignedQuery {
			_, pk, err := thhe.TargetKeyFromSeed(params, seedFrom.HETargetSeed())
			if err != nil {
				t.Fatal(err)
			}
			enc, err := thhe.EncodePublicKey(params, pk)
			if err != nil {
				t.Fatal(err)
			}
			td := sha256.Sum256(enc)
			pid := params.ID()
			nonce := make([]byte, 16)
			nonce[0] = byte(issued.UnixNano())
			sq, err := protocol.NewQuery(key, text, digest[:], enc, td[:], pid[:], nonce, issued, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			return sq
		}
		const text = "SELECT county, COUNT(*) FROM population GROUP BY county"
		now := time.Now()
		replayed := sign(svc.SigningKey(), svc, text, now)
		if _, err := co.Run(ctx, replayed); err != nil {
			t.Fatalf("first run of a query: %v", err)
		}
		tests := []struct {
			name string
			sq   *pb.SignedQuery
			code string
		}{
			{"unknown key", sign(stranger, svc, text, now), protocol.CodeUnknownKey},
			{"expired", sign(svc.SigningKey(), svc, text, now.Add(-2*time.Minute)), protocol.CodeExpired},
			{"replayed", replayed, protocol.CodeReplay},
			{"outside policy", sign(narrow.SigningKey(), narrow, "SELECT SUM(birth_year) FROM population", now), protocol.CodePolicy},
			{"policy allows", sign(narrow.SigningKey(), narrow, "SELECT county, COUNT(*) FROM population GROUP BY county", now), ""},
		}
		for _, tc := range tests {
			_, err := co.Run(ctx, tc.sq)
			var rf *protocol.Refusal
			switch {
			case tc.code == "" && err != nil:
				t.Errorf("%s: %v", tc.name, err)
			case tc.code != "" && (!errors.Is(err, coordinator.ErrRefused) || !errors.As(err, &rf) || rf.Code != tc.code):
				t.Errorf("%s: got %v, want refusal %q", tc.name, err, tc.code)
			}
		}
	})

	t.Run("failover never repeats a share", func(t *testing.T) {
		params, _, err := service.FederationKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := loadRoster(t, dir)
		p := dial(t, dir, filepath.Join(dir, testnet.ServiceKey))
		// Node 2's answer to attempt 1 is lost after it has computed and
		// released its shares: the coordinator must try again elsewhere.
		lossy := &losingTransport{Transport: p.nw, node: 2, attempt: 1}
		co, err := coordinator.New(r, lossy, params, quiet())
		if err != nil {
			t.Fatal(err)
		}
		const text = "SELECT purpose, COUNT(*), SUM(area_m2) FROM land GROUP BY purpose"
		sq, err := service.SignQuery(ctx, text, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		ans, err := co.Run(ctx, sq)
		if err != nil {
			t.Fatalf("query with a lost answer: %v", err)
		}
		if ans.Attempts != 2 || !lossy.dropped {
			t.Fatalf("answered in attempt %d (dropped %v), want the second", ans.Attempts, lossy.dropped)
		}
		got, err := service.DecodeAnswer(ctx, sq, ans)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := resultJSON(t, got.Result), resultJSON(t, oracleResult(t, text, records, k)); g != w {
			t.Fatalf("after failover:\n%s\nwant\n%s", g, w)
		}
		// From the nodes' own records: every share of this query was
		// released for a distinct ciphertext on each node, and attempt 2
		// switched other ciphertexts than attempt 1 (re-randomised).
		id := protocol.QueryID(sq.Query)
		prefix := fmt.Sprintf("query %x attempt ", id)
		byAttempt := map[string]map[[32]byte]bool{}
		for k := 1; k <= 3; k++ {
			rels, err := local.Node(k).Releases()
			if err != nil {
				t.Fatal(err)
			}
			seen := map[[32]byte]bool{}
			for _, rel := range rels {
				if seen[rel.Digest] {
					t.Fatalf("node%d released two shares for one ciphertext", k)
				}
				seen[rel.Digest] = true
				if len(rel.Label) > len(prefix) && rel.Label[:len(prefix)] == prefix {
					attempt := rel.Label[len(prefix) : len(prefix)+1]
					if byAttempt[attempt] == nil {
						byAttempt[attempt] = map[[32]byte]bool{}
					}
					byAttempt[attempt][rel.Digest] = true
				}
			}
		}
		if len(byAttempt["1"]) == 0 || len(byAttempt["2"]) == 0 {
			t.Fatalf("releases by attempt: %d in attempt 1, %d in attempt 2", len(byAttempt["1"]), len(byAttempt["2"]))
		}
		for d := range byAttempt["1"] {
			if byAttempt["2"][d] {
				t.Fatal("attempt 2 key-switched a ciphertext of attempt 1")
			}
		}
		// The first signed query again is a replay of attempt 1.
		again, err := coordinator.New(r, p.nw, params, quiet())
		if err != nil {
			t.Fatal(err)
		}
		var rf *protocol.Refusal
		if _, err := again.Run(ctx, sq); !errors.As(err, &rf) || rf.Code != protocol.CodeReplay {
			t.Fatalf("the same signed query again: %v, want a replay refusal", err)
		}
	})

	t.Run("threshold", func(t *testing.T) {
		if err := local.Stop(3); err != nil {
			t.Fatal(err)
		}
		check(t, "SELECT sex, COUNT(*) FROM population GROUP BY sex")
		if err := local.Stop(2); err != nil {
			t.Fatal(err)
		}
		_, err := service.Query(ctx, "SELECT sex, COUNT(*) FROM population GROUP BY sex", client.QueryOptions{})
		if !errors.Is(err, protocol.ErrThresholdNotMet) {
			t.Fatalf("one of three nodes up: %v, want ErrThresholdNotMet", err)
		}
		if err := local.StartAll(); err != nil {
			t.Fatal(err)
		}
	})
}

// losingTransport loses node's answer to one evaluate attempt, after the
// node has answered (it has computed and released its shares).
type losingTransport struct {
	protocol.Transport
	node    int
	attempt uint32
	dropped bool
}

func (l *losingTransport) Exchange(ctx context.Context, index int, id protocol.ID, req, resp proto.Message) error {
	err := l.Transport.Exchange(ctx, index, id, req, resp)
	if q, ok := req.(*pb.QueryRequest); ok && err == nil && index == l.node &&
		q.Phase == pb.QueryRequest_PHASE_EVALUATE && q.Attempt == l.attempt {
		l.dropped = true
		return errors.New("test: answer lost")
	}
	return err
}
