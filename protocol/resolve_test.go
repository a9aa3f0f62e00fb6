package protocol_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"google.golang.org/protobuf/proto"
)

// subsets calls fn with every subset of 1..n of size k, in order.
func subsets(n, k int, fn func([]int)) {
	var rec func(start int, cur []int)
	rec = func(start int, cur []int) {
		if len(cur) == k {
			fn(append([]int(nil), cur...))
			return
		}
		for i := start; i <= n; i++ {
			rec(i+1, append(cur, i))
		}
	}
	rec(1, nil)
}

// answersFrom builds one answer per node: from(i) for the nodes in have,
// other(i) for the rest.
func answersFrom(n int, have []int, from, other func(i int) protocol.Answer) []protocol.Answer {
	in := map[int]bool{}
	for _, i := range have {
		in[i] = true
	}
	out := make([]protocol.Answer, 0, n)
	for i := 1; i <= n; i++ {
		if in[i] {
			out = append(out, from(i))
		} else {
			out = append(out, other(i))
		}
	}
	return out
}

// tampered is node i answering with its share of record k, one byte flipped.
func tampered(d *protocol.Dealt, i, k int) protocol.Answer {
	s := proto.Clone(d.PerNode[i-1][k]).(*pb.StoredShare)
	s.Share[0] ^= 0xff
	return protocol.Answer{Node: i, Name: nodeName(i), Item: &pb.GetItem{Found: true, Latest: s}}
}

func TestResolveAnyThresholdSubset(t *testing.T) {
	f := newFixture(t, 5, 3)
	r := f.record("78401:101:0010", "an encoded record of some length, longer than one element")
	d := f.build(t, f.record("other", "x"), r)
	v := f.verifier()
	count := 0
	for k := f.t; k <= f.n; k++ {
		for _, absent := range []func(int) protocol.Answer{down, notFound} {
			subsets(f.n, k, func(have []int) {
				count++
				answers := answersFrom(f.n, have, func(i int) protocol.Answer { return found(d, i, 1) }, absent)
				res, err := protocol.Resolve(v, testRegistry, r.Pseudonym, answers)
				if err != nil {
					t.Fatalf("nodes %v: %v", have, err)
				}
				if !bytes.Equal(res.Record, r.Encoded) {
					t.Fatalf("nodes %v: record %q, want %q", have, res.Record, r.Encoded)
				}
				if res.Manifest.Version != r.Version || len(res.Bad) != 0 {
					t.Fatalf("nodes %v: version %d, bad %v", have, res.Manifest.Version, res.Bad)
				}
			})
		}
	}
	if count != 2*(10+5+1) {
		t.Fatalf("tried %d subsets, want %d", count, 2*(10+5+1))
	}
}

