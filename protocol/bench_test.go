package protocol_test

import (
	"fmt"
	"testing"

	"github.com/dataembassy/embassy/protocol"
)

func benchRecords(f *fixture, n int) []protocol.RecordInput {
	recs := make([]protocol.RecordInput, n)
	for i := range recs {
		recs[i] = f.record(fmt.Sprintf("key-%d", i), fmt.Sprintf("%0180d", i)) // about a population row
	}
	return recs
}

// BenchmarkBuild deals a batch of 1000 records for 5 nodes (t=3): per record
// a salt, a Shamir split, five share digests, a manifest; one Merkle tree
// and one signature per batch.
func BenchmarkBuild(b *testing.B) {
	f := newFixture(b, 5, 3)
	recs := benchRecords(f, 1000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.builder.Build(testRegistry, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}

// BenchmarkCheckBatch is what a node spends verifying a batch of 1000.
func BenchmarkCheckBatch(b *testing.B) {
	f := newFixture(b, 5, 3)
	recs := benchRecords(f, 1000)
	d, err := f.builder.Build(testRegistry, recs)
	if err != nil {
		b.Fatal(err)
	}
	req := d.StoreRequest(testRegistry, 2)
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := f.verifier().CheckBatch(req.Seal, req.Items, 2, testRegistry); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}

// BenchmarkResolve is the reader's work for one record from five answers.
func BenchmarkResolve(b *testing.B) {
	f := newFixture(b, 5, 3)
	d := f.build(b, benchRecords(f, 8)...)
	answers := make([]protocol.Answer, 5)
	for i := 1; i <= 5; i++ {
		answers[i-1] = found(d, i, 3)
	}
	v := f.verifier()
	pseudonym := f.pseudo.Pseudonym(testRegistry, "key-3")
	b.ResetTimer()
	for b.Loop() {
		if _, err := protocol.Resolve(v, testRegistry, pseudonym, answers); err != nil {
			b.Fatal(err)
		}
	}
}
