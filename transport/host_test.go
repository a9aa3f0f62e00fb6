package transport_test

import (
	"testing"

	"github.com/dataembassy/embassy/transport"
)

// BaseOptions refuses what would give a host without the embassy's
// identity or gater rules.
func TestBaseOptions(t *testing.T) {
	w := newWorld(t)
	key := w.node1.SigningKey()
	for _, tc := range []struct {
		name string
		cfg  transport.HostConfig
		ok   bool
	}{
		{"node", transport.HostConfig{Key: key, Gater: w.gater, Listen: []string{"/ip4/127.0.0.1/udp/0/quic-v1"}}, true},
		{"client", transport.HostConfig{Key: key, Gater: w.gater}, true},
		{"short key", transport.HostConfig{Key: key[:10], Gater: w.gater}, false},
		{"no key", transport.HostConfig{Gater: w.gater}, false},
		{"no gater", transport.HostConfig{Key: key}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts, err := transport.BaseOptions(tc.cfg)
			if (err == nil) != tc.ok || (err == nil && len(opts) == 0) {
				t.Errorf("BaseOptions = %d options, %v; want ok=%v", len(opts), err, tc.ok)
			}
			h, err := transport.NewHost(tc.cfg)
			if (err == nil) != tc.ok {
				t.Errorf("NewHost: %v, want ok=%v", err, tc.ok)
			}
			if err == nil {
				h.Close()
			}
		})
	}
}
