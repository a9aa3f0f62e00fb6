package main

import (
	"context"
	"encoding/base64"

	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/transport"
)

func runService(_ context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "keygen" {
		return usageErr("service needs a subcommand: keygen")
	}
	fs := newFlags(e, "service keygen", "service keygen --out FILE [--name NAME]", `
Make a government service's key in FILE (mode 0600; never overwritten) and
print the service's roster entry as JSON, with a policy to edit: which
registries and fields it may query and the smallest group size it may see.
The key holds the service's Ed25519 signing key (queries are signed with
it), its HPKE seal key, and the seed of its homomorphic-encryption key pair:
answers are re-encrypted to that HE key, derived anew for each query from
the file, so the file is all a service keeps.`)
	out := fs.String("out", "", "key file to create")
	name := fs.String("name", "statistics", "the service's name in the roster")
	if err := parse(fs, args[1:]); err != nil {
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
	return printJSON(e, map[string]any{
		"name":        *name,
		"signing_key": base64.StdEncoding.EncodeToString(id.PublicKey()),
		"seal_key":    base64.StdEncoding.EncodeToString(id.SealPublicKey()),
		"peer_id":     peer.String(),
		"policy": roster.Policy{MinGroupSize: 10, Registries: []roster.Grant{
			{Registry: "population", Fields: []string{"county", "sex", "birth_year"}},
		}},
	})
}
