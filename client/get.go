package client

import (
	"context"
	"fmt"

	"github.com/dataembassy/embassy/protocol"
)

// Result is the outcome of looking up one key.
type Result struct {
	Key        string
	Record     []byte // registry-encoded record
	Resolution protocol.Resolution
	Err        error // wraps protocol.ErrNotFound or protocol.ErrThresholdNotMet
}

// getChunk is how many keys one Get request asks for: small enough that a
// reply stays far below the 16 MiB bound even with large rosters.
const getChunk = 1000

// Get looks up records by key. Every node is asked; each record is rebuilt
// from verified shares of its newest signed version.
func (c *Client) Get(ctx context.Context, registry string, keys []string) ([]Result, error) {
	out := make([]Result, 0, len(keys))
	for start := 0; start < len(keys); start += getChunk {
		end := min(start+getChunk, len(keys))
		out = append(out, c.getChunk(ctx, registry, keys[start:end])...)
		if err := ctx.Err(); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (c *Client) getChunk(ctx context.Context, registry string, keys []string) []Result {
	pseudonyms := make([][]byte, len(keys))
	for i, k := range keys {
		pseudonyms[i] = c.pseudo.Pseudonym(registry, k)
	}
	resps, errs := c.getAll(ctx, registry, pseudonyms, false)
	out := make([]Result, len(keys))
	for k := range keys {
		answers := make([]protocol.Answer, c.roster.N())
		for i := range answers {
			a := protocol.Answer{Node: i + 1, Name: c.net.NodeName(i + 1), Err: errs[i]}
			if errs[i] == nil {
				a.Item = resps[i].Items[k]
			}
			answers[i] = a
		}
		res, err := protocol.Resolve(c.verifier, registry, pseudonyms[k], answers)
		if err != nil {
			err = fmt.Errorf("%s %q: %w", registry, keys[k], err)
		}
		out[k] = Result{Key: keys[k], Record: res.Record, Resolution: res, Err: err}
	}
	return out
}
