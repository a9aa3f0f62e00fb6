package protocol

// ParcelInfo is the HPKE info that binds a sealed parcel to its roster and
// target node, so a parcel cannot be replayed to another node or network.
func ParcelInfo(rosterDigest []byte, target uint32) []byte {
	info := append([]byte("embassy/parcel/v1\x00"), rosterDigest...)
	return append(info, byte(target))
}
