package main

import (
	"context"
	"fmt"
)

func runDelete(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "delete", "delete --client FILE --registry NAME KEY [KEY...]", `
Delete records: store a custodian-signed tombstone as each record's newest
version on every node (held for nodes that are down, delivered when they
return). Afterwards get answers "not found". Exit code 3 if a key was not
found.`)
	clientFile := fs.String("client", "", "client configuration (client.toml)")
	regName := fs.String("registry", "", "registry name")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageErr("delete needs at least one KEY")
	}
	schema, c, err := openRegistryClient(*regName, *clientFile)
	if err != nil {
		return err
	}
	defer c.Close()
	results, err := c.Delete(ctx, schema.Name, fs.Args())
	missing := 0
	for _, r := range results {
		switch {
		case r.Pending:
			fmt.Fprintf(e.stdout, "deleted %s (pending: on t nodes, held for the others)\n", r.Key)
		case r.Deleted:
			fmt.Fprintf(e.stdout, "deleted %s\n", r.Key)
		default:
			missing++
			fmt.Fprintf(e.stdout, "not found %s\n", r.Key)
		}
	}
	if err != nil {
		return thresholdCode(err)
	}
	if missing > 0 {
		return withCode(exitNotFound, fmt.Errorf("%d of %d keys not found", missing, len(results)))
	}
	return nil
}
