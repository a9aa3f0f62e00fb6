package node_test

import (
	"testing"

	"github.com/dataembassy/embassy/protocol"
	"github.com/dataembassy/embassy/protocol/pb"
	"github.com/dataembassy/embassy/thhe"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"google.golang.org/protobuf/proto"
)

// TestKeySetupMessagesFit: at the production parameters, the largest key
// setup messages — a Galois key, the relinearisation key (the shape of an
// RKG share and of the round-1 aggregate a round-2 request carries) and a
// GKG share — fit protocol.LimitsFor(KeySetupID) with a quarter to spare.
func TestKeySetupMessagesFit(t *testing.T) {
	params, err := thhe.ProductionParams()
	if err != nil {
		t.Fatal(err)
	}
	lim := protocol.LimitsFor(protocol.KeySetupID)
	el := thhe.InnerSumGaloisElements(params)[0]
	gk := rlwe.NewGaloisKey(params.Parameters)
	gk.GaloisElement = el
	galois, err := thhe.EncodeGaloisKey(params, gk)
	if err != nil {
		t.Fatal(err)
	}
	relin, err := thhe.EncodeRelinKey(params, rlwe.NewRelinearizationKey(params.Parameters))
	if err != nil {
		t.Fatal(err)
	}
	// A real GKG share, from a one-party group.
	g, err := thhe.NewGroup(params, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	deal, err := thhe.Deal(g, 1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := thhe.AssembleParty(g, 1, []*thhe.ThresholdShare{deal[1]}, thhe.NewMemReleaseLog())
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.GKGShare(thhe.ActiveSet{1}, thhe.Seed{1}, el)
	if err != nil {
		t.Fatal(err)
	}
	share, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	set := []uint32{1, 2, 3, 4, 5, 6, 7}
	for _, tc := range []struct {
		name  string
		msg   proto.Message
		limit int
	}{
		{"Galois key response", &pb.KeySetupResponse{GaloisKey: galois}, lim.MaxResponse},
		{"relinearisation key response", &pb.KeySetupResponse{RelinKey: relin}, lim.MaxResponse},
		{"RKG round-2 request", &pb.KeySetupRequest{Body: &pb.KeySetupRequest_Rkg{Rkg: &pb.RKGRequest{
			Seed: make([]byte, 32), ActiveSet: set, Round: 2, Round1Aggregate: relin}}}, lim.MaxRequest},
		{"GKG share response", &pb.KeySetupResponse{GkgShare: share}, lim.MaxResponse},
	} {
		size := proto.Size(tc.msg)
		t.Logf("%s: %d bytes (%.2f MiB), limit %d", tc.name, size, float64(size)/(1<<20), tc.limit)
		if size > tc.limit*3/4 {
			t.Errorf("%s: %d bytes, more than 3/4 of the limit %d", tc.name, size, tc.limit)
		}
	}
}