func TestResolve(t *testing.T) {
	f := newFixture(t, 5, 3)
	old := f.record("k", "old content")
	dOld := f.build(t, old)
	cur := f.record("k", "new content")
	dNew := f.build(t, cur)
	gone := f.tombstone("k")
	dGone := f.build(t, gone)
	p := old.Pseudonym
	oldA := func(i int) protocol.Answer { return found(dOld, i, 0) }
	newA := func(i int) protocol.Answer { return found(dNew, i, 0) }
	goneA := func(i int) protocol.Answer { return found(dGone, i, 0) }
	badA := func(i int) protocol.Answer { return tampered(dNew, i, 0) }

	cases := []struct {
		name     string
		answers  []protocol.Answer
		want     []byte // the record; nil when an error is expected
		wantErr  error
		mention  []string // the error message names these
		wantBad  []int    // nodes listed in Bad
		answered int
	}{
		{name: "all have the newest", answers: answersFrom(5, []int{1, 2, 3, 4, 5}, newA, nil),
			want: cur.Encoded, answered: 5},
		{name: "newest on 3, older on 2", answers: answersFrom(5, []int{1, 3, 5}, newA, oldA),
			want: cur.Encoded, answered: 5},
		{name: "newest on 3, older on 2, listed first", answers: answersFrom(5, []int{3, 4, 5}, newA, oldA),
			want: cur.Encoded, answered: 5},
		{name: "older version alone", answers: answersFrom(5, []int{1, 2, 3}, oldA, down),
			want: old.Encoded, answered: 3},
		{name: "newest on t-1 nodes is never served stale", answers: answersFrom(5, []int{1, 2}, newA, oldA),
			wantErr: protocol.ErrThresholdNotMet, answered: 5},
		{name: "tombstone newest", answers: answersFrom(5, []int{1, 2, 3}, goneA, newA),
			wantErr: protocol.ErrNotFound, answered: 5},
		// A deletion that reached one node (the write failed) does not
		// delete the record for readers, nor is the older version served.
		{name: "tombstone on one node only", answers: answersFrom(5, []int{4}, goneA, newA),
			wantErr: protocol.ErrThresholdNotMet, mention: []string{"(a deletion) is held by 1"}, answered: 5},
		{name: "tombstone everywhere", answers: answersFrom(5, []int{1, 2, 3, 4, 5}, goneA, nil),
			wantErr: protocol.ErrNotFound, answered: 5},
		{name: "nobody has it, all answer", answers: answersFrom(5, nil, nil, notFound),
			wantErr: protocol.ErrNotFound, answered: 5},
		{name: "nobody has it, t answer", answers: answersFrom(5, []int{1, 2, 3}, notFound, down),
			wantErr: protocol.ErrNotFound, answered: 3},
		{name: "t-1 answer, not found", answers: answersFrom(5, []int{1, 2}, notFound, down),
			wantErr: protocol.ErrThresholdNotMet, mention: []string{"2 of 5 nodes answered", "3 needed"}, answered: 2},
		{name: "t-1 answer with the record", answers: answersFrom(5, []int{2, 4}, newA, down),
			wantErr: protocol.ErrThresholdNotMet, mention: []string{"2 of 5 nodes answered", "node1", "node3", "node5"}, answered: 2},
		{name: "nobody answers", answers: answersFrom(5, nil, nil, down),
			wantErr: protocol.ErrThresholdNotMet, mention: []string{"0 of 5 nodes answered"}},
		{name: "one tampered node", answers: answersFrom(5, []int{1, 2, 4, 5}, newA, badA),
			want: cur.Encoded, wantBad: []int{3}, answered: 5},
		{name: "two tampered nodes, t good", answers: answersFrom(5, []int{1, 2, 3}, newA, badA),
			want: cur.Encoded, wantBad: []int{4, 5}, answered: 5},
		{name: "t-1 good and one tampered", answers: []protocol.Answer{newA(1), newA(2), badA(3), down(4), down(5)},
			wantErr: protocol.ErrThresholdNotMet, mention: []string{"node3"}, wantBad: []int{3}, answered: 3},
		{name: "t-1 good and the rest tampered", answers: answersFrom(5, []int{1, 5}, newA, badA),
			wantErr: protocol.ErrThresholdNotMet, mention: []string{"node2", "node3", "node4"}, wantBad: []int{2, 3, 4}, answered: 5},
		{name: "answers for another record", answers: answersFrom(5, nil, nil, func(i int) protocol.Answer {
			return found(f.build(t, f.record("someone else", "x")), i, 0)
		}), wantErr: protocol.ErrThresholdNotMet, wantBad: []int{1, 2, 3, 4, 5}, answered: 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := protocol.Resolve(f.verifier(), testRegistry, p, c.answers)
			if c.wantErr == nil {
				if err != nil {
					t.Fatalf("Resolve: %v", err)
				}
				if !bytes.Equal(res.Record, c.want) {
					t.Fatalf("record %q, want %q", res.Record, c.want)
				}
			} else {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("Resolve = (%q, %v), want %v", res.Record, err, c.wantErr)
				}
				if res.Record != nil {
					t.Fatalf("an error came with record %q", res.Record)
				}
				for _, s := range c.mention {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
			}
			var bad []int
			for _, b := range res.Bad {
				bad = append(bad, b.Node)
				if b.Name != nodeName(b.Node) || b.Reason == "" {
					t.Errorf("fault %+v lacks its name or reason", b)
				}
			}
			if fmt.Sprint(bad) != fmt.Sprint(c.wantBad) {
				t.Errorf("Bad = %v, want nodes %v", res.Bad, c.wantBad)
			}
			if res.Answered != c.answered {
				t.Errorf("Answered = %d, want %d", res.Answered, c.answered)
			}
		})
	}
}

// ExampleBatchBuilder deals one record to five nodes (threshold 3) and
// rebuilds it from what three of them answer.
func ExampleBatchBuilder() {
	_, custodian, _ := ed25519.GenerateKey(rand.Reader)
	rosterDigest := make([]byte, 32) // roster.Digest of the signed roster
	pseudo := protocol.NewPseudonymizer([]byte("a 32-byte network secret........"))

	// Custodian side: deal a batch.
	builder, err := protocol.NewBatchBuilder(custodian, rosterDigest, 5, 3)
	if err != nil {
		panic(err)
	}
	record := []byte("Tartu linn, residential, 1200 m2")
	p := pseudo.Pseudonym("land", "78401:101:0010")
	dealt, err := builder.Build("land", []protocol.RecordInput{
		{Pseudonym: p, ContentTag: pseudo.ContentTag("land", record), Encoded: record, Version: 1},
	})
	if err != nil {
		panic(err)
	}

	// Reader side: node i serves dealt.Served(i, 0); two nodes have nothing.
	answers := make([]protocol.Answer, 5)
	for i := 1; i <= 5; i++ {
		answers[i-1] = protocol.Answer{Node: i, Name: fmt.Sprintf("node%d", i), Item: &pb.GetItem{}}
	}
	for _, i := range []int{1, 3, 5} {
		answers[i-1].Item = &pb.GetItem{Found: true, Latest: dealt.Served(i, 0)}
	}
	answers[1] = protocol.Answer{Node: 2, Name: "node2", Err: errors.New("unreachable")}

	v := protocol.NewVerifier(custodian.Public().(ed25519.PublicKey), rosterDigest, 5, 3)
	res, err := protocol.Resolve(v, "land", p, answers)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s\nanswered %d, unreached %d, bad %d\n", res.Record, res.Answered, len(res.Unreached), len(res.Bad))
	// Output:
	// Tartu linn, residential, 1200 m2
	// answered 4, unreached 1, bad 0
}
