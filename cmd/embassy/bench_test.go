package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/dataembassy/embassy/client"
	"github.com/dataembassy/embassy/registry"
	"github.com/dataembassy/embassy/testnet"
)

// BenchmarkQueryEndToEnd: one encrypted GROUP BY query as the testnet's
// service through the coordinator's HTTP API (client.Query), on 3 nodes
// (t=2) and the coordinator in this process, 5000 population records. The
// production case is skipped with -short.
func BenchmarkQueryEndToEnd(b *testing.B) {
	const text = "SELECT county, COUNT(*), SUM(birth_year), AVG(birth_year) FROM population GROUP BY county"
	for _, he := range []string{"test", "production"} {
		b.Run(he, func(b *testing.B) {
			if he == "production" && testing.Short() {
				b.Skip("production parameters: skipped with -short")
			}
			ctx := context.Background()
			dir := filepath.Join(b.TempDir(), "net")
			net, _, err := startBenchNet(ctx, dir, testnet.Options{Nodes: 3, Threshold: 2, HEParams: he})
			if err != nil {
				b.Fatal(err)
			}
			defer net.Close()
			cfg, err := client.LoadConfig(filepath.Join(dir, testnet.ClientFile))
			if err != nil {
				b.Fatal(err)
			}
			custodian, err := client.Open(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer custodian.Close()
			s, _ := registry.Lookup("population")
			var buf bytes.Buffer
			if err := registry.Generate(&buf, registry.FormatCSV, "population", 5000, 7); err != nil {
				b.Fatal(err)
			}
			rd, err := registry.NewReader(&buf, registry.FormatCSV, s)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := custodian.Ingest(ctx, s, rd, client.IngestOptions{}); err != nil {
				b.Fatal(err)
			}
			svc, _, err := openTestnetService(dir)
			if err != nil {
				b.Fatal(err)
			}
			defer svc.Close()
			for b.Loop() {
				if _, err := svc.Query(ctx, text, client.QueryOptions{CoordinatorURL: net.api}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
