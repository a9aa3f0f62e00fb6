package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/dataembassy/embassy/client"
	"github.com/dataembassy/embassy/coordinator"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/registry"
)

const queryHelp = `
Ask an aggregate question of a registry as the client's service and print
the exact answer, which only the service's key can decrypt:

  SELECT [dim,] COUNT(*) | SUM(m) | AVG(m) | HISTOGRAM(m, e0, e1, ...)
  FROM registry [WHERE dim = 'v' | dim IN ('v', ...) | m BETWEEN a AND b [AND ...]]
  [GROUP BY dim]

The query is signed with service_identity_file (or identity_file), sent
through coordinator_url (or, with --direct or without one, coordinated from
here over libp2p), evaluated by t nodes on their encrypted statistics and
re-encrypted to the service's key. Groups of fewer records than the
service's policy allows are suppressed and listed as such. Output: a table,
or with --json one object {"columns", "rows", "suppressed"}.

With --sign-only the signed query is printed as JSON for the coordinator's
HTTP API (POST /v1/queries); "query decrypt" reads the API's response.
See "embassy registry show NAME" for each registry's measures, dimensions
and cubes.

Exit codes: 2 the query does not parse or plan (the message points at the
token), 4 fewer than t nodes could answer, 1 refused (reason given) or failed.`

func runQuery(ctx context.Context, e env, args []string) error {
	if len(args) > 0 && args[0] == "decrypt" {
		return queryDecrypt(ctx, e, args[1:])
	}
	fs := newFlags(e, "query", `query --client FILE [--json] [--direct] [--sign-only] "SELECT ..."`, queryHelp)
	clientFile := fs.String("client", "", "client configuration (client.toml)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	direct := fs.Bool("direct", false, "coordinate from this process even if coordinator_url is set")
	signOnly := fs.Bool("sign-only", false, "print the signed query for POST /v1/queries and stop")
	lifetime := fs.Duration("lifetime", client.DefaultQueryLifetime, "how long the signed query stays valid (at most 10m)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("query needs exactly one SQL argument (quote it)")
	}
	text := fs.Arg(0)
	if _, err := query.Compile(text, registry.Builtin()); err != nil {
		return withCode(exitUsage, err)
	}
	c, cfg, err := openServiceClient(*clientFile)
	if err != nil {
		return err
	}
	defer c.Close()
	if *signOnly {
		sq, err := c.SignQuery(ctx, text, *lifetime)
		if err != nil {
			return queryErr(err)
		}
		return printJSON(e, coordinator.SignedQueryJSON{Query: sq.Query, Signature: sq.Signature, TargetKey: sq.TargetKey})
	}
	url := cfg.CoordinatorURL
	if *direct {
		url = ""
	}
	start := time.Now()
	res, err := c.Query(ctx, text, client.QueryOptions{Lifetime: *lifetime, CoordinatorURL: url})
	if err != nil {
		return queryErr(err)
	}
	if *asJSON {
		return query.WriteJSON(e.stdout, res.Result)
	}
	if err := query.WriteTable(e.stdout, res.Result); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "answered by nodes %v in %.2fs (attempt %d, %d batches folded)\n",
		res.Answer.ActiveSet, time.Since(start).Seconds(), res.Answer.Attempts, res.Answer.StateBatches)
	return nil
}

func queryDecrypt(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "query decrypt", "query decrypt --client FILE --query SIGNED.json [--json] < RESPONSE.json", `
Decrypt and print a coordinator API response (from POST /v1/queries or
GET /v1/queries/{id}, on standard input) to the signed query SIGNED.json
(from query --sign-only), with the client's service key.`)
	clientFile := fs.String("client", "", "client configuration (client.toml)")
	queryFile := fs.String("query", "", "the signed query (JSON from query --sign-only)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *queryFile == "" {
		return usageErr("--query is required")
	}
	var sq coordinator.SignedQueryJSON
	if err := readJSONFile(*queryFile, &sq); err != nil {
		return withCode(exitUsage, err)
	}
	data, err := io.ReadAll(io.LimitReader(os.Stdin, 64<<20))
	if err != nil {
		return err
	}
	var rec coordinator.Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return withCode(exitUsage, fmt.Errorf("standard input is not a coordinator response: %w", err))
	}
	ans, err := client.RecordAnswer(&rec)
	if err != nil {
		return queryErr(err)
	}
	c, _, err := openServiceClient(*clientFile)
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := c.DecodeAnswer(ctx, sq.Proto(), ans)
	if err != nil {
		return queryErr(err)
	}
	if *asJSON {
		return query.WriteJSON(e.stdout, res.Result)
	}
	return query.WriteTable(e.stdout, res.Result)
}

func readJSONFile(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// openServiceClient opens the client as the configured service.
func openServiceClient(clientFile string) (*client.Client, client.Config, error) {
	if clientFile == "" {
		return nil, client.Config{}, usageErr("--client is required")
	}
	cfg, err := client.LoadConfig(clientFile)
	if err != nil {
		return nil, cfg, withCode(exitUsage, err)
	}
	if cfg.ServiceIdentityFile != "" {
		cfg.IdentityFile = cfg.ServiceIdentityFile
	}
	c, err := client.Open(cfg)
	if err != nil {
		return nil, cfg, err
	}
	return c, cfg, nil
}

// queryErr maps a query error to its exit code.
func queryErr(err error) error {
	var qe *query.Error
	switch {
	case errors.As(err, &qe):
		return withCode(exitUsage, err)
	case errors.Is(err, protocol.ErrThresholdNotMet):
		return withCode(exitThreshold, err)
	}
	return withCode(exitFailure, err)
}
