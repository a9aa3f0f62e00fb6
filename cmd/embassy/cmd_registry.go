package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dataembassy/embassy/registry"
)

func runRegistry(_ context.Context, e env, args []string) error {
	if len(args) == 0 {
		return usageErr("registry needs a subcommand: list, show NAME or generate NAME")
	}
	switch args[0] {
	case "list":
		for _, s := range registry.Builtin() {
			fmt.Fprintf(e.stdout, "%-10s key %-15s %s\n", s.Name, s.KeyField, s.Description)
		}
		return nil
	case "show":
		if len(args) != 2 {
			return usageErr("usage: embassy registry show NAME")
		}
		s, err := registry.Lookup(args[1])
		if err != nil {
			return withCode(exitUsage, err)
		}
		out, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, string(out))
		return nil
	case "generate":
		return registryGenerate(e, args[1:])
	}
	return usageErr("unknown registry subcommand %q: want list, show or generate", args[0])
}

func registryGenerate(e env, args []string) error {
	fs := newFlags(e, "registry generate", "registry generate NAME --rows N [--seed S] --out FILE", `
Write N synthetic rows of registry NAME (population, land, business) to
FILE: CSV for .csv, JSON Lines for .jsonl or .ndjson. The same seed gives
the same bytes. The file appears only when complete.`)
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		fs.Usage()
		return usageErr("registry generate needs a registry name first (population, land or business)")
	}
	name := args[0]
	rows := fs.Int("rows", 1000, "number of rows")
	seed := fs.Uint64("seed", 1, "random seed")
	out := fs.String("out", "", "output file (.csv, .jsonl)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *out == "" {
		return usageErr("--out is required")
	}
	if *rows < 0 {
		return usageErr("--rows must not be negative")
	}
	format, err := registry.FormatFromPath(*out)
	if err != nil {
		return withCode(exitUsage, err)
	}
	if _, err := registry.Lookup(name); err != nil {
		return withCode(exitUsage, err)
	}
	return writeAtomically(*out, func(f *os.File) error {
		w := bufio.NewWriterSize(f, 1<<20)
		if err := registry.Generate(w, format, name, *rows, *seed); err != nil {
			return err
		}
		return w.Flush()
	})
}

// writeAtomically writes path through a temporary file in the same
// directory, synced and renamed into place only on success.
func writeAtomically(path string, write func(*os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
