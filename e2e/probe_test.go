package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"time"

	"github.com/dataembassy/embassy/client"
	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/transport"
)

// probe asks single nodes, as the custodian, which version of a record
// they hold (metadata only: no shares). The tests use it only to wait until
// parcels held for a returning node have been handed off — the CLI asks
// all nodes at once and so cannot tell. What the tests then assert goes
// through the CLI.
type probe struct {
	nw     *transport.Network
	pseudo *protocol.Pseudonymizer
}

// version is what one node holds as a record's newest version.
type version struct {
	found     bool
	number    uint64
	tombstone bool
}

func (n *tnet) newProbe() *probe {
	n.t.Helper()
	cfg, err := client.LoadConfig(n.client)
	if err != nil {
		n.t.Fatal(err)
	}
	id, err := identity.Load(cfg.IdentityFile)
	if err != nil {
		n.t.Fatal(err)
	}
	secret, err := client.LoadSecret(cfg.NetworkSecretFile)
	if err != nil {
		n.t.Fatal(err)
	}
	custodian, err := base64.StdEncoding.DecodeString(cfg.CustodianKey)
	if err != nil {
		n.t.Fatal(err)
	}
	data, err := os.ReadFile(cfg.RosterFile)
	if err != nil {
		n.t.Fatal(err)
	}
	r, _, err := roster.Open(data, custodian)
	if err != nil {
		n.t.Fatal(err)
	}
	g, err := transport.NewGater(r)
	if err != nil {
		n.t.Fatal(err)
	}
	h, err := transport.NewHost(transport.HostConfig{Key: id.SigningKey(), Gater: g, TCPOnly: true})
	if err != nil {
		n.t.Fatal(err)
	}
	nw, err := transport.NewNetwork(h, g, r)
	if err != nil {
		h.Close()
		n.t.Fatal(err)
	}
	n.t.Cleanup(func() { nw.Close() })
	return &probe{nw: nw, pseudo: protocol.NewPseudonymizer(secret)}
}

// versions asks node k for the newest versions of keys.
func (p *probe) versions(ctx context.Context, k int, keys []string) ([]version, error) {
	out := make([]version, 0, len(keys))
	for start := 0; start < len(keys); start += protocol.MaxItemsPerRequest {
		part := keys[start:min(start+protocol.MaxItemsPerRequest, len(keys))]
		req := &pb.GetRequest{Registry: reg, MetaOnly: true}
		for _, key := range part {
			req.Pseudonyms = append(req.Pseudonyms, p.pseudo.Pseudonym(reg, key))
		}
		resp := &pb.GetResponse{}
		if err := p.nw.Exchange(ctx, k, protocol.GetID, req, resp); err != nil {
			return nil, err
		}
		if resp.Error != "" || len(resp.Items) != len(part) {
			return nil, fmt.Errorf("node%d: error %q, %d items for %d keys", k, resp.Error, len(resp.Items), len(part))
		}
		for _, it := range resp.Items {
			out = append(out, version{found: it.Found, number: it.Version, tombstone: it.Tombstone})
		}
	}
	return out, nil
}

// handoffWait bounds how long parcels may take to reach a returned node
// (nodes try every second).
const handoffWait = 90 * time.Second

// waitCaughtUp waits until each target node holds, for every key, the
// newest version that node ref holds (ref stayed up throughout), and fails
// the test after handoffWait.
func (n *tnet) waitCaughtUp(p *probe, ref int, targets []int, keys []string) {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), handoffWait)
	defer cancel()
	want, err := p.versions(ctx, ref, keys)
	if err != nil {
		n.fatalf("probe node%d: %v", ref, err)
	}
	for i, v := range want {
		if !v.found {
			n.fatalf("node%d, which stayed up, does not hold %s %q", ref, reg, keys[i])
		}
	}
	lag := ""
	for ctx.Err() == nil {
		lag = ""
		for _, k := range targets {
			got, err := p.versions(ctx, k, keys)
			if err != nil {
				lag += fmt.Sprintf(" node%d: %v;", k, err)
				continue
			}
			behind := 0
			for i := range got {
				if got[i] != want[i] {
					behind++
				}
			}
			if behind > 0 {
				lag += fmt.Sprintf(" node%d lacks the newest version of %d of %d keys;", k, behind, len(keys))
			}
		}
		if lag == "" {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(300 * time.Millisecond):
		}
	}
	n.fatalf("handoff not complete after %s:%s", handoffWait, lag)
}
