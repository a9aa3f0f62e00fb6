package node_test

import (
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dataembassy/embassy/node"
	"github.com/dataembassy/embassy/testnet"
	"github.com/dataembassy/embassy/transport"
	"github.com/libp2p/go-libp2p/core/host"
)

// A node builds its host with Config.NewHost when it is set (what a
// simulator does), with the node's key, listen addresses and a gater; a
// factory's error fails Start and leaves the store closed behind it, so
// the node starts on the same directory afterwards.
func TestConfigNewHost(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	if err := testnet.Init(dir, testnet.Options{Nodes: 1, Threshold: 1, HEParams: "test"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := node.LoadConfig(filepath.Join(testnet.NodeDir(dir, 1), testnet.NodeConfig))
	if err != nil {
		t.Fatal(err)
	}
	cfg.StatusAddr = ""
	cfg.Store.Small = true
	errRefused := errors.New("factory refuses")

	var calls []transport.HostConfig
	var built host.Host
	for _, tc := range []struct {
		name    string
		factory transport.HostFactory
		wantErr error
	}{
		{"failing factory", func(hc transport.HostConfig) (host.Host, error) {
			calls = append(calls, hc)
			return nil, errRefused
		}, errRefused},
		{"wrapping factory", func(hc transport.HostConfig) (host.Host, error) {
			calls = append(calls, hc)
			h, err := transport.NewHost(hc)
			built = h
			return h, err
		}, nil},
		{"default", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls, built = nil, nil
			c := cfg
			c.NewHost = tc.factory
			n, err := node.Start(c, quiet())
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Start = %v, want %v", err, tc.wantErr)
			}
			if err == nil {
				defer n.Close()
			}
			if tc.factory == nil {
				if len(calls) != 0 || n.Host() == nil {
					t.Fatalf("default host: %d factory calls, host %v", len(calls), n.Host())
				}
				return
			}
			if len(calls) != 1 {
				t.Fatalf("factory called %d times, want once", len(calls))
			}
			hc := calls[0]
			if !slices.Equal(hc.Listen, cfg.Listen) || hc.Gater == nil || len(hc.Key) == 0 || hc.TCPOnly {
				t.Errorf("factory got %+v, want the node's key, listen %v and a gater", hc, cfg.Listen)
			}
			if tc.wantErr != nil {
				return
			}
			id, err := transport.PeerID(hc.Key.Public().(ed25519.PublicKey))
			if err != nil || n.Host().ID() != id {
				t.Errorf("host peer %s, want %s (%v)", n.Host().ID(), id, err)
			}
			if n.Host() != built {
				t.Error("the node does not use the host the factory built")
			}
		})
	}
}
