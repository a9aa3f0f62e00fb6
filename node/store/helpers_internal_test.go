package store

import (
	"io"
	"log/slog"

	"github.com/dataembassy/embassy/protocol/pb"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func sampleShare(i int) *pb.StoredShare {
	return &pb.StoredShare{Manifest: []byte{byte(i)}, Share: []byte{byte(i), 1}}
}
