package protocol_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"google.golang.org/protobuf/proto"
)

// wireSamples has one populated message of every type that crosses the wire
// or is stored, keyed by a short name.
func wireSamples() []struct {
	name string
	msg  proto.Message
} {
	b32 := func(c byte) []byte { return bytes.Repeat([]byte{c}, 32) }
	seal := &pb.BatchSeal{Root: b32(1), Count: 3, Signature: bytes.Repeat([]byte{2}, 64)}
	manifest := &pb.RecordManifest{Registry: "land", Pseudonym: b32(3), Version: 1700000000000000000,
		Commitment: b32(4), ContentTag: b32(8),
		Threshold: 2, RosterDigest: b32(9)}
	mbytes, err := proto.Marshal(manifest)
	if err != nil {
		panic(err)
	}
	share := &pb.StoredShare{Manifest: mbytes, Share: []byte("share bytes"), LeafIndex: 2,
		Proof: [][]byte{b32(10), b32(11)}, Seal: seal}
	parcel := &pb.Parcel{Target: 3, Id: b32(12), Sealed: []byte("sealed parcel")}
	return []struct {
		name string
		msg  proto.Message
	}{
		{"StoreRequest", &pb.StoreRequest{Registry: "land", Items: []*pb.StoredShare{share, share}}},
		{"StoreResponse", &pb.StoreResponse{Stored: 7, AlreadyPresent: 2, Error: "some error"}},
		{"GetRequest", &pb.GetRequest{Registry: "population", Pseudonyms: [][]byte{b32(13), b32(14)}, MetaOnly: true}},
		{"GetResponse", &pb.GetResponse{Items: []*pb.GetItem{{Found: true, Latest: share}, {}}, Error: "partial"}},
		{"HandoffRequest", &pb.HandoffRequest{Parcels: []*pb.Parcel{parcel, parcel}}},
		{"HandoffResponse", &pb.HandoffResponse{Accepted: 5, Error: "refused"}},
		{"RecordManifest", manifest},
		{"RecordManifestTombstone", &pb.RecordManifest{Registry: "land", Pseudonym: b32(3), Version: 2, Tombstone: true, Threshold: 2, RosterDigest: b32(9)}},
		{"StoredShare", share},
		{"BatchSeal", seal},
		{"Parcel", parcel},
		{"GetItem", &pb.GetItem{Found: true, Latest: share}},
		{"EmptyStoreResponse", &pb.StoreResponse{}}, // a zero-length body
	}
}

// roundTrip writes msg with WriteMsg, reads it back with ReadMsg into a
// fresh message of the same type, and checks that nothing changed and that
// the frame was consumed exactly.
func roundTrip(t *testing.T, msg proto.Message) {
	t.Helper()
	var buf bytes.Buffer
	if err := protocol.WriteMsg(&buf, msg); err != nil {
		t.Fatalf("WriteMsg(%T): %v", msg, err)
	}
	framed := buf.Len()
	got := msg.ProtoReflect().New().Interface()
	r := bufio.NewReader(&buf)
	if err := protocol.ReadMsg(r, got, framed); err != nil {
		t.Fatalf("ReadMsg(%T): %v", msg, err)
	}
	if !proto.Equal(got, msg) {
		t.Fatalf("round trip of %T changed it:\n got %v\nwant %v", msg, got, msg)
	}
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("ReadMsg(%T) left bytes unread (err %v)", msg, err)
	}
}

func TestWireRoundTrip(t *testing.T) {
	for _, s := range wireSamples() {
		t.Run(s.name, func(t *testing.T) { roundTrip(t, s.msg) })
	}
}

// TestWireStream reads several frames back to back from one stream, as a
// connection carries them.
func TestWireStream(t *testing.T) {
	var buf bytes.Buffer
	samples := wireSamples()
	for _, s := range samples {
		if err := protocol.WriteMsg(&buf, s.msg); err != nil {
			t.Fatal(err)
		}
	}
	r := bufio.NewReader(&buf)
	for _, s := range samples {
		got := s.msg.ProtoReflect().New().Interface()
		if err := protocol.ReadMsg(r, got, 1<<20); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if !proto.Equal(got, s.msg) {
			t.Fatalf("%s: got %v, want %v", s.name, got, s.msg)
		}
	}
	if err := protocol.ReadMsg(r, &pb.StoreResponse{}, 1<<20); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read past the last frame: %v, want io.ErrUnexpectedEOF", err)
	}
}

