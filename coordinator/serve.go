package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/dataembassy/embassy/identity"
	"github.com/dataembassy/embassy/roster"
	"github.com/dataembassy/embassy/thhe"
	"github.com/dataembassy/embassy/transport"
)

// Serve runs the coordinator of cfg until ctx ends: a libp2p host (TCP,
// Noise, roster-gated) to reach the nodes and the HTTP API on cfg.HTTPAddr.
// ready, if not nil, is called with the API's address once it listens.
func Serve(ctx context.Context, cfg Config, log *slog.Logger, ready func(addr string)) error {
	id, err := identity.Load(cfg.IdentityFile)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(cfg.RosterFile)
	if err != nil {
		return fmt.Errorf("read roster: %w", err)
	}
	r, _, err := roster.Open(data, cfg.CustodianPublicKey())
	if err != nil {
		return fmt.Errorf("roster %s: %w", cfg.RosterFile, err)
	}
	if r.RoleOf(id.PublicKey()) != roster.RoleCoordinator {
		return fmt.Errorf("%w: %s: the identity is not among the roster's coordinators", ErrBadConfig, cfg.IdentityFile)
	}
	params, err := thhe.ParamsByName(cfg.HEParams)
	if err != nil {
		return err
	}
	g, err := transport.NewGater(r)
	if err != nil {
		return err
	}
	h, err := transport.NewHost(transport.HostConfig{Key: id.SigningKey(), Gater: g, TCPOnly: true})
	if err != nil {
		return err
	}
	nw, err := transport.NewNetwork(h, g, r)
	if err != nil {
		h.Close()
		return err
	}
	defer nw.Close()
	c, err := New(r, nw, params, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http_addr: %w", err)
	}
	srv := &http.Server{Handler: NewServer(c, log, time.Now).Handler(), ReadHeaderTimeout: 10 * time.Second}
	log.Info("coordinator up", "api", "http://"+ln.Addr().String(), "nodes", r.N(), "threshold", r.Threshold)
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
		return nil
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}
