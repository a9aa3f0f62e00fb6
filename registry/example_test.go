package registry_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/dataembassy/embassy/registry"
)

func Example() {
	schema, err := registry.Lookup("land")
	if err != nil {
		panic(err)
	}
	input := "cadastral_code,county,municipality,purpose,area_m2,assessed_value_eur,owner_code\n" +
		"78401:101:0010,Tartu maakond,Tartu linn,residential,1200,150000,37605030299\n" +
		"78401:101:0011,Tartu maakond,\"Tartu linn, Annelinn\",forest,0,0,10060701\n"
	r, err := registry.NewReader(strings.NewReader(input), registry.FormatCSV, schema)
	if err != nil {
		panic(err)
	}
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err)
		}
		if row.Err != nil {
			fmt.Printf("line %d: %v\n", row.Line, row.Err)
			continue
		}
		enc := schema.EncodeRecord(row.Record)
		back, _ := schema.DecodeRecord(enc)
		js, _ := schema.RecordJSON(back)
		fmt.Printf("line %d: key %s, %d bytes encoded\n%s\n", row.Line, schema.Key(back), len(enc), js)
	}
	// Output:
	// line 2: key 78401:101:0010, 77 bytes encoded
	// {"cadastral_code":"78401:101:0010","county":"Tartu maakond","municipality":"Tartu linn","purpose":"residential","area_m2":1200,"assessed_value_eur":150000,"owner_code":"37605030299"}
	// line 3: invalid row: field "area_m2": 0 is less than 1
}

func ExampleLookup() {
	_, err := registry.Lookup("vehicles")
	fmt.Println(errors.Is(err, registry.ErrUnknownRegistry))
	fmt.Println(err)
	// Output:
	// true
	// unknown registry "vehicles" (known: business, land, population)
}

func ExampleGenerate() {
	var out strings.Builder
	if err := registry.Generate(&out, registry.FormatCSV, "business", 3, 7); err != nil {
		panic(err)
	}
	fmt.Print(out.String())
	// Output:
	// registry_code,name,legal_form,county,founded,employees,revenue_eur,status
	// 13880310,Läänemere Kinnisvara OÜ,OÜ,Harju maakond,2019-09-04,0,0,active
	// 10060641,Tartu IT OÜ,OÜ,Jõgeva maakond,2016-09-03,2,252276,active
	// 84434643,MTÜ Kesk Noorteühendus,MTÜ,Harju maakond,2011-10-27,0,0,liquidation
}
