package roster

import (
	"errors"
	"testing"
)

func TestPolicyAllow(t *testing.T) {
	p := &Policy{MinGroupSize: 5, Registries: []Grant{
		{Registry: "population", Fields: []string{AllFields}},
		{Registry: "land", Fields: []string{"county", "area_m2"}},
	}}
	tests := []struct {
		registry string
		fields   []string
		ok       bool
	}{
		{"population", []string{"county", "birth_year", "anything"}, true},
		{"land", []string{"county"}, true},
		{"land", []string{"county", "area_m2"}, true},
		{"land", []string{"county", "assessed_value_eur"}, false},
		{"business", nil, false},
	}
	for _, tc := range tests {
		err := p.Allow(tc.registry, tc.fields)
		if (err == nil) != tc.ok {
			t.Errorf("Allow(%s, %v) = %v, want ok=%v", tc.registry, tc.fields, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrNotAllowed) {
			t.Errorf("Allow(%s, %v) = %v, want ErrNotAllowed", tc.registry, tc.fields, err)
		}
	}
	var none *Policy
	if err := none.Allow("population", nil); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("nil policy allowed a query: %v", err)
	}
}

func TestValidatePolicies(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Roster)
	}{
		{"service without policy", func(r *Roster) { r.Services[0].Policy = nil }},
		{"k below 1", func(r *Roster) { r.Services[0].Policy.MinGroupSize = 0 }},
		{"registry twice", func(r *Roster) {
			r.Services[0].Policy.Registries = append(r.Services[0].Policy.Registries, r.Services[0].Policy.Registries[0])
		}},
		{"grant without fields", func(r *Roster) { r.Services[0].Policy.Registries[0].Fields = nil }},
		{"custodian with policy", func(r *Roster) { r.Custodian.Policy = &Policy{MinGroupSize: 1} }},
		{"coordinator with policy", func(r *Roster) {
			pub, _ := key(150)
			r.Coordinators = []Principal{{Name: "coord", SigningKey: pub, SealKey: []byte{4}, Policy: &Policy{MinGroupSize: 1}}}
		}},
	}
	for _, tc := range tests {
		r, _ := sample(3, 2)
		tc.modify(&r)
		if err := r.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Validate = %v, want ErrInvalid", tc.name, err)
		}
	}
}

func TestCoordinatorRole(t *testing.T) {
	r, _ := sample(3, 2)
	pub, _ := key(150)
	r.Coordinators = []Principal{{Name: "coord", SigningKey: pub, SealKey: []byte{4}}}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := r.RoleOf(pub); got != RoleCoordinator {
		t.Fatalf("RoleOf(coordinator) = %v", got)
	}
	if got := r.SealKeyOf(pub); len(got) != 1 || got[0] != 4 {
		t.Fatalf("SealKeyOf(coordinator) = %v", got)
	}
}
