package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/dataembassy/embassy/coordinator"
	"github.com/dataembassy/embassy/cube"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/query"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/thhe"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"google.golang.org/protobuf/proto"
)

// ErrNotService is returned when a principal that is not a service queries.
var ErrNotService = errors.New("not a service")

// DefaultQueryLifetime is how long a signed query stays valid.
const DefaultQueryLifetime = 2 * time.Minute

// fedKeys asks every node for the collective key; nil entries did not
// answer. lastErr is one of the failures.
func (c *Client) fedKeys(ctx context.Context, paramsOnly bool) (resps []*pb.FedKeyResponse, lastErr error) {
	resps = make([]*pb.FedKeyResponse, c.roster.N())
	errs := make([]error, c.roster.N())
	c.fanOut(func(i int) {
		resp := &pb.FedKeyResponse{}
		if err := c.net.Exchange(ctx, i, protocol.FedKeyID, &pb.FedKeyRequest{ParamsOnly: paramsOnly}, resp); err != nil {
			errs[i-1] = fmt.Errorf("%s: %w", c.net.NodeName(i), err)
			return
		}
		if resp.Error != "" {
			errs[i-1] = fmt.Errorf("%s: %s", c.net.NodeName(i), resp.Error)
			return
		}
		resps[i-1] = resp
	})
	for _, err := range errs {
		if err != nil {
			lastErr = err
		}
	}
	return resps, lastErr
}

// FederationKey asks the nodes for the collective public key and the HE
// parameters. The key is public; it is taken when at least t nodes that
// answered agree on it byte for byte (a single node cannot make the
// custodian encrypt under a key of its choosing).
func (c *Client) FederationKey(ctx context.Context) (thhe.Params, *rlwe.PublicKey, error) {
	resps, lastErr := c.fedKeys(ctx, false)
	votes := map[string]int{}
	for _, r := range resps {
		if r != nil {
			votes[string(r.ParamsId)+"\x00"+string(r.PublicKey)]++
		}
	}
	for _, r := range resps {
		if r == nil || votes[string(r.ParamsId)+"\x00"+string(r.PublicKey)] < c.roster.Threshold {
			continue
		}
		params, err := thhe.ParamsByID(r.ParamsId)
		if err != nil {
			return thhe.Params{}, nil, err
		}
		pk, err := thhe.DecodePublicKey(params, r.PublicKey)
		if err != nil {
			return thhe.Params{}, nil, fmt.Errorf("federation key: %w", err)
		}
		return params, pk, nil
	}
	if lastErr == nil {
		lastErr = errors.New("the nodes disagree")
	}
	return thhe.Params{}, nil, fmt.Errorf("%w: no federation key that %d nodes agree on: %w", protocol.ErrThresholdNotMet, c.roster.Threshold, lastErr)
}

// networkParams returns the HE parameters the nodes use, from the first
// node that answers (a wrong answer only makes the nodes refuse the
// query), asked once per client.
func (c *Client) networkParams(ctx context.Context) (thhe.Params, error) {
	if err := c.fed.lock(ctx); err != nil {
		return thhe.Params{}, err
	}
	defer c.fed.unlock()
	if c.fed.known {
		return c.fed.params, nil
	}
	resps, lastErr := c.fedKeys(ctx, true)
	for _, r := range resps {
		if r != nil {
			params, err := thhe.ParamsByID(r.ParamsId)
			if err == nil {
				c.fed.params, c.fed.known = params, true
			}
			return params, err
		}
	}
	return thhe.Params{}, fmt.Errorf("%w: 0 of %d nodes reachable, %d needed (%v)", protocol.ErrThresholdNotMet, c.roster.N(), c.roster.Threshold, lastErr)
}

// serviceKeys are what a service needs to query: its policy, the network's
// parameters and its own HE key pair (derived from its identity).
type serviceKeys struct {
	policy *roster.Policy
	params thhe.Params
	sk     *rlwe.SecretKey
	pk     []byte // thhe.EncodePublicKey
}

