package cube

import (
	"crypto/rand"
	"sync"
	"testing"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/thhe"
)

// fixture is a 2-of-3 threshold group on thhe.TestParams with its
// collective public key and Galois keys, and a querier's key pair.
type fixture struct {
	params  thhe.Params
	g       thhe.Group
	parties map[int]*thhe.Party
	pk      *rlwe.PublicKey
	ev      *thhe.Evaluator
	tsk     *rlwe.SecretKey
	tpk     *rlwe.PublicKey
	set     thhe.ActiveSet
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

func getFixture(t testing.TB) *fixture {
	t.Helper()
	fixOnce.Do(func() { fix, fixErr = newFixture() })
	if fixErr != nil {
		t.Fatalf("fixture: %v", fixErr)
	}
	return fix
}

func newFixture() (*fixture, error) {
	params, err := thhe.TestParams()
	if err != nil {
		return nil, err
	}
	g, err := thhe.NewGroup(params, 3, 2)
	if err != nil {
		return nil, err
	}
	f := &fixture{params: params, g: g, parties: map[int]*thhe.Party{}}
	for i := 1; i <= g.N; i++ {
		if f.parties[i], err = thhe.NewParty(g, i); err != nil {
			return nil, err
		}
	}
	for _, p := range f.parties {
		shares, err := p.ThresholdShares()
		if err != nil {
			return nil, err
		}
		for to, s := range shares {
			if err := f.parties[to].ReceiveThresholdShare(s); err != nil {
				return nil, err
			}
		}
	}
	var seed thhe.Seed
	rand.Read(seed[:])
	set := thhe.ActiveSet{1, 3}
	var ck []*thhe.CKGShare
	for _, id := range set {
		s, err := f.parties[id].CKGShare(set, seed)
		if err != nil {
			return nil, err
		}
		ck = append(ck, s)
	}
	if f.pk, err = thhe.AggregateCKG(g, seed, ck); err != nil {
		return nil, err
	}
	rand.Read(seed[:])
	set = thhe.ActiveSet{2, 3}
	var galois []*rlwe.GaloisKey
	for _, el := range thhe.InnerSumGaloisElements(params) {
		var gk []*thhe.GKGShare
		for _, id := range set {
			s, err := f.parties[id].GKGShare(set, seed, el)
			if err != nil {
				return nil, err
			}
			gk = append(gk, s)
		}
		key, err := thhe.AggregateGKG(g, seed, el, gk)
		if err != nil {
			return nil, err
		}
		galois = append(galois, key)
	}
	f.ev = thhe.NewEvaluator(params, thhe.EvaluationKeys{Galois: galois})
	f.tsk, f.tpk = thhe.NewTargetKeyPair(params)
	f.set = thhe.ActiveSet{1, 2}
	return f, nil
}

// decrypt key-switches every result ciphertext to the querier's key (a
// share from each member of the active set) and decrypts it.
func (f *fixture) decrypt(t testing.TB, cts []*rlwe.Ciphertext) [][]int64 {
	t.Helper()
	out := make([][]int64, len(cts))
	for i, ct := range cts {
		var shares []*thhe.KeySwitchShare
		for _, id := range f.set {
			s, err := f.parties[id].KeySwitchShare(f.set, ct, f.tpk, "cube test")
			if err != nil {
				t.Fatalf("key-switch share of result %d: %v", i, err)
			}
			shares = append(shares, s)
		}
		sw, err := thhe.AggregateKeySwitch(f.g, ct, shares)
		if err != nil {
			t.Fatal(err)
		}
		if out[i], err = thhe.Decrypt(f.params, f.tsk, sw); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// tinySchema is a small registry with one cube that fits one ciphertext:
// entries (count, 2 limbs of n) × color (3 buckets) × n (5 bins).
const tinySchema = `{
  "name": "tiny",
  "key": "id",
  "fields": [
    {"name": "id", "type": "string"},
    {"name": "color", "type": "enum", "values": ["red", "green", "blue"]},
    {"name": "born", "type": "date"},
    {"name": "n", "type": "int", "min": 0, "max": 100000}
  ],
  "statistics": {
    "measures": [
      {"name": "n", "field": "n", "bits": 17, "edges": [0, 10, 100, 1000, 10000]},
      {"name": "year", "field": "born", "derive": "year", "bits": 12}
    ],
    "dimensions": [{"name": "color", "field": "color"}],
    "cubes": [{"name": "c", "axes": ["color", "n"]}]
  }
}`

func tiny(t testing.TB) registry.Schema {
	t.Helper()
	s, err := registry.ParseSchema([]byte(tinySchema))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func builtin(t testing.TB, name string) registry.Schema {
	t.Helper()
	s, err := registry.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
