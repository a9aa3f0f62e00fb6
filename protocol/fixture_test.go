package protocol_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
)

const testRegistry = "land"

// fixture is a custodian with a roster of n nodes and threshold t.
type fixture struct {
	n, t        int
	key         ed25519.PrivateKey
	digest      []byte
	pseudo      *protocol.Pseudonymizer
	builder     *protocol.BatchBuilder
	nextVersion uint64
}

func newFixture(tb testing.TB, n, t int) *fixture {
	tb.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	digest := make([]byte, 32)
	secret := make([]byte, 32)
	rand.Read(digest)
	rand.Read(secret)
	b, err := protocol.NewBatchBuilder(key, digest, n, t)
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{n: n, t: t, key: key, digest: digest, pseudo: protocol.NewPseudonymizer(secret),
		builder: b, nextVersion: 1000}
}

func (f *fixture) verifier() *protocol.Verifier {
	return protocol.NewVerifier(f.key.Public().(ed25519.PublicKey), f.digest, f.n, f.t)
}

// record is a live version of key with a fresh, increasing version number.
func (f *fixture) record(key, content string) protocol.RecordInput {
	f.nextVersion++
	enc := []byte(content)
	return protocol.RecordInput{Pseudonym: f.pseudo.Pseudonym(testRegistry, key),
		ContentTag: f.pseudo.ContentTag(testRegistry, enc), Encoded: enc, Version: f.nextVersion}
}

// tombstone deletes key as of a fresh version.
func (f *fixture) tombstone(key string) protocol.RecordInput {
	f.nextVersion++
	return protocol.RecordInput{Pseudonym: f.pseudo.Pseudonym(testRegistry, key), Tombstone: true, Version: f.nextVersion}
}

func (f *fixture) build(tb testing.TB, recs ...protocol.RecordInput) *protocol.Dealt {
	tb.Helper()
	d, err := f.builder.Build(testRegistry, recs)
	if err != nil {
		tb.Fatal(err)
	}
	served(d)
	return d
}

// served turns a dealt batch into what nodes serve on Get: each share with
// its own Merkle proof and the batch seal (Build leaves both out, since a
// whole batch travels with one seal).
func served(d *protocol.Dealt) {
	for i, items := range d.PerNode {
		for k := range items {
			items[k] = d.Served(i+1, k)
		}
	}
}

func nodeName(i int) string { return fmt.Sprintf("node%d", i) }

// found is node i's answer holding record k of a dealt batch.
func found(d *protocol.Dealt, i, k int) protocol.Answer {
	return protocol.Answer{Node: i, Name: nodeName(i), Item: &pb.GetItem{Found: true, Latest: d.PerNode[i-1][k]}}
}

// notFound is node i answering that it holds nothing.
func notFound(i int) protocol.Answer {
	return protocol.Answer{Node: i, Name: nodeName(i), Item: &pb.GetItem{}}
}

// down is node i not answering.
func down(i int) protocol.Answer {
	return protocol.Answer{Node: i, Name: nodeName(i), Err: fmt.Errorf("%s is down", nodeName(i))}
}
