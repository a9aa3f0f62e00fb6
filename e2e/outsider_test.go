package e2e

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/dataembassy/embassy/client"
	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/transport"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peerstore"
	ma "github.com/multiformats/go-multiaddr"
)

// TestUnlistedPeerRefused: a libp2p peer with a key that the roster does
// not list cannot open a stream to any node. As a control, the same plain
// libp2p host built with the custodian's key can.
func TestUnlistedPeerRefused(t *testing.T) {
	n := startNet(t)
	cfg, err := client.LoadConfig(n.client)
	if err != nil {
		t.Fatal(err)
	}
	custodianPub, err := base64.StdEncoding.DecodeString(cfg.CustodianKey)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(cfg.RosterFile)
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := roster.Open(data, custodianPub)
	if err != nil {
		t.Fatal(err)
	}

	_, outsiderKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	outsider := plainHost(t, outsiderKey)
	errs := openStreams(t, outsider, r, false)
	for i, err := range errs {
		if err == nil {
			n.fatalf("an unlisted peer opened %s to %s", protocol.GetID, r.Nodes[i].Name)
		}
		t.Logf("unlisted peer -> %s: %v", r.Nodes[i].Name, err)
	}

	custodian, err := identity.Load(cfg.IdentityFile)
	if err != nil {
		t.Fatal(err)
	}
	listed := plainHost(t, custodian.SigningKey())
	for i, err := range openStreams(t, listed, r, true) {
		if err != nil {
			n.fatalf("control: the custodian's key could not open %s to %s: %v", protocol.GetID, r.Nodes[i].Name, err)
		}
	}
}

// plainHost is a go-libp2p host with default transports and security and
// no connection gater, listening nowhere.
func plainHost(t *testing.T, key ed25519.PrivateKey) host.Host {
	t.Helper()
	priv, err := crypto.UnmarshalEd25519PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	h, err := libp2p.New(libp2p.Identity(priv), libp2p.NoListenAddrs, libp2p.DisableRelay())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// openStreams tries, for every node at once, to open a get stream from h
// to the node's roster addresses; errs[i] is node i+1's outcome. With
// exchange, it also sends an empty get request and reads the response, so
// a success means the node served the stream.
func openStreams(t *testing.T, h host.Host, r roster.Roster, exchange bool) []error {
	t.Helper()
	errs := make([]error, len(r.Nodes))
	var wg sync.WaitGroup
	for i, nd := range r.Nodes {
		id, err := transport.PeerID(nd.SigningKey)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range nd.Addrs {
			m, err := ma.NewMultiaddr(a)
			if err != nil {
				t.Fatal(err)
			}
			h.Peerstore().AddAddr(id, m, peerstore.PermanentAddrTTL)
		}
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if exchange {
				resp := &pb.GetResponse{}
				errs[i] = transport.Exchange(ctx, h, id, protocol.GetID, &pb.GetRequest{Registry: reg}, resp)
				if errs[i] == nil && resp.Error != "" {
					errs[i] = errors.New(resp.Error)
				}
				return
			}
			s, err := h.NewStream(ctx, id, "/embassy/get/1.0.0")
			if err == nil {
				_ = s.Reset()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	return errs
}
