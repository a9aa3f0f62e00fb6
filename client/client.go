package client

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/transport"
	"google.golang.org/protobuf/proto"
)

// Client is a connection to an embassy network.
type Client struct {
	id       *identity.Identity
	roster   roster.Roster
	digest   roster.Digest
	net      protocol.Transport
	closer   func() error
	verifier *protocol.Verifier
	pseudo   *protocol.Pseudonymizer
	now      func() time.Time
	health   *health
	fed      fedKey // the collective key, once fetched for writes
}

// Open connects to the network described by cfg.
func Open(cfg Config) (*Client, error) {
	id, err := identity.Load(cfg.IdentityFile)
	if err != nil {
		return nil, err
	}
	secret, err := LoadSecret(cfg.NetworkSecretFile)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(cfg.RosterFile)
	if err != nil {
		return nil, fmt.Errorf("read roster: %w", err)
	}
	r, digest, err := roster.Open(data, cfg.custodian)
	if err != nil {
		return nil, fmt.Errorf("roster %s: %w", cfg.RosterFile, err)
	}
	if r.RoleOf(id.PublicKey()) == roster.RoleNone {
		return nil, fmt.Errorf("identity %s is neither the custodian nor a service of this roster", cfg.IdentityFile)
	}
	g, err := transport.NewGater(r)
	if err != nil {
		return nil, err
	}
	h, err := transport.NewHost(transport.HostConfig{Key: id.SigningKey(), Gater: g, TCPOnly: true})
	if err != nil {
		return nil, err
	}
	nw, err := transport.NewNetwork(h, g, r)
	if err != nil {
		h.Close()
		return nil, err
	}
	return New(id, r, digest, nw, nw.Close, secret, time.Now), nil
}

// New assembles a client over any transport (tests use it with fakes).
func New(id *identity.Identity, r roster.Roster, digest roster.Digest, t protocol.Transport,
	closer func() error, secret []byte, now func() time.Time) *Client {
	return &Client{id: id, roster: r, digest: digest, net: t, closer: closer,
		verifier: protocol.NewVerifier(r.Custodian.SigningKey, digest[:], r.N(), r.Threshold),
		pseudo:   protocol.NewPseudonymizer(secret), now: now, health: newHealth(r.N(), now), fed: newFedKey()}
}

// Close disconnects.
func (c *Client) Close() error {
	if c.closer == nil {
		return nil
	}
	return c.closer()
}

// Roster is the verified roster.
func (c *Client) Roster() roster.Roster { return c.roster }

// fanOut runs fn for every node index concurrently and waits.
func (c *Client) fanOut(fn func(index int)) {
	var wg sync.WaitGroup
	for i := 1; i <= c.roster.N(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i)
		}()
	}
	wg.Wait()
}

// StragglerGrace is the least time a look-up still waits for the other
// nodes once t nodes have answered; it waits at least twice as long as
// the t answers took. A node that has not answered by then is left out,
// as if it were down: two nodes under a flood must not hold every
// look-up until its deadline (found by `embassy sim run
// ddos-two-nodes`). The price: a record written to fewer nodes than
// answered in time may be read at an older version.
const StragglerGrace = time.Second

// errStraggler is the error of a node left out of a look-up by
// StragglerGrace.
var errStraggler = errors.New("no answer within the grace period after t nodes answered")

// getAll asks every node for the latest versions of pseudonyms. A full
// read (not metaOnly) stops waiting for stragglers StragglerGrace after t
// nodes have answered; a metadata read (ingest deciding what changed)
// waits for every node.
func (c *Client) getAll(ctx context.Context, registry string, pseudonyms [][]byte, metaOnly bool) ([]*pb.GetResponse, []error) {
	resps := make([]*pb.GetResponse, c.roster.N())
	errs := make([]error, c.roster.N())
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var answered atomic.Int32
	start := c.now()
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return resps, errs
	}
	c.fanOut(func(i int) {
		resp := &pb.GetResponse{}
		req := &pb.GetRequest{Registry: registry, Pseudonyms: pseudonyms, MetaOnly: metaOnly, Nonce: nonce}
		err := c.net.Exchange(ctx, i, protocol.GetID, req, resp)
		if err == nil && resp.Error == "" && !metaOnly {
			err = c.openReply(i, req, resp)
		}
		switch {
		case err != nil:
			if cause := context.Cause(ctx); errors.Is(cause, errStraggler) {
				err = fmt.Errorf("%w: %w", cause, err)
			}
			errs[i-1] = err
		case resp.Error != "":
			errs[i-1] = fmt.Errorf("node refused: %s", resp.Error)
		case len(resp.Items) != len(pseudonyms):
			errs[i-1] = fmt.Errorf("node answered %d items for %d keys", len(resp.Items), len(pseudonyms))
		default:
			resps[i-1] = resp
			if int(answered.Add(1)) == c.roster.Threshold && !metaOnly {
				grace := max(StragglerGrace, 2*c.now().Sub(start))
				time.AfterFunc(grace, func() { cancel(errStraggler) })
			}
		}
	})
	return resps, errs
}

// openReply opens the items that node i sealed to this client's key.
func (c *Client) openReply(i int, req *pb.GetRequest, resp *pb.GetResponse) error {
	plain, err := c.id.Open(protocol.ReplyInfo(c.digest[:], uint32(i), req.Registry, req.Nonce, req.Pseudonyms), resp.SealedItems)
	if err != nil {
		return fmt.Errorf("reply not sealed to this client for this request: %w", err)
	}
	reply := &pb.GetReply{}
	if err := proto.Unmarshal(plain, reply); err != nil {
		return fmt.Errorf("%w: sealed reply: %w", protocol.ErrMalformed, err)
	}
	resp.Items = reply.Items
	return nil
}

// health remembers nodes that failed recently, so a batch does not wait on
// a node that is down; it is tried again after a pause.
type health struct {
	mu        sync.Mutex
	downUntil []time.Time
	now       func() time.Time
}

const retryDownAfter = 3 * time.Second

func newHealth(n int, now func() time.Time) *health {
	return &health{downUntil: make([]time.Time, n+1), now: now}
}

func (h *health) up(i int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.now().Before(h.downUntil[i])
}

func (h *health) upCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n, now := 0, h.now()
	for _, until := range h.downUntil[1:] {
		if !now.Before(until) {
			n++
		}
	}
	return n
}

func (h *health) markDown(i int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.downUntil[i] = h.now().Add(retryDownAfter)
}
