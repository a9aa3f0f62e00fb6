package registry

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

//go:embed schemas/*.json
var schemaFiles embed.FS

// Builtin returns the built-in registry schemas (business, land,
// population), sorted by name. Each call returns fresh values that the
// caller may modify.
func Builtin() []Schema {
	paths, err := fs.Glob(schemaFiles, "schemas/*.json")
	if err != nil {
		panic(fmt.Sprintf("registry: embedded schemas: %v", err))
	}
	schemas := make([]Schema, 0, len(paths))
	for _, p := range paths {
		s, err := parseEmbedded(p)
		if err != nil {
			panic(fmt.Sprintf("registry: embedded schema %s: %v", p, err))
		}
		schemas = append(schemas, s)
	}
	slices.SortFunc(schemas, func(a, b Schema) int { return strings.Compare(a.Name, b.Name) })
	return schemas
}

func parseEmbedded(path string) (Schema, error) {
	data, err := schemaFiles.ReadFile(path)
	if err != nil {
		return Schema{}, err
	}
	return ParseSchema(data)
}

// BuiltinNames returns the names of the built-in registries, sorted.
func BuiltinNames() []string {
	schemas := Builtin()
	names := make([]string, len(schemas))
	for i, s := range schemas {
		names[i] = s.Name
	}
	return names
}

// Lookup returns the built-in schema with the given name. An unknown name
// gives an error wrapping ErrUnknownRegistry that lists the known names.
func Lookup(name string) (Schema, error) {
	for _, s := range Builtin() {
		if s.Name == name {
			return s, nil
		}
	}
	return Schema{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownRegistry, name, strings.Join(BuiltinNames(), ", "))
}
