package shares_test

import (
	"crypto/ed25519"
	"fmt"

	"github.com/dataembassy/embassy/shares"
)

func ExampleDealer_Split() {
	d, err := shares.NewDealer(shares.Params{Threshold: 3, Nodes: 5})
	if err != nil {
		panic(err)
	}
	record := []byte("LV|310175-12345|Bērziņš|Jānis|Rīga")
	secret, commitment := d.SealRecord(record) // salt || record
	sh, err := d.Split(secret)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(sh), "shares of", len(sh[0].Data), "bytes")

	// Any three nodes rebuild it; two are not enough.
	rebuilt, err := shares.Combine([]shares.Share{sh[4], sh[0], sh[2]}, 3)
	if err != nil {
		panic(err)
	}
	got, err := shares.OpenRecord(rebuilt, commitment)
	fmt.Println(string(got), err)
	_, err = shares.Combine(sh[:2], 3)
	fmt.Println(err)
	// Output:
	// 5 shares of 128 bytes
	// LV|310175-12345|Bērziņš|Jānis|Rīga <nil>
	// threshold not met: 2 distinct shares, 3 needed
}

func ExampleReconstruct() {
	// Custodian: split, digest every share, put the digests in a manifest,
	// and sign the batch's Merkle root.
	pub, priv, _ := ed25519.GenerateKey(nil)
	d, _ := shares.NewDealer(shares.Params{Threshold: 3, Nodes: 5})
	sh, _ := d.Split([]byte("record 42"))
	digests := make([]shares.Digest, len(sh))
	var manifest []byte
	for i, s := range sh {
		digests[i] = shares.ShareDigest(s.Index, s.Data)
		manifest = append(manifest, digests[i][:]...)
	}
	leaves := []shares.Digest{shares.LeafDigest(manifest)}
	tree := shares.NewMerkleTree(leaves)
	sig := shares.SignBatch(priv, tree.Root(), len(leaves))

	// Reader: check the batch signature and the manifest's proof, then
	// collect shares from the nodes. node-b has tampered with its share.
	root := tree.Root()
	ok := shares.VerifyBatch(pub, root, 1, sig) &&
		shares.VerifyMerkleProof(shares.LeafDigest(manifest), 0, 1, tree.Proof(0), root)
	fmt.Println("manifest authentic:", ok)

	tampered := append([]byte(nil), sh[1].Data...)
	tampered[0] ^= 1
	cands := []shares.Candidate{
		{Share: sh[0], Digest: digests[0], Source: "node-a"},
		{Share: shares.Share{Index: 2, Data: tampered}, Digest: digests[1], Source: "node-b"},
		{Share: sh[2], Digest: digests[2], Source: "node-c"},
		{Share: sh[3], Digest: digests[3], Source: "node-d"},
	}
	secret, bad, err := shares.Reconstruct(cands, 3)
	fmt.Printf("%s %v %v\n", secret, bad, err)

	_, bad, err = shares.Reconstruct(cands[:3], 3)
	fmt.Println(bad, err)
	// Output:
	// manifest authentic: true
	// record 42 [node-b] <nil>
	// [node-b] threshold not met: 2 good of 3 needed
}
