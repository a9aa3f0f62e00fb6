package protocol

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/proto"
)

// ErrMessageTooLarge is returned when a peer announces a message over the bound.
var ErrMessageTooLarge = errors.New("message too large")

// ErrMalformed is returned for bytes that do not decode as the expected message.
var ErrMalformed = errors.New("malformed message")

// WriteMsg writes m as a uvarint length followed by its protobuf bytes.
func WriteMsg(w io.Writer, m proto.Message) error {
	body, err := proto.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %T: %w", m, err)
	}
	var hdr [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(hdr[:], uint64(len(body)))
	if _, err := w.Write(append(hdr[:n:n], body...)); err != nil {
		return fmt.Errorf("write %T: %w", m, err)
	}
	return nil
}

// ReadMsg reads one length-delimited message of at most max bytes into m.
func ReadMsg(r *bufio.Reader, m proto.Message, max int) error {
	size, err := binary.ReadUvarint(r)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		return fmt.Errorf("read length: %w", err)
	}
	if size > uint64(max) {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooLarge, size, max)
	}
	// Grow the buffer as bytes arrive rather than trusting the announced
	// size: a peer that announces a large message and sends nothing costs
	// nothing.
	var body bytes.Buffer
	if n, err := io.CopyN(&body, r, int64(size)); err != nil {
		if errors.Is(err, io.EOF) && n < int64(size) { // the length came, the body did not
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("read body: %w", err)
	}
	if err := proto.Unmarshal(body.Bytes(), m); err != nil {
		return fmt.Errorf("%w: %T: %w", ErrMalformed, m, err)
	}
	return nil
}
