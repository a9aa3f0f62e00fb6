package protocol

import (
	"crypto/sha256"
	"encoding/binary"
)

// DealInfo is the HPKE info that binds a sealed threshold deal to its
// roster, sender, recipient and setup epoch, so a deal cannot be opened as
// another node's, replayed to another node, or carried into another roster
// or setup. A node seals its own share to itself with from == to.
func DealInfo(rosterDigest []byte, from, to uint32, epoch uint64) []byte {
	info := append([]byte("embassy/keysetup/deal/v1\x00"), rosterDigest...)
	info = binary.BigEndian.AppendUint32(info, from)
	info = binary.BigEndian.AppendUint32(info, to)
	return binary.BigEndian.AppendUint64(info, epoch)
}

// KeySetupSeed is the public seed of one key-generation protocol instance
// (label "ckg", "rkg", "gkg") of the setup for a roster and epoch. Every
// node derives it alone, so all agree without a round trip; a new roster or
// epoch gives new seeds.
func KeySetupSeed(rosterDigest []byte, label string, epoch uint64) [32]byte {
	h := sha256.New()
	h.Write([]byte("embassy/keysetup/seed/v1\x00"))
	h.Write(rosterDigest)
	h.Write([]byte(label))
	h.Write([]byte{0})
	h.Write(binary.BigEndian.AppendUint64(nil, epoch))
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}
