package registry

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestBuiltin(t *testing.T) {
	schemas := Builtin()
	var names []string
	for _, s := range schemas {
		names = append(names, s.Name)
		if s.KeyIndex() < 0 {
			t.Errorf("%s: no key field", s.Name)
		}
	}
	if want := []string{"business", "land", "population"}; !slices.Equal(names, want) || !slices.Equal(BuiltinNames(), want) {
		t.Fatalf("Builtin names = %v, BuiltinNames = %v, want %v", names, BuiltinNames(), want)
	}
	pop, err := Lookup("population")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"personal_code", "given_name", "family_name", "sex", "birth_date", "county", "municipality", "address", "citizenship"}
	if got := pop.FieldNames(); !slices.Equal(got, want) {
		t.Errorf("population fields = %v", got)
	}
	if pop.KeyIndex() != 0 {
		t.Errorf("KeyIndex = %d", pop.KeyIndex())
	}
}

func TestBuiltinReturnsCopies(t *testing.T) {
	a := Builtin()
	a[0].Fields[0].Name = "changed"
	if b := Builtin(); b[0].Fields[0].Name == "changed" {
		t.Fatal("Builtin shares state between calls")
	}
}

func TestLookupUnknown(t *testing.T) {
	_, err := Lookup("vehicles")
	if !errors.Is(err, ErrUnknownRegistry) {
		t.Fatalf("err = %v", err)
	}
	for _, name := range []string{"population", "land", "business", "vehicles"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not mention %s", err, name)
		}
	}
}

func TestParseSchemaErrors(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"not json", `{`, "unexpected EOF"},
		{"trailing", `{"name":"x","key":"a","fields":[{"name":"a","type":"string"}]} {}`, "trailing"},
		{"unknown member", `{"name":"x","key":"a","fields":[{"name":"a","type":"string","colour":1}]}`, "colour"},
		{"no name", `{"key":"a","fields":[{"name":"a","type":"string"}]}`, "missing name"},
		{"no fields", `{"name":"x","key":"a","fields":[]}`, "no fields"},
		{"no key", `{"name":"x","fields":[{"name":"a","type":"string"}]}`, "missing key"},
		{"key not a field", `{"name":"x","key":"b","fields":[{"name":"a","type":"string"}]}`, `key "b" is not a field`},
		{"duplicate", `{"name":"x","key":"a","fields":[{"name":"a","type":"string"},{"name":"a","type":"int"}]}`, `duplicate field "a"`},
		{"unnamed field", `{"name":"x","key":"a","fields":[{"name":"a","type":"string"},{"type":"int"}]}`, "no name"},
		{"unknown type", `{"name":"x","key":"a","fields":[{"name":"a","type":"float"}]}`, `unknown type "float"`},
		{"empty enum", `{"name":"x","key":"a","fields":[{"name":"a","type":"enum"}]}`, "no values"},
		{"enum repeat", `{"name":"x","key":"a","fields":[{"name":"a","type":"enum","values":["p","p"]}]}`, "repeated"},
		{"enum empty value", `{"name":"x","key":"a","fields":[{"name":"a","type":"enum","values":[""]}]}`, "empty value"},
		{"values on string", `{"name":"x","key":"a","fields":[{"name":"a","type":"string","values":["p"]}]}`, "only allowed on enum"},
		{"min on string", `{"name":"x","key":"a","fields":[{"name":"a","type":"string","min":1}]}`, "only allowed on int"},
		{"min > max", `{"name":"x","key":"a","fields":[{"name":"a","type":"int","min":2,"max":1}]}`, "greater than max"},
		{"max_len on int", `{"name":"x","key":"a","fields":[{"name":"a","type":"int","max_len":3}]}`, "max_len"},
		{"negative max_len", `{"name":"x","key":"a","fields":[{"name":"a","type":"string","max_len":-3}]}`, "negative"},
		{"bad sex link", `{"name":"x","key":"a","fields":[{"name":"a","type":"personal_code","sex_field":"b"},{"name":"b","type":"string"}]}`, "enum of M and F"},
		{"bad birth link", `{"name":"x","key":"a","fields":[{"name":"a","type":"personal_code","birth_date_field":"c"}]}`, "not a date field"},
		{"link on string", `{"name":"x","key":"a","fields":[{"name":"a","type":"string","sex_field":"b"}]}`, "only allowed on personal_code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSchema([]byte(tt.json))
			if !errors.Is(err, ErrInvalidSchema) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalidSchema mentioning %q", err, tt.want)
			}
		})
	}
}

func TestParseSchemaMinimal(t *testing.T) {
	s, err := ParseSchema([]byte(`{"name":"pets","key":"id","fields":[{"name":"id","type":"int","min":1},{"name":"kind","type":"enum","values":["cat","dog"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.KeyIndex() != 0 || *s.Fields[0].Min != 1 || len(s.Fields[1].Values) != 2 {
		t.Fatalf("parsed %+v", s)
	}
}

func FuzzParseSchema(f *testing.F) {
	for _, path := range []string{"schemas/population.json", "schemas/land.json", "schemas/business.json"} {
		data, err := schemaFiles.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"name":"x","key":"a","fields":[{"name":"a","type":"personal_code","sex_field":"a"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSchema(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidSchema) {
				t.Fatalf("error does not wrap ErrInvalidSchema: %v", err)
			}
			return
		}
		if s.KeyIndex() < 0 {
			t.Fatal("accepted schema without key field")
		}
		// Validation of an arbitrary row must not panic.
		_ = s.Validate(make([]string, len(s.Fields)))
	})
}
