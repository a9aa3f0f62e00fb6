package protocol

import (
	"context"

	"google.golang.org/protobuf/proto"
)

// Transport carries one request/response exchange to a roster node.
// Package transport implements it over libp2p streams.
type Transport interface {
	// Exchange sends req to the node with roster index and fills resp.
	Exchange(ctx context.Context, index int, id ID, req, resp proto.Message) error
	// NodeName is the roster name of the node, for messages.
	NodeName(index int) string
}
