package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/dataembassy/embassy/client"
	"github.com/dataembassy/embassy/protocol"
)

func runGet(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "get", "get --client FILE --registry NAME KEY [KEY...]", `
Look up records by key. Every node is asked; the shares of the newest
version the custodian signed are verified, the record is rebuilt from t of
them and checked against the custodian's commitment, and printed as one JSON
object per line (schema field names as keys, integers as numbers). A node
that served a bad share is named on standard error. Exit code 3 if a key is
not found (or deleted), 4 if fewer than t nodes gave valid shares.`)
	clientFile := fs.String("client", "", "client configuration (client.toml)")
	regName := fs.String("registry", "", "registry name")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageErr("get needs at least one KEY")
	}
	schema, c, err := openRegistryClient(*regName, *clientFile)
	if err != nil {
		return err
	}
	defer c.Close()
	results, err := c.Get(ctx, schema.Name, fs.Args())
	if err != nil {
		return err
	}
	var firstErr error
	for _, r := range results {
		for _, f := range r.Resolution.Bad {
			fmt.Fprintf(e.stderr, "warning: %s %q: node %s served an invalid share or manifest: %s\n",
				schema.Name, r.Key, f.Name, f.Reason)
		}
		if r.Err != nil {
			fmt.Fprintf(e.stderr, "%v\n", r.Err)
			if firstErr == nil || errors.Is(r.Err, protocol.ErrThresholdNotMet) {
				firstErr = r.Err
			}
			continue
		}
		rec, err := schema.DecodeRecord(r.Record)
		if err != nil {
			return fmt.Errorf("%s %q: rebuilt record does not decode: %w", schema.Name, r.Key, err)
		}
		out, err := schema.RecordJSON(rec)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, string(out))
	}
	if firstErr != nil {
		return &exitError{lookupCode(firstErr), fmt.Errorf("%d of %d look-ups failed", countErrs(results), len(results))}
	}
	return nil
}

func countErrs(rs []client.Result) int {
	n := 0
	for _, r := range rs {
		if r.Err != nil {
			n++
		}
	}
	return n
}

func lookupCode(err error) int {
	switch {
	case errors.Is(err, protocol.ErrThresholdNotMet):
		return exitThreshold
	case errors.Is(err, protocol.ErrNotFound):
		return exitNotFound
	}
	return exitFailure
}

func thresholdCode(err error) error {
	if errors.Is(err, protocol.ErrThresholdNotMet) {
		return withCode(exitThreshold, err)
	}
	return err
}