// serviceKeys returns the service's keys, derived once per client.
func (c *Client) serviceKeys(ctx context.Context) (*serviceKeys, error) {
	svc, ok := c.roster.Service(c.id.PublicKey())
	if !ok {
		return nil, fmt.Errorf("%w: this identity is not a service of the roster (set service_identity_file)", ErrNotService)
	}
	params, err := c.networkParams(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.fed.lock(ctx); err != nil {
		return nil, err
	}
	defer c.fed.unlock()
	if c.fed.service != nil {
		return c.fed.service, nil
	}
	sk, pk, err := thhe.TargetKeyFromSeed(params, c.id.HETargetSeed())
	if err != nil {
		return nil, err
	}
	enc, err := thhe.EncodePublicKey(params, pk)
	if err != nil {
		return nil, err
	}
	c.fed.service = &serviceKeys{policy: svc.Policy, params: params, sk: sk, pk: enc}
	return c.fed.service, nil
}

// SignQuery signs text as this service, valid for lifetime from now.
func (c *Client) SignQuery(ctx context.Context, text string, lifetime time.Duration) (*pb.SignedQuery, error) {
	keys, err := c.serviceKeys(ctx)
	if err != nil {
		return nil, err
	}
	return c.signQuery(keys, text, lifetime)
}

func (c *Client) signQuery(keys *serviceKeys, text string, lifetime time.Duration) (*pb.SignedQuery, error) {
	if lifetime <= 0 {
		lifetime = DefaultQueryLifetime
	}
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	td := sha256.Sum256(keys.pk)
	pid := keys.params.ID()
	return protocol.NewQuery(c.id.SigningKey(), text, c.digest[:], keys.pk, td[:], pid[:], nonce, c.now(), lifetime)
}

// Relay sends a signed query through the coordinator at url (HTTP API), or,
// with url empty, coordinates it from this client over libp2p. It returns
// the answer still encrypted to the service's key.
func (c *Client) Relay(ctx context.Context, sq *pb.SignedQuery, url string, params thhe.Params, log *slog.Logger) (*coordinator.Answer, error) {
	if url == "" {
		co, err := coordinator.New(c.roster, c.net, params, log)
		if err != nil {
			return nil, err
		}
		return co.Run(ctx, sq)
	}
	rec, err := PostQuery(ctx, url, sq)
	if err != nil {
		return nil, err
	}
	return RecordAnswer(rec)
}

// PostQuery submits sq to a coordinator's HTTP API and returns its record.
func PostQuery(ctx context.Context, url string, sq *pb.SignedQuery) (*coordinator.Record, error) {
	body, err := json.Marshal(coordinator.SignedQueryJSON{Query: sq.Query, Signature: sq.Signature, TargetKey: sq.TargetKey})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/queries", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("coordinator_url %q: %w", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("coordinator: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("coordinator: %w", err)
	}
	var rec coordinator.Record
	if err := json.Unmarshal(data, &rec); err != nil || rec.ID == "" {
		return nil, fmt.Errorf("coordinator answered %s: %s", resp.Status, bytes.TrimSpace(data))
	}
	return &rec, nil
}

// RecordAnswer turns a coordinator API record into an Answer, or into the
// error it reports (protocol.ErrThresholdNotMet, or a *protocol.Refusal
// wrapped in coordinator.ErrRefused).
func RecordAnswer(rec *coordinator.Record) (*coordinator.Answer, error) {
	switch {
	case rec.Status == "done" && rec.Answer != nil:
		id, err := hex.DecodeString(rec.ID)
		if err != nil || len(id) != 32 {
			return nil, fmt.Errorf("coordinator: bad query id %q", rec.ID)
		}
		return &coordinator.Answer{QueryID: [32]byte(id), Ciphertexts: rec.Answer.Ciphertexts, ActiveSet: rec.Answer.ActiveSet,
			Attempts: rec.Answer.Attempts, StateBatches: rec.Answer.StateBatches}, nil
	case rec.Code == coordinator.CodeThresholdNotMet:
		return nil, remoteError{rec.Error, protocol.ErrThresholdNotMet}
	case rec.Code != "":
		return nil, remoteError{rec.Error, &protocol.Refusal{Code: rec.Code, Err: errors.New(rec.Error)}}
	case rec.Status == "failed":
		return nil, remoteError{rec.Error, coordinator.ErrFailed}
	}
	return nil, fmt.Errorf("coordinator: query %s is %s", rec.ID, rec.Status)
}

// remoteError is an error the coordinator reported: its message as the
// coordinator wrote it, matching what it wraps (errors.Is / errors.As).
type remoteError struct {
	msg  string
	kind error
}

