package run

import (
	cryptorand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
	"reflect"
	"sync"
	"time"
	"unsafe"
)

// reseeder returns a function that restarts the crypto randomness that
// testing/cryptotest.SetGlobalRandom installed (one ChaCha8 stream for
// the whole process, behind crypto/rand.Reader) from a seed derived from
// (seed, instant, round), or nil if crypto/rand.Reader is not that
// reader (another Go release may lay it out differently: the run is then
// only less repeatable).
//
// The network calls it each time the bubble has settled (netsim's
// Config.Settled), when no goroutine runs. Every goroutine of a run draws
// from that one stream: a host that draws a few bytes more or less at
// some instant (a packet number QUIC skips, a retransmitted handshake)
// would shift every later draw, and with them the sizes of later TLS
// signatures and certificates. Restarting the stream at every settled
// instant keeps such a difference within its instant.
//
// cryptotest offers no way to restart its stream; this reaches into its
// reader (a sync.Mutex and a *rand.ChaCha8) with reflect and unsafe,
// after checking the type's name and fields.
func reseeder(seed uint64) func(now time.Time, round int) {
	v := reflect.ValueOf(cryptorand.Reader)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	e := v.Elem()
	if e.Type().String() != "cryptotest.lockedReader" || e.NumField() != 2 {
		return nil
	}
	mf, rf := e.Field(0), e.Field(1)
	if mf.Type() != reflect.TypeFor[sync.Mutex]() || rf.Type() != reflect.TypeFor[*rand.ChaCha8]() {
		return nil
	}
	mu := (*sync.Mutex)(unsafe.Pointer(mf.UnsafeAddr()))
	cc := *(**rand.ChaCha8)(unsafe.Pointer(rf.UnsafeAddr()))
	return func(now time.Time, round int) {
		var s [32]byte
		binary.LittleEndian.PutUint64(s[0:], seed)
		binary.LittleEndian.PutUint64(s[8:], uint64(now.UnixNano()))
		binary.LittleEndian.PutUint64(s[16:], uint64(round))
		binary.LittleEndian.PutUint64(s[24:], 0x656d6261737379) // "embassy"
		mu.Lock()
		*cc = *rand.NewChaCha8(s)
		mu.Unlock()
	}
}
