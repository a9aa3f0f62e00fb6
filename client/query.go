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
	"time"

	"github.com/dataembassy/embassy/coordinator"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/thhe"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
)

// ErrNotService is returned when a principal that is not a service queries.
var ErrNotService = errors.New("not a service")

// DefaultQueryLifetime is how long a signed query stays valid.
const DefaultQueryLifetime = 2 * time.Minute

// FederationKey asks the nodes for the collective public key and the HE
// parameters. The key is public; it is taken when at least t nodes that
// answered agree on it byte for byte (a single node cannot make the
// custodian encrypt under a key of its choosing).
func (c *Client) FederationKey(ctx context.Context) (thhe.Params, *rlwe.PublicKey, error) {
	resps := make([]*pb.FedKeyResponse, c.roster.N())
	var lastErr error
	c.fanOut(func(i int) {
		resp := &pb.FedKeyResponse{}
		if err := c.net.Exchange(ctx, i, protocol.FedKeyID, &pb.FedKeyRequest{}, resp); err != nil {
			lastErr = err
			return
		}
		if resp.Error != "" {
			lastErr = fmt.Errorf("%s: %s", c.net.NodeName(i), resp.Error)
			return
		}
		resps[i-1] = resp
	})
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

// serviceKeys are what a service needs to query: its policy, the network's
// parameters and its own HE key pair (derived from its identity).
type serviceKeys struct {
	policy *roster.Policy
	params thhe.Params
	sk     *rlwe.SecretKey
	pk     []byte // thhe.EncodePublicKey
}

func (c *Client) serviceKeys(ctx context.Context) (*serviceKeys, error) {
	svc, ok := c.roster.Service(c.id.PublicKey())
	if !ok {
		return nil, fmt.Errorf("%w: this identity is not a service of the roster (set service_identity_file)", ErrNotService)
	}
	params, _, err := c.FederationKey(ctx)
	if err != nil {
		return nil, err
	}
	sk, pk, err := thhe.TargetKeyFromSeed(params, c.id.HETargetSeed())
	if err != nil {
		return nil, err
	}
	enc, err := thhe.EncodePublicKey(params, pk)
	if err != nil {
		return nil, err
	}
	return &serviceKeys{policy: svc.Policy, params: params, sk: sk, pk: enc}, nil
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
		return nil, fmt.Errorf("%w: %s", protocol.ErrThresholdNotMet, rec.Error)
	case rec.Code != "":
		return nil, fmt.Errorf("%w: %w", coordinator.ErrRefused, &protocol.Refusal{Code: rec.Code, Err: errors.New(rec.Error)})
	case rec.Status == "failed":
		return nil, fmt.Errorf("%w: %s", coordinator.ErrFailed, rec.Error)
	}
	return nil, fmt.Errorf("coordinator: query %s is %s", rec.ID, rec.Status)
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