func (e remoteError) Error() string { return e.msg }
func (e remoteError) Unwrap() []error {
	if _, ok := e.kind.(*protocol.Refusal); ok {
		return []error{coordinator.ErrRefused, e.kind}
	}
	return []error{e.kind}
}

// decryptAnswer decrypts the answer's ciphertexts with the service's key.
func decryptAnswer(keys *serviceKeys, ans *coordinator.Answer) ([][]int64, error) {
	out := make([][]int64, len(ans.Ciphertexts))
	for i, raw := range ans.Ciphertexts {
		ct, err := thhe.DecodeCiphertext(keys.params, raw)
		if err != nil {
			return nil, fmt.Errorf("answer ciphertext %d: %w", i, err)
		}
		if out[i], err = thhe.Decrypt(keys.params, keys.sk, ct); err != nil {
			return nil, fmt.Errorf("answer ciphertext %d: %w", i, err)
		}
	}
	return out, nil
}

// QueryResult is a decrypted, assembled answer.
type QueryResult struct {
	Result *query.Result
	Plan   *query.Plan
	Answer *coordinator.Answer
}

// QueryOptions tunes Query.
type QueryOptions struct {
	Lifetime       time.Duration // how long the signed query is valid (default DefaultQueryLifetime)
	CoordinatorURL string        // the coordinator's API; empty: coordinate over libp2p from here
	Log            *slog.Logger  // for the in-process coordinator (default: discard)
}

// Query asks the network an aggregate question as this service and returns
// the exact answer, decrypted with the service's own key: the query is
// planned here first (errors point at the offending token), signed, relayed
// (through the coordinator or from here), and the answer re-encrypted to
// the service's key is decrypted, decoded and assembled, with cells of
// fewer than the policy's minimum group size suppressed.
func (c *Client) Query(ctx context.Context, text string, opts QueryOptions) (*QueryResult, error) {
	plan, err := query.Compile(text, registry.Builtin())
	if err != nil {
		return nil, err
	}
	keys, err := c.serviceKeys(ctx)
	if err != nil {
		return nil, err
	}
	sq, err := c.signQuery(keys, text, opts.Lifetime)
	if err != nil {
		return nil, err
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ans, err := c.Relay(ctx, sq, opts.CoordinatorURL, keys.params, log)
	if err != nil {
		return nil, err
	}
	res, err := decodeAnswer(keys, plan, ans)
	if err != nil {
		return nil, err
	}
	return &QueryResult{Result: res, Plan: plan, Answer: ans}, nil
}

// DecodeAnswer decrypts and assembles an answer to the signed query sq (for
// answers fetched from the coordinator's API by other means).
func (c *Client) DecodeAnswer(ctx context.Context, sq *pb.SignedQuery, ans *coordinator.Answer) (*QueryResult, error) {
	var q pb.Query
	if err := proto.Unmarshal(sq.GetQuery(), &q); err != nil {
		return nil, fmt.Errorf("signed query: %w", err)
	}
	plan, err := query.Compile(q.Text, registry.Builtin())
	if err != nil {
		return nil, err
	}
	keys, err := c.serviceKeys(ctx)
	if err != nil {
		return nil, err
	}
	res, err := decodeAnswer(keys, plan, ans)
	if err != nil {
		return nil, err
	}
	return &QueryResult{Result: res, Plan: plan, Answer: ans}, nil
}

func decodeAnswer(keys *serviceKeys, plan *query.Plan, ans *coordinator.Answer) (*query.Result, error) {
	s, err := registry.Lookup(plan.Registry)
	if err != nil {
		return nil, err
	}
	layouts, err := cube.NewLayouts(s, keys.params.Slots())
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(layouts, func(l *cube.Layout) bool { return l.Cube == plan.Cube })
	if i < 0 {
		return nil, fmt.Errorf("registry %s has no cube %s", plan.Registry, plan.Cube)
	}
	rl, err := cube.NewResultLayout(layouts[i], plan)
	if err != nil {
		return nil, err
	}
	if len(ans.Ciphertexts) != rl.Ciphertexts {
		return nil, fmt.Errorf("the answer has %d ciphertexts, the plan %d", len(ans.Ciphertexts), rl.Ciphertexts)
	}
	plain, err := decryptAnswer(keys, ans)
	if err != nil {
		return nil, err
	}
	cells, err := cube.Decode(rl, plan, plain)
	if err != nil {
		return nil, err
	}
	return query.Assemble(plan, s, cells, keys.policy.MinGroupSize)
}
