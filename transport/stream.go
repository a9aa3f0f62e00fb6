package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/roster"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	libp2pprotocol "github.com/libp2p/go-libp2p/core/protocol"
	"google.golang.org/protobuf/proto"
)

// Reasons a stream is reset before its handler runs.
const (
	RefusedRole      = "role"      // the caller's role may not use the protocol
	RefusedBusy      = "busy"      // too many streams of the protocol at once
	RefusedMalformed = "malformed" // the request broke a bound or did not decode
)

// ErrRefused is returned by handlers for callers whose role may not use a protocol.
var ErrRefused = errors.New("refused")

// Caller is the authenticated peer behind a stream.
type Caller struct {
	Role roster.Role
	Key  []byte // Ed25519 public key
}

// HandlerFunc answers one request. An error is sent back to the caller as
// text in the response by the protocol's own error field, so handlers return
// a response even on failure.
type HandlerFunc[Req, Resp proto.Message] func(ctx context.Context, caller Caller, req Req) Resp

// Handle registers a request/response handler for id on h. A stream from
// a peer whose role may not use the protocol is reset before anything is
// read; at most protocol.MaxConcurrentStreams are served at once; each
// reads one request bounded by the protocol's limits, within its deadline;
// a stream that breaks a bound or sends bytes that do not decode is reset,
// and a handler that panics resets its stream, not the node.
//
// onRefuse, if given, is told of every stream reset here, with a reason:
// RefusedRole, RefusedBusy or RefusedMalformed (for metrics).
func Handle[Req, Resp proto.Message](h host.Host, g *Gater, id protocol.ID, log *slog.Logger,
	allowed []roster.Role, newReq func() Req, fn HandlerFunc[Req, Resp], onRefuse ...func(reason string)) {
	limits := protocol.LimitsFor(id)
	slots := make(chan struct{}, protocol.MaxConcurrentStreams)
	refuse := func(reason string) {
		for _, f := range onRefuse {
			f(reason)
		}
	}
	h.SetStreamHandler(libp2pprotocol.ID(id), func(s network.Stream) {
		remote := s.Conn().RemotePeer()
		caller := Caller{Role: g.Role(remote), Key: g.Key(remote)}
		if !slices.Contains(allowed, caller.Role) {
			log.Warn("stream refused: role may not use protocol", "protocol", id, "peer", remote, "role", caller.Role)
			refuse(RefusedRole)
			_ = s.Reset()
			return
		}
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
		default:
			log.Warn("stream refused: too many at once", "protocol", id, "peer", remote)
			refuse(RefusedBusy)
			_ = s.Reset()
			return
		}
		defer func() {
			if r := recover(); r != nil {
				log.Error("handler panicked, stream reset", "protocol", id, "peer", remote, "panic", r)
				_ = s.Reset()
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), limits.Deadline)
		defer cancel()
		_ = s.SetDeadline(time.Now().Add(limits.Deadline))
		req := newReq()
		if err := protocol.ReadMsg(bufio.NewReaderSize(s, 32<<10), req, limits.MaxRequest); err != nil {
			log.Warn("bad request, stream reset", "protocol", id, "peer", remote, "err", err)
			refuse(RefusedMalformed)
			_ = s.Reset()
			return
		}
		resp := fn(ctx, caller, req)
		if err := protocol.WriteMsg(s, resp); err != nil {
			log.Warn("write response", "protocol", id, "peer", remote, "err", err)
			_ = s.Reset()
			return
		}
		_ = s.Close()
	})
}

// DialTimeout bounds connecting to a peer.
const DialTimeout = 3 * time.Second

// Exchange opens a stream to p on id, sends req and reads resp, all within
// the protocol's deadline (or ctx's, if earlier).
func Exchange(ctx context.Context, h host.Host, p peer.ID, id protocol.ID, req, resp proto.Message) error {
	limits := protocol.LimitsFor(id)
	ctx, cancel := context.WithTimeout(ctx, limits.Deadline)
	defer cancel()
	// Our callers keep their own view of which nodes are down, so skip
	// libp2p's dial backoff: a node that restarts is reachable at once.
	dialCtx := network.WithDialPeerTimeout(network.WithForceDirectDial(ctx, string(id)), DialTimeout)
	s, err := h.NewStream(dialCtx, p, libp2pprotocol.ID(id))
	if err != nil {
		return fmt.Errorf("open %s stream: %w", id, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = s.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = s.Reset() })
	defer stop()
	if err := protocol.WriteMsg(s, req); err != nil {
		_ = s.Reset()
		return err
	}
	if err := s.CloseWrite(); err != nil {
		_ = s.Reset()
		return fmt.Errorf("close write: %w", err)
	}
	if err := protocol.ReadMsg(bufio.NewReaderSize(s, 32<<10), resp, limits.MaxResponse); err != nil {
		_ = s.Reset()
		return fmt.Errorf("%s response: %w", id, err)
	}
	_ = s.Close()
	return nil
}
