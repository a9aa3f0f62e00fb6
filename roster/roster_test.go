package roster

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"testing"
)

func key(b byte) (ed25519.PublicKey, ed25519.PrivateKey) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, 32))
	return priv.Public().(ed25519.PublicKey), priv
}

func sample(n, t int) (Roster, ed25519.PrivateKey) {
	cpub, cpriv := key(200)
	spub, _ := key(201)
	r := Roster{Network: "test", Epoch: 1, Threshold: t,
		Custodian: Principal{Name: "custodian", SigningKey: cpub, SealKey: []byte{1}},
		Services: []Principal{{Name: "stats", SigningKey: spub, SealKey: []byte{2},
			Policy: &Policy{MinGroupSize: 10, Registries: []Grant{{Registry: "population", Fields: []string{AllFields}}}}}}}
	for i := 1; i <= n; i++ {
		pub, _ := key(byte(i))
		r.Nodes = append(r.Nodes, Node{Index: i, Name: fmt.Sprintf("node%d", i), Ally: "a", Country: "EE",
			SigningKey: pub, SealKey: []byte{3}, Addrs: []string{"/ip4/127.0.0.1/tcp/1"}})
	}
	return r, cpriv
}

func TestSignOpenRoundTrip(t *testing.T) {
	r, priv := sample(5, 3)
	data, err := Sign(r, priv)
	if err != nil {
		t.Fatal(err)
	}
	got, digest, err := Open(data, r.Custodian.SigningKey)
	if err != nil {
		t.Fatal(err)
	}
	if got.N() != 5 || got.Threshold != 3 || got.Nodes[2].Name != "node3" {
		t.Fatalf("round trip lost data: %+v", got)
	}
	if digest == (Digest{}) {
		t.Fatal("zero digest")
	}
	if got.RoleOf(r.Nodes[0].SigningKey) != RoleNode || got.RoleOf(r.Custodian.SigningKey) != RoleCustodian ||
		got.RoleOf(r.Services[0].SigningKey) != RoleService {
		t.Fatal("roles wrong")
	}
	stranger, _ := key(99)
	if got.RoleOf(stranger) != RoleNone {
		t.Fatal("stranger has a role")
	}
}

func TestOpenRejectsTampering(t *testing.T) {
	r, priv := sample(5, 3)
	data, _ := Sign(r, priv)
	tampered := bytes.Replace(data, []byte(`"threshold": 3`), []byte(`"threshold": 1`), 1)
	if bytes.Equal(tampered, data) {
		t.Fatal("test did not tamper")
	}
	if _, _, err := Open(tampered, r.Custodian.SigningKey); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered roster: %v, want ErrBadSignature", err)
	}
	other, _ := key(77)
	if _, _, err := Open(data, other); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("wrong custodian: %v", err)
	}
	if _, _, err := Open([]byte("{"), r.Custodian.SigningKey); !errors.Is(err, ErrInvalid) {
		t.Fatalf("garbage: %v", err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Roster)
	}{
		{"threshold zero", func(r *Roster) { r.Threshold = 0 }},
		{"threshold above n", func(r *Roster) { r.Threshold = 6 }},
		{"no nodes", func(r *Roster) { r.Nodes = nil }},
		{"bad index", func(r *Roster) { r.Nodes[1].Index = 7 }},
		{"duplicate name", func(r *Roster) { r.Nodes[1].Name = "node1" }},
		{"duplicate key", func(r *Roster) { r.Nodes[1].SigningKey = r.Nodes[0].SigningKey }},
		{"custodian is a node", func(r *Roster) { r.Custodian.SigningKey = r.Nodes[0].SigningKey }},
		{"short key", func(r *Roster) { r.Nodes[0].SigningKey = []byte{1, 2} }},
		{"no addrs", func(r *Roster) { r.Nodes[0].Addrs = nil }},
		{"no seal key", func(r *Roster) { r.Nodes[0].SealKey = nil }},
		{"bad service name", func(r *Roster) { r.Services[0].Name = "" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, priv := sample(5, 3)
			c.mutate(&r)
			if err := r.Validate(); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate = %v, want ErrInvalid", err)
			}
			if _, err := Sign(r, priv); err == nil {
				t.Fatal("Sign accepted an invalid roster")
			}
		})
	}
}

func FuzzOpen(f *testing.F) {
	r, priv := sample(3, 2)
	data, _ := Sign(r, priv)
	f.Add(data)
	f.Add([]byte(`{"roster":{},"signature":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, _, err := Open(b, r.Custodian.SigningKey)
		if err == nil && got.Validate() != nil {
			t.Fatal("Open returned an invalid roster")
		}
	})
}