// countingReader serves an endless body and counts what was taken from it.
type countingReader struct{ n int }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0x0a
	}
	c.n += len(p)
	return len(p), nil
}

func TestReadMsgSizeBound(t *testing.T) {
	const limit = 1024
	header := func(size uint64) []byte { return binary.AppendUvarint(nil, size) }
	for _, size := range []uint64{limit + 1, 16 << 20, 1 << 62, ^uint64(0)} {
		body := &countingReader{}
		r := bufio.NewReader(io.MultiReader(bytes.NewReader(header(size)), body))
		err := protocol.ReadMsg(r, &pb.StoreRequest{}, limit)
		if !errors.Is(err, protocol.ErrMessageTooLarge) {
			t.Errorf("announced %d bytes, limit %d: err %v, want ErrMessageTooLarge", size, limit, err)
		}
		if body.n != 0 {
			t.Errorf("announced %d bytes: ReadMsg read %d body bytes before refusing", size, body.n)
		}
	}

	// Exactly at the bound is allowed.
	msg := &pb.StoreResponse{Error: strings.Repeat("x", 100)}
	var buf bytes.Buffer
	if err := protocol.WriteMsg(&buf, msg); err != nil {
		t.Fatal(err)
	}
	size := proto.Size(msg)
	if err := protocol.ReadMsg(bufio.NewReader(bytes.NewReader(buf.Bytes())), &pb.StoreResponse{}, size); err != nil {
		t.Errorf("message of exactly the limit (%d bytes): %v", size, err)
	}
	if err := protocol.ReadMsg(bufio.NewReader(bytes.NewReader(buf.Bytes())), &pb.StoreResponse{}, size-1); !errors.Is(err, protocol.ErrMessageTooLarge) {
		t.Errorf("message one byte over the limit: %v, want ErrMessageTooLarge", err)
	}
}

// TestReadMsgTruncatedIsUnexpectedEOF: a frame cut anywhere is an error,
// and an unexpected EOF, never a plain io.EOF that a caller could take for
// a clean end of stream.
func TestReadMsgTruncatedIsUnexpectedEOF(t *testing.T) {
	var bad []string
	for _, s := range wireSamples() {
		var buf bytes.Buffer
		if err := protocol.WriteMsg(&buf, s.msg); err != nil {
			t.Fatal(err)
		}
		full := buf.Bytes()
		for cut := 0; cut < len(full); cut++ {
			got := s.msg.ProtoReflect().New().Interface()
			err := protocol.ReadMsg(bufio.NewReader(bytes.NewReader(full[:cut])), got, 1<<20)
			if !errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				bad = append(bad, fmt.Sprintf("%s cut to %d of %d bytes: %v", s.name, cut, len(full), err))
			}
		}
	}
	if len(bad) > 0 {
		t.Fatalf("%d truncations not reported as io.ErrUnexpectedEOF; first: %s", len(bad), bad[0])
	}
}

func TestReadMsgMalformed(t *testing.T) {
	cases := []struct {
		name  string
		input []byte
		want  error // nil: any error
	}{
		// field 1 (string registry) announces 5 bytes but the body ends.
		{"field overruns body", append(binary.AppendUvarint(nil, 2), 0x0a, 0x05), protocol.ErrMalformed},
		// wire type 7 does not exist.
		{"bad wire type", append(binary.AppendUvarint(nil, 1), 0x0f), protocol.ErrMalformed},
		// invalid UTF-8 in a proto3 string field.
		{"invalid utf-8 string", append(binary.AppendUvarint(nil, 3), 0x0a, 0x01, 0xff), protocol.ErrMalformed},
		// a length prefix longer than any uvarint.
		{"overlong length", bytes.Repeat([]byte{0xff}, 11), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := protocol.ReadMsg(bufio.NewReader(bytes.NewReader(c.input)), &pb.StoreRequest{}, 1<<20)
			if err == nil {
				t.Fatal("no error")
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}
}

// FuzzReadMsg decodes arbitrary bytes as every message type. ReadMsg must
// never panic, and a message it accepts must survive a round trip.
func FuzzReadMsg(f *testing.F) {
	for _, s := range wireSamples() {
		var buf bytes.Buffer
		if err := protocol.WriteMsg(&buf, s.msg); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, s := range wireSamples() {
			m := s.msg.ProtoReflect().New().Interface()
			if err := protocol.ReadMsg(bufio.NewReader(bytes.NewReader(data)), m, 1<<16); err != nil {
				continue
			}
			roundTrip(t, m)
		}
	})
}
