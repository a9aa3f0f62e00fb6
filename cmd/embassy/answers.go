package main

import (
	"bytes"
	"fmt"
	"path/filepath"

	"github.com/dataembassy/embassy/client"
	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/testnet"
)

// plainAnswer is the answer to text over plaintext records, computed by
// the reference evaluator (query.Oracle) and assembled as the client
// assembles a decrypted one: groups of fewer than k rows suppressed.
func plainAnswer(text string, records []registry.Record, k int) (*query.Result, error) {
	return query.PlainAnswer(text, registry.Builtin(), records, k)
}

// sameAnswer reports whether two results are identical (columns, rows,
// suppressed groups and the suppression threshold).
func sameAnswer(a, b *query.Result) (bool, error) {
	var ja, jb bytes.Buffer
	if err := query.WriteJSON(&ja, a); err != nil {
		return false, err
	}
	if err := query.WriteJSON(&jb, b); err != nil {
		return false, err
	}
	return a.K == b.K && bytes.Equal(ja.Bytes(), jb.Bytes()), nil
}

// openTestnetService opens a client of the testnet in dir as its service
// and returns it with the minimum group size the roster's policy gives the
// service (read from the roster, not from an answer).
func openTestnetService(dir string) (*client.Client, int, error) {
	cfg, err := client.LoadConfig(filepath.Join(dir, testnet.ClientFile))
	if err != nil {
		return nil, 0, err
	}
	cfg.IdentityFile = cfg.ServiceIdentityFile
	id, err := identity.Load(cfg.IdentityFile)
	if err != nil {
		return nil, 0, err
	}
	c, err := client.Open(cfg)
	if err != nil {
		return nil, 0, err
	}
	svc, ok := c.Roster().Service(id.PublicKey())
	if !ok || svc.Policy == nil {
		c.Close()
		return nil, 0, fmt.Errorf("%s is not a service of the roster, or has no policy", cfg.IdentityFile)
	}
	return c, svc.Policy.MinGroupSize, nil
}
