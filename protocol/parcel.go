package protocol

import (
	"crypto/ed25519"
	"crypto/sha256"
)

// ParcelInfo is the HPKE info that binds a sealed parcel to its roster and
// target node, so a parcel cannot be replayed to another node or network.
func ParcelInfo(rosterDigest []byte, target uint32) []byte {
	info := append([]byte("embassy/parcel/v1\x00"), rosterDigest...)
	return append(info, byte(target))
}

// ReplyInfo is the HPKE info that binds a sealed Get reply to its roster,
// the answering node and the exact request (with its fresh nonce), so a
// reply cannot be replayed as the answer to another or a later request, or
// as another node's answer.
func ReplyInfo(rosterDigest []byte, node uint32, registry string, nonce []byte, pseudonyms [][]byte) []byte {
	h := sha256.New()
	h.Write([]byte{byte(len(nonce))})
	h.Write(nonce)
	h.Write([]byte(registry))
	h.Write([]byte{0})
	for _, p := range pseudonyms {
		h.Write(p)
	}
	info := append([]byte("embassy/get-reply/v1\x00"), rosterDigest...)
	info = append(info, byte(node))
	return h.Sum(info)
}

// ParcelMessage is what the custodian signs for a parcel.
func ParcelMessage(rosterDigest []byte, target uint32, id []byte) []byte {
	msg := append([]byte("embassy/parcel-signature/v1\x00"), rosterDigest...)
	msg = append(msg, byte(target))
	return append(msg, id...)
}

// SignParcel is the custodian's signature on a parcel.
func SignParcel(custodian ed25519.PrivateKey, rosterDigest []byte, target uint32, id []byte) []byte {
	return ed25519.Sign(custodian, ParcelMessage(rosterDigest, target, id))
}

// VerifyParcel reports whether sig is the custodian's signature on a parcel.
func VerifyParcel(custodian ed25519.PublicKey, rosterDigest []byte, target uint32, id, sig []byte) bool {
	return len(custodian) == ed25519.PublicKeySize && len(sig) == ed25519.SignatureSize &&
		ed25519.Verify(custodian, ParcelMessage(rosterDigest, target, id), sig)
}
