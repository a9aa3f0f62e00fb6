package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"

	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/transport"
)

func runKeygen(_ context.Context, e env, args []string) error {
	fs := newFlags(e, "keygen", "keygen --out FILE", `
Make a new principal key (a node's, the custodian's or a service's) in FILE
(mode 0600; an existing file is never overwritten) and print its public
parts as JSON for the roster: the Ed25519 signing key, the HPKE seal key
and the libp2p peer ID.`)
	out := fs.String("out", "", "key file to create")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageErr("--out is required")
	}
	id, err := identity.Generate()
	if err != nil {
		return err
	}
	if err := id.Save(*out); err != nil {
		return withCode(exitUsage, err)
	}
	peer, err := transport.PeerID(id.PublicKey())
	if err != nil {
		return err
	}
	return printJSON(e, map[string]string{
		"signing_key": base64.StdEncoding.EncodeToString(id.PublicKey()),
		"seal_key":    base64.StdEncoding.EncodeToString(id.SealPublicKey()),
		"peer_id":     peer.String(),
	})
}

func printJSON(e env, v any) error {
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, string(out))
	return nil
}

func runRoster(_ context.Context, e env, args []string) error {
	if len(args) == 0 {
		return usageErr("roster needs a subcommand: sign or verify")
	}
	switch args[0] {
	case "sign":
		return rosterSign(e, args[1:])
	case "verify":
		return rosterVerify(e, args[1:])
	}
	return usageErr("unknown roster subcommand %q: want sign or verify", args[0])
}

func rosterSign(e env, args []string) error {
	fs := newFlags(e, "roster sign", "roster sign --key CUSTODIAN_KEY --in UNSIGNED.json --out roster.json", `
Sign a roster as the custodian. UNSIGNED.json holds the roster's fields
(network, epoch, threshold, custodian, services, nodes with index, name,
ally, country, signing_key, seal_key and addrs; keys in base64 as printed
by embassy keygen). The roster is validated first; roster.json appears only
when complete.`)
	key := fs.String("key", "", "the custodian's key file")
	in := fs.String("in", "", "unsigned roster (JSON)")
	out := fs.String("out", "", "signed roster to write")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *key == "" || *in == "" || *out == "" {
		return usageErr("--key, --in and --out are required")
	}
	id, err := identity.Load(*key)
	if err != nil {
		return withCode(exitUsage, err)
	}
	data, err := os.ReadFile(*in)
	if err != nil {
		return withCode(exitUsage, err)
	}
	var r roster.Roster
	if err := json.Unmarshal(data, &r); err != nil {
		return withCode(exitUsage, fmt.Errorf("%s: %w", *in, err))
	}
	signed, err := roster.Sign(r, id.SigningKey())
	if err != nil {
		return withCode(exitUsage, err)
	}
	if err := writeAtomically(*out, func(f *os.File) error { _, err := f.Write(signed); return err }); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "signed roster %q epoch %d: %d nodes, threshold %d -> %s\n", r.Network, r.Epoch, r.N(), r.Threshold, *out)
	return nil
}

func rosterVerify(e env, args []string) error {
	fs := newFlags(e, "roster verify", "roster verify --roster FILE --custodian-key BASE64", `
Verify a signed roster against the custodian's public key, as every node
does at start, and print who is on it.`)
	file := fs.String("roster", "", "signed roster")
	custodian := fs.String("custodian-key", "", "the custodian's Ed25519 public key (base64)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *file == "" || *custodian == "" {
		return usageErr("--roster and --custodian-key are required")
	}
	pub, err := base64.StdEncoding.DecodeString(*custodian)
	if err != nil {
		return usageErr("--custodian-key is not base64: %v", err)
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return withCode(exitUsage, err)
	}
	r, digest, err := roster.Open(data, pub)
	if err != nil {
		return withCode(exitUsage, err)
	}
	fmt.Fprintf(e.stdout, "roster %q epoch %d verified (digest %x): threshold %d of %d nodes\n",
		r.Network, r.Epoch, digest[:8], r.Threshold, r.N())
	for _, n := range r.Nodes {
		peer, err := transport.PeerID(n.SigningKey)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "  node %d %-10s %s  %-30s %s\n", n.Index, n.Name, n.Country, n.Ally, peer)
	}
	for _, s := range r.Services {
		fmt.Fprintf(e.stdout, "  service %s\n", s.Name)
	}
	return nil
}
